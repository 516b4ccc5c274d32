"""Evidence, files, measures, readings and concerns: what is stored, audited, refused and never overwritten."""

import hashlib
import io
import zipfile
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from actions.models import Action
from evidence import services
from evidence.files import check_upload
from evidence.models import Concern, EvidenceFile, EvidenceItem, Measure, MeasureReading
from evidence.services import (
    add_evidence,
    create_measure,
    log_concern,
    record_reading,
    update_measure,
    withdraw_evidence,
)
from qip.models import AuditEvent, EvidenceCategory, Framework, Plan
from qip.tests.domain_factories import (
    PDF_BYTES,
    PNG_BYTES,
    ActionFactory,
    EvidenceFactory,
    MeasureFactory,
    PlanFactory,
    StepFactory,
    close_action,
)


def counts():
    return (
        EvidenceItem.objects.count(),
        EvidenceFile.objects.count(),
        Measure.objects.count(),
        MeasureReading.objects.count(),
        Concern.objects.count(),
        AuditEvent.objects.count(),
    )


def events(action, obj):
    return list(AuditEvent.objects.filter(action=action).for_object(obj))


def today():
    return timezone.localdate()


def category(slug="observation"):
    return EvidenceCategory.objects.get(framework__is_current=True, slug=slug)


def upload(name, content, content_type="application/octet-stream"):
    """What a browser sends: the name and the declared type are the browser's, not ours."""
    return SimpleUploadedFile(name, content, content_type=content_type)


def office_file(parts, content_types=b'<?xml version="1.0"?><Types/>'):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", content_types)
        for name in parts:
            archive.writestr(name, b"<xml/>")
    return buffer.getvalue()


def plain_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("audit.pdf", PDF_BYTES)
        archive.writestr("run.exe", b"MZ")
    return buffer.getvalue()


def opendocument(mimetype):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", b"<office:document/>")
    return buffer.getvalue()


def picture(kind):
    """A real image: images are decoded and re-encoded, so a header alone is refused."""
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buffer, kind)
    return buffer.getvalue()


def stored_files(root):
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def plan(org, home, branch, manager):
    return PlanFactory(organisation=org, locations=[home, branch], owner=manager)


@pytest.fixture
def action(plan, home, manager):
    return ActionFactory(plan=plan, location=home, owner=manager, steps=2)


@pytest.fixture
def valid(action, manager):
    def build(**overrides):
        values = {
            "actor": manager,
            "action": action,
            "category": category("observation"),
            "kind": "observation",
            "purpose": "assurance",
            "title": "Observed 5 night medicine rounds",
            "collected_on": today(),
            "summary": "MAR signed at the time on every round.",
        }
        return {**values, **overrides}

    return build


# Evidence


def test_evidence_with_files_is_stored_under_server_names_with_hashes_and_audited(valid, action, manager, org, media):
    pdf = upload("Night round observations.pdf", PDF_BYTES, "application/pdf")
    png = upload("photo of chart.png", PNG_BYTES, "image/png")

    item = add_evidence(**valid(files=[pdf, png]))

    assert (item.plan, item.location, item.organisation) == (action.plan, action.location, org)
    assert (item.collected_by, item.added_by) == (manager, manager)
    files = {f.original_name: f for f in item.files.all()}
    assert set(files) == {"Night round observations.pdf", "photo of chart.png"}
    stored_pdf = files["Night round observations.pdf"]
    assert stored_pdf.content_type == "application/pdf"
    assert stored_pdf.size == len(PDF_BYTES)
    assert stored_pdf.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert files["photo of chart.png"].content_type == "image/png"
    assert stored_pdf.file.name.startswith(f"evidence/{org.pk}/")
    assert "Night" not in stored_pdf.file.name and not stored_pdf.file.name.endswith(".pdf")
    assert (media / stored_pdf.file.name).read_bytes() == PDF_BYTES
    [event] = events("evidence.added", item)
    assert event.actor == manager
    assert event.data["title"] == "Observed 5 night medicine rounds"
    assert event.data["category"] == "observation"
    assert (event.data["purpose"], event.data["kind"]) == ("assurance", "observation")
    # Of the bytes stored: the PNG is re-encoded.
    assert sorted(f["sha256"] for f in event.data["files"]) == sorted(f.sha256 for f in files.values())


