"""Hostile uploads (issue 8): a corpus built here and sent through the add-evidence form as a person would.

Each hostile upload is refused beside the files field with a message that names the file and the
problem, and nothing is stored: no row, no file, no audit event. Each benign file is accepted; images
are stored re-encoded, without EXIF; downloads are attachments with a safe name and nosniff.

Hostile file names are the exception. Django's multipart parser removes folders ("../"), NUL and other
invisible characters (such as a right-to-left override) and cuts names to 255 characters before any
view runs, so no code of ours can refuse them. Those tests check what a person sees instead: the upload
is kept under a safe name, its file stays inside MEDIA_ROOT, and the download is named safely.
"""

import hashlib
import io
import mimetypes
import struct
import zipfile
import zlib
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook
from PIL import ExifTags, Image

from evidence.files import CSV, DOCX, JPEG, PDF, PNG, TEXT, XLSX
from evidence.models import EvidenceFile, EvidenceItem
from qip.models import AuditEvent
from qip.tests.domain_factories import PDF_BYTES, ActionFactory, PlanFactory, evidence_category

LIMIT = 2 * 1024 * 1024
CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
HTML_PAGE = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture(autouse=True)
def small_limit(settings):
    """A 2 MB limit keeps the oversized file small; every other hostile file is well under it."""
    settings.EVIDENCE_MAX_UPLOAD_BYTES = LIMIT


@pytest.fixture
def action(org, home, manager):
    plan = PlanFactory(organisation=org, locations=[home], owner=manager, created_by=manager)
    return ActionFactory(plan=plan, location=home, owner=manager, created_by=manager, steps=0)


def form_data(collected_by):
    return {
        "title": "Medicine round photos",
        "category": evidence_category("observation").pk,
        "kind": "observation",
        "purpose": "assurance",
        "collected_on": timezone.localdate().isoformat(),
        "collected_by": collected_by.pk,
    }


def files_message(response):
    """The text beside the files field (one crispy field's HTML, from its wrapper to the next field's)."""
    body = response.content.decode()
    start = body.index('id="div_id_files"')
    following = body.find('id="div_id_', start + 1)
    return unescape(body[start : following if following != -1 else len(body)])


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def upload(name, content):
    """As a browser sends it: the type it claims comes from the name, which is what an attacker controls."""
    return SimpleUploadedFile(name, content, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")


# Building the corpus


def image(kind, size=(16, 12), **options):
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, kind, **options)
    return buffer.getvalue()


def gps_exif(orientation=1):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCam"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.GPSInfo] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    return exif


def photo_with_gps(orientation=1):
    return image("JPEG", size=(40, 20), exif=gps_exif(orientation))


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def declared_png(width, height):
    """A PNG of a few dozen bytes whose header claims width × height pixels (a pixel flood)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(bytes(64)))
        + png_chunk(b"IEND", b"")
    )


def declared_jpeg(width, height):
    data = bytearray(image("JPEG"))
    frame = data.index(b"\xff\xc0")  # SOF0: marker, length, precision, then height and width
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def declared_gif(width, height):
    data = bytearray(image("GIF"))
    data[6:10] = struct.pack("<HH", width, height)  # the logical screen size
    return bytes(data)


def zipped(parts, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_bomb():
    """An .xlsx of about 200 KB whose worksheet unpacks to 200 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            for _ in range(200):
                sheet.write(bytes(1024 * 1024))
    return buffer.getvalue()


def many_part_bomb():
    parts = {"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w:document/>"}
    parts.update({f"word/m/{number}": b"" for number in range(10_000)})
    return zipped(parts, zipfile.ZIP_STORED)


def docx():
    return zipped(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
            "word/document.xml": b'<?xml version="1.0"?><w:document><w:body><w:p/></w:body></w:document>',
        }
    )


def xlsx():
    workbook = Workbook()
    workbook.active.append(["Week", "Falls"])
    workbook.active.append(["3 Nov 2026", 2])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def one(name, build):
    return lambda: [(name, build())]


