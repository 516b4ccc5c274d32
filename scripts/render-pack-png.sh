#!/usr/bin/env bash
# Prove a commissioner pack renders: make the demo organisation's pack in a throw-away database
# (var/pack-render/ unless a folder is given), turn every page into a PNG with pdftoppm, and check
# each page has something printed on it. CI runs this; so can you: `bash scripts/render-pack-png.sh`.
# Installs poppler-utils (pdftoppm) with apt-get when it is missing, as root or through sudo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

OUT=$(realpath -m "${1:-var/pack-render}")
rm -rf "$OUT"
mkdir -p "$OUT"

if ! command -v pdftoppm >/dev/null 2>&1; then
    echo "render-pack-png: pdftoppm not found; installing poppler-utils"
    if [ "$(id -u)" = 0 ]; then as_root=(); elif sudo -n true 2>/dev/null; then as_root=(sudo -n); else
        echo "render-pack-png: ERROR: install poppler-utils (apt-get install poppler-utils) and run again." >&2
        exit 1
    fi
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null
fi

# Everything (database, stored files, broker folders) goes under $OUT; nothing touches var/db.sqlite3.
unset CELERY_BROKER_URL EMAIL_URL
export VAR_DIR="$OUT" DATABASE_URL="sqlite:///$OUT/db.sqlite3"
PY=.venv/bin/python
$PY manage.py migrate --noinput -v0
$PY manage.py seed_demo >"$OUT/seed.log"
$PY manage.py make_pack --organisation "Example Care Group" --as quality@example.com --copy-to "$OUT/pack.pdf"
pdftoppm -png -r 60 "$OUT/pack.pdf" "$OUT/page"
$PY - "$OUT" <<'PY'
import sys
from pathlib import Path

import pypdf
from PIL import Image

out = Path(sys.argv[1])
pages = len(pypdf.PdfReader(out / "pack.pdf").pages)
images = sorted(out.glob("page-*.png"))
assert len(images) == pages, f"{len(images)} PNG pages for a {pages}-page PDF"
def inked(image, top, bottom):
    """Share of pixels clearly darker than the white page between two heights (fractions of the page)."""
    band = image.crop((0, int(image.height * top), image.width, int(image.height * bottom)))
    return sum(band.histogram()[:200]) / (band.width * band.height)


for image_path in images:
    with Image.open(image_path) as image:
        grey = image.convert("L")
        # The running header (organisation, reference), the body, and the foot (marking, "Page n of N").
        header, body, foot = inked(grey, 0, 0.06), inked(grey, 0.06, 0.93), inked(grey, 0.93, 1)
    assert header > 0 and foot > 0, f"{image_path.name} lacks its running header or foot"
    assert body > 0.0005, f"{image_path.name} has nothing in its body ({body:.3%} inked)"
    print(f"{image_path.name}: {grey.width}x{grey.height}, body {body:.1%} inked")
print(f"render-pack-png: {pages} pages rendered to PNG in {out}")
PY