def test_a_file_named_pdf_that_contains_a_web_page_is_refused_and_nothing_is_kept(valid, media):
    page = upload("audit.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "application/pdf")
    before = counts()

    with pytest.raises(ValidationError) as error:
        add_evidence(**valid(files=[upload("fine.pdf", PDF_BYTES), page]))

    [message] = error.value.message_dict["files"]
    assert message.startswith("audit.pdf cannot be uploaded. It looks like a web page or markup")
    assert counts() == before
    assert stored_files(media) == []


@pytest.mark.parametrize(
    "name,content,expected",
    [
        ("scan.PDF", PDF_BYTES, "application/pdf"),
        ("no-extension", PNG_BYTES, "image/png"),
        ("photo.jpg", picture("JPEG"), "image/jpeg"),
        ("chart.gif", picture("GIF"), "image/gif"),
        (
            "audit.docx",
            office_file(["word/document.xml"]),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "results.xlsx",
            office_file(["xl/workbook.xml"]),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "slides.pptx",
            office_file(["ppt/presentation.xml"]),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        (
            "minutes.odt",
            opendocument(b"application/vnd.oasis.opendocument.text"),
            "application/vnd.oasis.opendocument.text",
        ),
        (
            "audit.ods",
            opendocument(b"application/vnd.oasis.opendocument.spreadsheet"),
            "application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("readings.csv", "week,value\n2026-11-01,91\nCafé,95\n".encode(), "text/csv"),
        ("notes.txt", b"Observed round, all signed.\n", "text/plain"),
    ],
)
def test_allowed_types_are_recognised_from_their_content(name, content, expected):
    assert check_upload(upload(name, content)).content_type == expected


@pytest.mark.parametrize(
    "name,content,why",
    [
        ("picture.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>', "web page or markup"),
        ("notes.txt", b"  \n<html><body>hi</body></html>", "web page or markup"),
        ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "not a type that is accepted"),
        ("bundle.zip", plain_zip(), "zip archive"),
        ("macro.docx", office_file(["word/document.xml", "word/vbaProject.bin"]), "contains macros"),
        ("macro.xlsx", office_file(["xl/workbook.xml"], b"<Types>macroEnabled.12</Types>"), "contains macros"),
        ("talk.odp", opendocument(b"application/vnd.oasis.opendocument.presentation"), "OpenDocument file"),
        ("latin1.csv", "Café,95\n".encode("latin-1"), "not a type that is accepted"),
        ("binary.txt", b"abc\x00def", "not a type that is accepted"),
        ("empty.pdf", b"", "It is empty."),
        ("broken.docx", b"PK\x03\x04 this is not really a zip", "damaged or unsupported archive"),
    ],
)
def test_other_content_is_refused_whatever_its_name(name, content, why):
    with pytest.raises(ValidationError) as error:
        check_upload(upload(name, content))

    assert error.value.messages[0].startswith(f"{name} cannot be uploaded.")
    assert why in error.value.messages[0]


def test_files_over_the_size_limit_are_refused(valid, settings, media):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 2048
    before = counts()

    with pytest.raises(ValidationError) as error:
        add_evidence(**valid(files=[upload("big.pdf", PDF_BYTES + b" " * 4096)]))

    assert error.value.message_dict["files"] == ["big.pdf is 4 KB; files can be up to 2 KB."]
    assert counts() == before
    assert check_upload(upload("small.pdf", PDF_BYTES)).size == len(PDF_BYTES)


def test_plan_level_evidence_may_name_one_of_the_plans_locations(valid, plan, branch, org, other_manager):
    from qip.tests.factories import LocationFactory

    # Riverside's registered manager: Oak House's may not add evidence from Riverside.
    item = add_evidence(
        **valid(actor=other_manager, action=None, plan=plan, location=branch, kind="governance_minutes")
    )
    assert (item.plan, item.action, item.location) == (plan, None, branch)

    elsewhere = LocationFactory(organisation=org, name="Elm Lodge")
    with pytest.raises(ValidationError) as error:
        add_evidence(**valid(action=None, plan=plan, location=elsewhere))
    assert error.value.message_dict["location"] == ["Choose one of the plan's locations."]


def test_evidence_for_an_action_is_from_the_actions_location(valid, branch):
    with pytest.raises(ValidationError) as error:
        add_evidence(**valid(location=branch))

    assert error.value.message_dict["location"] == ["This action is at Oak House; evidence for it is from there."]


@pytest.mark.parametrize("both", [True, False])
def test_evidence_belongs_to_an_action_or_a_plan(valid, plan, both):
    before = counts()

    with pytest.raises(ValidationError) as error:
        add_evidence(**valid(plan=plan) if both else valid(action=None))

    assert error.value.messages == ["Add evidence to an action or to a plan (one of the two)."]
    assert counts() == before


def test_bad_evidence_is_refused_field_by_field_and_nothing_is_written(valid):
    framework = Framework.objects.create(code="old", name="Old framework")
    old_category = EvidenceCategory.objects.create(framework=framework, slug="observation", name="Observation", order=1)
    before = counts()

    with pytest.raises(ValidationError) as error:
        add_evidence(
            **valid(
                category=old_category,
                kind="gossip",
                purpose="decoration",
                title=" ",
                collected_on=today() + timedelta(days=1),
            )
        )

    assert error.value.message_dict == {
        "category": ["Choose one of the CQC evidence categories."],
        "kind": ["Choose what kind of evidence this is."],
        "purpose": ["Say whether this shows a task happened (activity) or that practice changed (assurance)."],
        "title": ["This field cannot be blank."],
        "collected_on": ["The date collected cannot be in the future."],
    }
    assert counts() == before


def test_evidence_can_assure_one_of_the_actions_steps_only(valid, action, plan, manager):
    step = action.steps.first()
    assert add_evidence(**valid(assures_step=step)).assures_step == step

    other = StepFactory(action=ActionFactory(plan=plan, owner=manager))
    with pytest.raises(ValidationError) as error:
        add_evidence(**valid(assures_step=other))
    assert error.value.message_dict["assures_step"] == ["Choose one of this action's steps."]


def test_a_closed_plan_takes_no_new_plan_level_evidence(valid, plan, action):
    Plan.objects.filter(pk=plan.pk).update(status="closed", closed_at=timezone.now())
    before = counts()

    with pytest.raises(ValidationError) as error:
        add_evidence(**valid(action=None, plan=plan))

    assert error.value.messages == [
        f"{plan.reference} is closed; add evidence to one of its actions for a post-closure check."
    ]
    assert counts() == before


def test_a_closed_plans_actions_still_take_evidence_for_their_post_closure_checks(valid, plan, action):
    Plan.objects.filter(pk=plan.pk).update(status="closed", closed_at=timezone.now())
    item = add_evidence(**valid(title="90-day check: MAR audit"))
    assert item.plan == plan


def test_a_closed_action_still_takes_evidence_for_its_post_closure_checks(valid, action, ni):
    close_action(action, signer=ni)

    item = add_evidence(**valid(title="30-day check: 10 MAR charts audited"))

    assert item.action.status == "closed"


# Withdrawing


def test_withdrawn_evidence_keeps_its_row_and_files(valid, manager, quality, media):
    item = add_evidence(**valid(files=[upload("audit.pdf", PDF_BYTES)]))
    stored = stored_files(media)

    withdraw_evidence(actor=quality, evidence=item, reason="The wrong month's audit was attached")

    item.refresh_from_db()
    assert item.is_withdrawn
    assert (item.withdrawn_by, item.withdrawn_reason) == (quality, "The wrong month's audit was attached")
    assert item.files.count() == 1
    assert stored_files(media) == stored
    assert EvidenceItem.objects.current().filter(pk=item.pk).exists() is False
    [event] = events("evidence.withdrawn", item)
    assert event.actor == quality
    assert event.data == {"title": "Observed 5 night medicine rounds", "reason": "The wrong month's audit was attached"}


def test_withdrawing_needs_a_reason_and_happens_once(valid, quality):
    item = add_evidence(**valid())
    before = counts()

    with pytest.raises(ValidationError) as error:
        withdraw_evidence(actor=quality, evidence=item, reason="  ")
    assert error.value.message_dict["reason"] == [
        "Say why this evidence is being withdrawn; the evidence itself is kept."
    ]
    assert counts() == before

    withdraw_evidence(actor=quality, evidence=item, reason="Duplicate")
    with pytest.raises(ValidationError) as error:
        withdraw_evidence(actor=quality, evidence=item, reason="Again")
    assert error.value.messages[0].startswith("This evidence was already withdrawn on ")
    assert len(events("evidence.withdrawn", item)) == 1


# Measures


def test_a_measure_is_created_and_audited(action, manager):
    measure = create_measure(
        actor=manager,
        action=action,
        name="MAR entries signed at the time",
        target=95,
        unit="%",
        baseline_value=70,
        baseline_date=today() - timedelta(days=30),
        data_source="Weekly MAR audit",
    )

    assert (measure.target, measure.direction, measure.frequency) == (95, "higher", "weekly")
    [event] = events("measure.created", measure)
    assert event.data["target"] == 95
    assert event.data["name"] == "MAR entries signed at the time"


def test_an_action_has_one_measure_and_bad_measures_are_refused(action, manager):
    before = counts()
    with pytest.raises(ValidationError) as error:
        create_measure(
            actor=manager, action=action, name="", target=float("nan"), direction="sideways", frequency="hourly"
        )
    assert set(error.value.message_dict) == {"name", "target", "direction", "frequency"}
    assert error.value.message_dict["target"] == ["Give the target as a number, for example 95."]
    assert counts() == before

    MeasureFactory(action=action)
    with pytest.raises(ValidationError) as error:
        create_measure(actor=manager, action=action, name="Another", target=1)
    assert error.value.messages == ["This action already has a measure; change that one instead."]


def test_before_the_action_starts_the_target_changes_without_a_reason(action, manager):
    measure = MeasureFactory(action=action)

    update_measure(actor=manager, measure=measure, target=98.0)

    [event] = events("measure.changed", measure)
    assert event.data == {"changes": {"target": [95.0, 98.0]}, "reason": "", "after_start": False}


def test_after_the_action_starts_moving_the_target_or_direction_needs_a_reason(action, manager):
    measure = MeasureFactory(action=action)
    Action.objects.filter(pk=action.pk).update(status="in_progress", started_at=timezone.now())
    before = counts()

    for change in ({"target": 90.0}, {"direction": "lower"}):
        with pytest.raises(ValidationError) as error:
            update_measure(actor=manager, measure=measure, **change)
        assert "say why the target or direction is changing" in error.value.message_dict["reason"][0]
    assert counts() == before
    assert Measure.objects.get(pk=measure.pk).target == 95.0

    update_measure(actor=manager, measure=measure, data_source="eMAR report")  # not a goalpost: no reason needed
    update_measure(actor=manager, measure=measure, target=90.0, reason="Agency nights excluded from the audit")

    last = events("measure.changed", measure)[-1]
    assert last.data == {
        "changes": {"target": [95.0, 90.0]},
        "reason": "Agency nights excluded from the audit",
        "after_start": True,
    }


# Readings


@pytest.fixture
def measure(action):
    return MeasureFactory(action=action, unit="%", target=95.0)


def test_a_reading_from_a_numerator_and_denominator_is_a_percentage(measure, manager, home):
    reading = record_reading(actor=manager, measure=measure, period_end=date(2026, 11, 1), numerator=21, denominator=23)

    assert reading.value == 91.3
    assert reading.location == home
    [event] = events("reading.recorded", reading)
    assert event.data["value"] == 91.3
    assert (event.data["numerator"], event.data["denominator"]) == (21, 23)
    assert event.data["meets_target"] is False
    assert event.data["period_end"] == "2026-11-01"


def test_a_second_reading_for_the_same_week_is_refused_and_the_first_kept(measure, manager):
    record_reading(actor=manager, measure=measure, period_end=date(2026, 11, 3), value=91.0)
    before = counts()

    with pytest.raises(ValidationError) as error:
        record_reading(actor=manager, measure=measure, period_end=date(2026, 11, 3), value=99.0)

    [message] = error.value.message_dict["period_end"]
    assert message.startswith("A reading for the week ending 3 Nov 2026 is already recorded (91%).")
    assert MeasureReading.objects.get(measure=measure).value == 91.0
    assert counts() == before


def test_a_reading_recorded_a_moment_earlier_by_someone_else_gets_the_same_message(measure, manager, monkeypatch):
    record_reading(actor=manager, measure=measure, period_end=date(2026, 11, 3), value=91.0)
    real, calls = services._existing_reading, []

    def check_misses_it_the_first_time(*args):  # their reading lands between our check and our write
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(services, "_existing_reading", check_misses_it_the_first_time)
    before = counts()

    with pytest.raises(ValidationError) as error:
        record_reading(actor=manager, measure=measure, period_end=date(2026, 11, 3), value=99.0)

    assert error.value.message_dict["period_end"][0].startswith("A reading for the week ending 3 Nov 2026")
    assert len(calls) == 2
    assert counts() == before


def test_a_monthly_measure_says_month(action, manager):
    measure = MeasureFactory(action=action, unit="falls", direction="lower", target=2, frequency="monthly")
    record_reading(actor=manager, measure=measure, period_end=date(2026, 10, 31), value=3)

    with pytest.raises(ValidationError) as error:
        record_reading(actor=manager, measure=measure, period_end=date(2026, 10, 31), value=1)

    assert error.value.message_dict["period_end"][0].startswith(
        "A reading for the month ending 31 Oct 2026 is already recorded (3 falls)."
    )


@pytest.mark.parametrize(
    "values,field,message",
    [
        ({"numerator": 5}, "denominator", "Give both the number that met the standard and the number checked"),
        ({"denominator": 5}, "numerator", "Give both the number that met the standard and the number checked"),
        ({"numerator": 6, "denominator": 5}, "numerator", "The number that met the standard (6) cannot be more"),
        ({"numerator": 1, "denominator": 0}, "denominator", "Give the number checked as a whole number, 1 or more."),
        ({}, "value", "Give the value, or the numerator and denominator."),
        ({"value": float("inf")}, "value", "Give the value as a number."),
        ({"value": 80, "numerator": 9, "denominator": 10}, "value", "9 of 10 is 90%, not 80%."),
        ({"value": 90, "period_end": "future"}, "period_end", "The period end cannot be in the future."),
    ],
)
def test_bad_readings_are_refused_and_nothing_is_written(measure, manager, values, field, message):
    values = {"period_end": date(2026, 11, 1), **values}
    if values["period_end"] == "future":
        values["period_end"] = today() + timedelta(days=1)
    before = counts()

    with pytest.raises(ValidationError) as error:
        record_reading(actor=manager, measure=measure, **values)

    assert error.value.message_dict[field][0].startswith(message)
    assert counts() == before


def test_readings_are_for_the_actions_location(measure, manager, branch):
    with pytest.raises(ValidationError) as error:
        record_reading(actor=manager, measure=measure, period_end=date(2026, 11, 1), value=96, location=branch)

    assert error.value.message_dict["location"] == ["This measure is for Oak House; record readings for there."]


# Concerns


@pytest.mark.parametrize(
    "status,effect",
    [
        ("open", "none"),
        ("in_progress", "window_restarted"),
        ("completed", "window_restarted"),
        ("assurance", "window_restarted"),
        ("awaiting_signoff", "window_restarted"),
        ("reopened", "window_restarted"),
    ],
)
def test_a_concern_records_its_effect_from_the_actions_status(action, manager, status, effect):
    Action.objects.filter(pk=action.pk).update(status=status)

    concern = log_concern(
        actor=manager, action=action, kind="incident", occurred_on=today(), summary="Missed evening dose"
    )

    assert concern.effect == effect
    action.refresh_from_db()
    assert action.reopen_proposed_at is None
    [event] = events("concern.logged", concern)
    assert event.data["effect"] == effect
    assert event.data["action_status"] == status
    assert event.data["kind"] == "incident"


def test_a_concern_after_closure_proposes_reopening(action, manager, ni):
    close_action(action, signer=ni)

    first = log_concern(
        actor=manager, action=action, kind="complaint", occurred_on=today(), summary="Family complaint: late dose"
    )

    action.refresh_from_db()
    assert first.effect == "reopen_proposed"
    proposed = action.reopen_proposed_at
    assert proposed is not None
    assert action.status == "closed"  # reopening is a decision, not an automatic move

    log_concern(actor=manager, action=action, kind="incident", occurred_on=today(), summary="Another late dose")
    action.refresh_from_db()
    assert action.reopen_proposed_at == proposed  # the first proposal stands


def test_bad_concerns_are_refused_and_nothing_is_written(action, manager):
    before = counts()

    with pytest.raises(ValidationError) as error:
        log_concern(actor=manager, action=action, kind="rumour", occurred_on=today() + timedelta(days=1), summary=" ")

    assert error.value.message_dict == {
        "kind": ["Choose what kind of concern this is."],
        "occurred_on": ["The date it happened cannot be in the future."],
        "summary": ["Say what happened."],
    }
    assert counts() == before


def test_factories_make_valid_evidence_for_others(action, media):
    item = EvidenceFactory(action=action, category="outcomes", files=[("audit.pdf", PDF_BYTES)])

    [stored] = item.files.all()
    assert item.category.slug == "outcomes"
    assert (stored.content_type, stored.sha256) == ("application/pdf", hashlib.sha256(PDF_BYTES).hexdigest())


def test_plan_evidence_without_a_location_is_seen_by_whoever_sees_the_plan(
    org, home, branch, manager, other_manager, outsider
):
    from evidence.models import EvidenceItem
    from qip.tests.domain_factories import EvidenceFactory, PlanFactory

    plan = PlanFactory(organisation=org, locations=[home], owner=manager, created_by=manager)
    item = EvidenceFactory(plan=plan, action=None, location=None)

    assert list(EvidenceItem.objects.for_user(manager, org)) == [item]
    assert not EvidenceItem.objects.for_user(other_manager, org).exists()
    assert not EvidenceItem.objects.for_user(outsider).exists()