NOT_ACCEPTED = "cannot be uploaded. Its content is not a type that is accepted. Upload a PDF, Word"
MARKUP = "cannot be uploaded. It looks like a web page or markup (HTML, SVG or XML), which could run scripts."
HIDDEN = "cannot be uploaded. It is an image with a web page or script hidden in it."
FLOOD = "cannot be uploaded. It is an image of more than 50 million pixels, too large to open safely"
DAMAGED = "cannot be uploaded. It looks like a damaged image; open it and save it again, then upload it."
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(44)
MZ = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + bytes(44)
    + b"This program cannot be run in DOS mode."
)

HOSTILE = [
    ("executable-elf-renamed-pdf", one("report.pdf", lambda: ELF), f"report.pdf {NOT_ACCEPTED}"),
    ("executable-windows-renamed-pdf", one("invoice.pdf", lambda: MZ), f"invoice.pdf {NOT_ACCEPTED}"),
    ("html-in-png", one("chart.png", lambda: HTML_PAGE), f"chart.png {MARKUP}"),
    ("png-followed-by-html", one("photo.png", lambda: image("PNG") + HTML_PAGE), f"photo.png {HIDDEN}"),
    (
        "jpeg-followed-by-script",
        one("round.jpg", lambda: image("JPEG") + b"<script>x()</script>"),
        f"round.jpg {HIDDEN}",
    ),
    ("gif-followed-by-html", one("chart.gif", lambda: image("GIF") + HTML_PAGE), f"chart.gif {HIDDEN}"),
    ("gif-header-then-script", one("logo.gif", lambda: b"GIF89a=1;alert(document.cookie)//"), f"logo.gif {DAMAGED}"),
    (
        "svg-with-script",
        one("diagram.svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        f"diagram.svg {MARKUP}",
    ),
    (
        "svg-with-script-renamed-png",
        one("diagram.png", lambda: b'<?xml version="1.0"?>\n<svg onload="alert(1)"/>'),
        f"diagram.png {MARKUP}",
    ),
    ("php-renamed-jpg", one("avatar.jpg", lambda: b"<?php system($_GET['c']); ?>"), f"avatar.jpg {MARKUP}"),
    ("html-in-txt", one("notes.txt", lambda: b"Round notes\n<script>alert(1)</script>\n"), f"notes.txt {MARKUP}"),
    ("html-in-csv", one("falls.csv", lambda: b"week,falls\n<img src=x onerror=alert(1)>,2\n"), f"falls.csv {MARKUP}"),
    (
        "zip-bomb-as-xlsx",
        one("falls.xlsx", zip_bomb),
        "falls.xlsx cannot be uploaded. It would unpack to 200 MB from 199 KB, which is how a “zip bomb” swamps "
        "a computer; it cannot be opened safely.",
    ),
    (
        "zip-bomb-of-10002-parts-as-docx",
        one("policy.docx", many_part_bomb),
        "policy.docx cannot be uploaded. It holds 10,002 parts, far more than a document has, so it may be a “zip "
        "bomb”.",
    ),
    (
        "word-with-macros",
        one("minutes.docx", lambda: zipped({"[Content_Types].xml": CONTENT_TYPES, "word/vbaProject.bin": b"x"})),
        "minutes.docx cannot be uploaded. It contains macros",
    ),
    (
        "excel-marked-macro-enabled",
        one("audit.xlsx", lambda: zipped({"[Content_Types].xml": b"<Types>macroEnabled</Types>", "xl/a.xml": b""})),
        "audit.xlsx cannot be uploaded. It contains macros",
    ),
    (
        "plain-zip-renamed-xlsx",
        one("falls.xlsx", lambda: zipped({"run.exe": MZ})),
        "falls.xlsx cannot be uploaded. It is a zip archive; upload the documents inside it one by one.",
    ),
    (
        "presentation-renamed-odt",
        one("minutes.odt", lambda: zipped({"mimetype": b"application/vnd.oasis.opendocument.presentation"})),
        "minutes.odt cannot be uploaded. It is an OpenDocument file of a kind that is not accepted",
    ),
    (
        "broken-zip-as-docx",
        one("report.docx", lambda: b"PK\x03\x04" + bytes(200)),
        "report.docx cannot be uploaded. It looks like a damaged or unsupported archive.",
    ),
    (
        "oversized-by-one-byte",
        one("scan.pdf", lambda: PDF_BYTES + b"%" * (LIMIT + 1 - len(PDF_BYTES))),
        "scan.pdf is just over 2 MB; files can be up to 2 MB.",
    ),
    ("pixel-flood-png-30000x30000", one("map.png", lambda: declared_png(30_000, 30_000)), f"map.png {FLOOD}"),
    ("pixel-flood-png-9000x9000", one("plan.png", lambda: declared_png(9_000, 9_000)), f"plan.png {FLOOD}"),
    ("pixel-flood-jpeg-65000x65000", one("photo.jpg", lambda: declared_jpeg(65_000, 65_000)), f"photo.jpg {FLOOD}"),
    ("pixel-flood-gif-65535x65535", one("anim.gif", lambda: declared_gif(65_535, 65_535)), f"anim.gif {FLOOD}"),
    (
        "truncated-png",
        one("scan.png", lambda: image("PNG", size=(64, 64), compress_level=0)[:2000]),
        f"scan.png {DAMAGED}",
    ),
    ("empty-file", one("audit.pdf", lambda: b""), "That file is empty. Choose the file again, or another file."),
    ("binary-named-txt", one("notes.txt", lambda: b"abc\x00\x01\x02def"), f"notes.txt {NOT_ACCEPTED}"),
    (
        "101-files-in-one-request",
        lambda: [(f"audit-{number}.pdf", PDF_BYTES) for number in range(101)],
        "You chose 101 files; add up to 100 at a time.",
    ),
]


@pytest.mark.parametrize(
    "build,message",
    [
        pytest.param(build, message, id=f"hostile-{n:02d}-of-{len(HOSTILE)}-{label}")
        for n, (label, build, message) in enumerate(HOSTILE, 1)
    ],
)
def test_hostile_upload_is_refused_beside_the_files_field_and_nothing_is_stored(
    client, manager, action, settings, build, message
):
    client.force_login(manager)
    files = [upload(name, content) for name, content in build()]

    response = client.post(reverse("evidence_add", args=[action.pk]), {**form_data(manager), "files": files})

    assert response.status_code == 200
    assert message in files_message(response)
    assert not EvidenceItem.objects.exists()
    assert not EvidenceFile.objects.exists()
    assert not AuditEvent.objects.filter(action="evidence.added").exists()
    assert stored_files(settings) == []


BENIGN = [
    ("pdf", "mar-audit.pdf", lambda: PDF_BYTES, PDF),
    ("png-with-gps-exif", "chart.png", lambda: image("PNG", exif=gps_exif()), PNG),
    ("jpeg-with-gps-exif", "round.jpg", photo_with_gps, JPEG),
    ("docx", "minutes.docx", docx, DOCX),
    ("xlsx", "falls.xlsx", xlsx, XLSX),
    ("csv", "falls.csv", lambda: "week,falls\n3 Nov 2026,2\nCafé visit,0\n".encode(), CSV),
    ("txt", "notes.txt", lambda: b"Observed the lunchtime round; all 12 administrations signed.\n", TEXT),
]


@pytest.mark.parametrize(
    "name,build,content_type",
    [pytest.param(*case[1:], id=f"benign-{n}-of-{len(BENIGN)}-{case[0]}") for n, case in enumerate(BENIGN, 1)],
)
def test_benign_file_is_accepted_and_downloads_as_a_safe_attachment(
    client, manager, action, settings, name, build, content_type
):
    content = build()
    client.force_login(manager)

    response = client.post(
        reverse("evidence_add", args=[action.pk]), {**form_data(manager), "files": upload(name, content)}
    )

    assert response.status_code == 302
    record = EvidenceFile.objects.get()
    [path] = stored_files(settings)
    stored = path.read_bytes()
    assert (record.original_name, record.content_type) == (name, content_type)
    assert (record.size, record.sha256) == (len(stored), hashlib.sha256(stored).hexdigest())
    if content_type in (PNG, JPEG):
        assert not Image.open(path).getexif()  # re-encoded: no EXIF, so no GPS position
    else:
        assert stored == content

    download = client.get(reverse("evidence_file_download", args=[record.pk]))

    assert download["Content-Disposition"] == f'attachment; filename="{name}"'
    assert download["Content-Type"] == content_type
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == stored


def test_a_sideways_photo_is_stored_upright_without_its_gps_position(client, manager, action, settings):
    original = photo_with_gps(orientation=6)  # taken with the phone on its side: turn 90° to view
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    client.force_login(manager)

    client.post(
        reverse("evidence_add", args=[action.pk]), {**form_data(manager), "files": upload("round.jpg", original)}
    )

    [path] = stored_files(settings)
    stored = Image.open(path)
    assert stored.size == (20, 40)
    assert not stored.getexif()
    assert b"PhoneCam" not in path.read_bytes()


def test_bytes_after_the_end_of_an_image_are_not_stored(client, manager, action, settings):
    picture = image("PNG")
    client.force_login(manager)

    client.post(
        reverse("evidence_add", args=[action.pk]),
        {**form_data(manager), "files": upload("chart.png", picture + b"PK\x03\x04 an archive riding along")},
    )

    [path] = stored_files(settings)
    assert b"riding along" not in path.read_bytes()
    assert Image.open(path).size == (16, 12)


def test_text_named_like_a_pdf_downloads_as_text(client, manager, action):
    client.force_login(manager)
    client.post(
        reverse("evidence_add", args=[action.pk]),
        {**form_data(manager), "files": upload("invoice.pdf", b"#!/bin/sh\necho not a pdf\n")},
    )

    download = client.get(reverse("evidence_file_download", args=[EvidenceFile.objects.get().pk]))

    assert download["Content-Type"] == "text/plain"
    assert download["Content-Disposition"] == 'attachment; filename="invoice.pdf.txt"'
    assert download["X-Content-Type-Options"] == "nosniff"


# Hostile names: sent raw (the test client would drop folders itself), made safe before our code runs.


def multipart(fields, filename):
    boundary = "hostile-names-boundary"
    lines = []
    for key, value in fields.items():
        lines += [f"--{boundary}", f'Content-Disposition: form-data; name="{key}"', "", str(value)]
    lines += [f"--{boundary}", f'Content-Disposition: form-data; name="files"; filename="{filename}"']
    lines += ["Content-Type: application/pdf", "", PDF_BYTES.decode(), f"--{boundary}--", ""]
    return "\r\n".join(lines).encode(), f"multipart/form-data; boundary={boundary}"


NAMES = [
    ("folders-unix", "../../../etc/cron.d/evil.pdf", "evil.pdf", "evil.pdf"),
    ("folders-windows", "..\\..\\Windows\\win.ini.pdf", "win.ini.pdf", "win.ini.pdf"),
    ("nul", "shell.php\x00.pdf", "shell.php.pdf", "shell.php.pdf"),
    ("right-to-left-override", "invoice\u202efdp.exe", "invoicefdp.exe", "invoicefdp.exe.pdf"),
    ("bidi-isolates-and-zero-width", "\u2066audit\u200b\u2069.pdf", "audit.pdf", "audit.pdf"),
    ("300-characters", "a" * 296 + ".pdf", "a" * 251 + ".pdf", "a" * 251 + ".pdf"),
]


@pytest.mark.parametrize(
    "sent,label,downloaded",
    [pytest.param(*case[1:], id=f"name-{n}-of-{len(NAMES)}-{case[0]}") for n, case in enumerate(NAMES, 1)],
)
def test_a_hostile_file_name_is_made_safe_before_it_is_stored_or_downloaded(
    client, manager, action, settings, tmp_path, sent, label, downloaded
):
    client.force_login(manager)
    body, content_type = multipart(form_data(manager), sent)

    response = client.post(reverse("evidence_add", args=[action.pk]), body, content_type=content_type)

    assert response.status_code == 302
    record = EvidenceFile.objects.get()
    assert record.original_name == label
    [path] = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert path.is_relative_to(settings.MEDIA_ROOT / "evidence")
    download = client.get(reverse("evidence_file_download", args=[record.pk]))
    assert download["Content-Disposition"] == f'attachment; filename="{downloaded}"'
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_damaged_image_is_refused_after_a_pack_has_loaded_weasyprint(client, manager, action):
    """WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES when imported; a truncated PNG was then stored."""
    import weasyprint  # noqa: F401 - importing it is what changes Pillow
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    client.force_login(manager)
    truncated = image("PNG", size=(64, 64), compress_level=0)[:2000]

    response = client.post(
        reverse("evidence_add", args=[action.pk]), {**form_data(manager), "files": [upload("scan.png", truncated)]}
    )

    assert response.status_code == 200
    assert f"scan.png {DAMAGED}" in response.content.decode()
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # the pack's setting is left as it was
