"""Loading CQC frameworks from the JSON files in this folder."""

import json
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def load_framework(apps, filename, *, current=True, folder=FOLDER):
    """Create or update one framework and its contents; safe to run twice.

    Takes the migration's `apps` so it works on historical models. `filename` is
    read from `folder` (this package's folder unless told otherwise).
    """
    Framework = apps.get_model("qip", "Framework")
    KeyQuestion = apps.get_model("qip", "KeyQuestion")
    QualityStatement = apps.get_model("qip", "QualityStatement")
    EvidenceCategory = apps.get_model("qip", "EvidenceCategory")
    Regulation = apps.get_model("qip", "Regulation")

    data = json.loads((Path(folder) / filename).read_text(encoding="utf-8"))
    meta = data["framework"]
    framework, _ = Framework.objects.update_or_create(
        code=meta["code"],
        defaults={
            "name": meta["name"],
            "note": meta.get("note", ""),
            "regulations_source": data.get("regulations_source", ""),
            "is_current": current,
        },
    )
    if current:
        Framework.objects.exclude(pk=framework.pk).update(is_current=False)
    for kq_order, kq in enumerate(data["key_questions"], start=1):
        key_question, _ = KeyQuestion.objects.update_or_create(
            framework=framework, slug=kq["slug"], defaults={"name": kq["name"], "order": kq_order}
        )
        for qs_order, qs in enumerate(kq["quality_statements"], start=1):
            QualityStatement.objects.update_or_create(
                key_question=key_question, slug=qs["slug"], defaults={"name": qs["name"], "order": qs_order}
            )
    for order, category in enumerate(data["evidence_categories"], start=1):
        EvidenceCategory.objects.update_or_create(
            framework=framework, slug=category["slug"], defaults={"name": category["name"], "order": order}
        )
    for order, regulation in enumerate(data["regulations"], start=1):
        Regulation.objects.update_or_create(
            framework=framework, number=regulation["number"], defaults={"title": regulation["title"], "order": order}
        )
    return framework
