"""CQC reference data: loaded by a migration from the JSON file, versioned by framework."""

import json

import pytest
from django.apps import apps as django_apps

from qip.models import EvidenceCategory, Framework, KeyQuestion, QualityStatement, Regulation
from qip.reference import FOLDER, load_framework

SAF_FILE = "cqc_saf_2023.json"


@pytest.fixture
def saf():
    return json.loads((FOLDER / SAF_FILE).read_text(encoding="utf-8"))


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Framework, KeyQuestion, QualityStatement, EvidenceCategory, Regulation)
    }


def test_the_migration_loaded_saf_2023_as_the_current_framework(db, saf):
    framework = Framework.objects.get(code="SAF-2023")

    assert framework.is_current
    assert framework.name == saf["framework"]["name"]
    assert list(Framework.objects.filter(is_current=True)) == [framework]
    key_questions = list(framework.key_questions.order_by("order"))
    assert [(kq.slug, kq.name) for kq in key_questions] == [(kq["slug"], kq["name"]) for kq in saf["key_questions"]]
    assert len(key_questions) == 5
    for kq, expected in zip(key_questions, saf["key_questions"], strict=True):
        assert [(qs.slug, qs.name) for qs in kq.quality_statements.order_by("order")] == [
            (qs["slug"], qs["name"]) for qs in expected["quality_statements"]
        ]
    assert QualityStatement.objects.filter(key_question__framework=framework).count() == 34
    assert [(c.slug, c.name) for c in framework.evidence_categories.order_by("order")] == [
        (c["slug"], c["name"]) for c in saf["evidence_categories"]
    ]
    assert framework.evidence_categories.count() == 6
    assert [(r.number, r.title) for r in framework.regulations.order_by("order")] == [
        (r["number"], r["title"]) for r in saf["regulations"]
    ]
    assert framework.regulations_source == saf["regulations_source"]


def test_loading_the_same_file_again_changes_nothing(db):
    before = counts()
    ids_before = set(QualityStatement.objects.values_list("pk", flat=True))

    load_framework(django_apps, SAF_FILE)

    assert counts() == before
    assert set(QualityStatement.objects.values_list("pk", flat=True)) == ids_before
    assert Framework.objects.get(code="SAF-2023").is_current


def test_a_new_framework_becomes_current_and_saf_2023_stays(db, tmp_path):
    saf_counts = {
        "key_questions": KeyQuestion.objects.filter(framework__code="SAF-2023").count(),
        "statements": QualityStatement.objects.filter(key_question__framework__code="SAF-2023").count(),
        "categories": EvidenceCategory.objects.filter(framework__code="SAF-2023").count(),
        "regulations": Regulation.objects.filter(framework__code="SAF-2023").count(),
    }
    saf_statement = QualityStatement.objects.filter(key_question__framework__code="SAF-2023").first()
    (tmp_path / "asc_2026.json").write_text(
        json.dumps(
            {
                "framework": {"code": "ASC-2026", "name": "Adult social care assessment framework"},
                "key_questions": [
                    {"slug": "safe", "name": "Safe", "quality_statements": [{"slug": "safe-care", "name": "Safe care"}]}
                ],
                "evidence_categories": [{"slug": "observation", "name": "Observation"}],
                "regulations": [{"number": "12", "title": "Safe care and treatment"}],
            }
        ),
        encoding="utf-8",
    )

    new = load_framework(django_apps, "asc_2026.json", folder=tmp_path)

    assert list(Framework.objects.filter(is_current=True)) == [new]
    assert not Framework.objects.get(code="SAF-2023").is_current
    assert new.key_questions.get().quality_statements.get().name == "Safe care"
    assert new.regulations.get().number == "12"
    assert {
        "key_questions": KeyQuestion.objects.filter(framework__code="SAF-2023").count(),
        "statements": QualityStatement.objects.filter(key_question__framework__code="SAF-2023").count(),
        "categories": EvidenceCategory.objects.filter(framework__code="SAF-2023").count(),
        "regulations": Regulation.objects.filter(framework__code="SAF-2023").count(),
    } == saf_counts
    saf_statement.refresh_from_db()  # things linked to a SAF-2023 statement keep pointing at it
    assert saf_statement.key_question.framework.code == "SAF-2023"


@pytest.mark.django_db(transaction=True)
def test_reference_data_survives_the_flush_between_transactional_tests():
    from django.core.management import call_command

    from qip.models import QualityStatement

    call_command("flush", interactive=False, verbosity=0)
    assert QualityStatement.objects.filter(key_question__framework__code="SAF-2023").count() == 34
