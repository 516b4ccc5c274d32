"""Evidence screens: add (one or several files), refusals beside the field, permission-checked
downloads, the evidence page, withdrawal with a reason, and query counts that do not grow with rows."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evidence import selectors, services
from evidence.models import EvidenceFile, EvidenceItem
from evidence.services import withdraw_evidence
from qip.models import AuditEvent
from qip.tenancy import forget_memberships
from qip.tests.domain_factories import (
    PDF_BYTES,
    PNG_BYTES,
    ActionFactory,
    EvidenceFactory,
    PlanFactory,
    StepFactory,
    evidence_category,
)

HTML_PAGE = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


@pytest.fixture
def plan(org, home, manager):
    return PlanFactory(organisation=org, locations=[home], owner=manager, created_by=manager)


@pytest.fixture
def action(plan, home, manager, staff):
    action = ActionFactory(plan=plan, location=home, owner=manager, created_by=manager, steps=0)
    StepFactory(action=action, who=staff, order=0, what="Observe 5 medicine rounds a week")
    return action


@pytest.fixture
def evidence(action):
    return EvidenceFactory(action=action, files=[("mar-audit.pdf", PDF_BYTES)])


def form_data(collected_by, **overrides):
    return {
        "title": "Observed medicine round, week 3",
        "category": evidence_category("observation").pk,
        "kind": "observation",
        "purpose": "assurance",
        "collected_on": timezone.localdate().isoformat(),
        "collected_by": collected_by.pk,
        "summary": "5 of 5 administrations signed at the time.",
        "recorded_where": "Practice competency log",
        "people_named": "",
        **overrides,
    }


def pdf(name="audit.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def field_block(body, name):
    """The HTML of one crispy field (from its wrapper div to the next field), to check a message is beside it."""
    start = body.index(f'id="div_id_{name}"')
    following = body.find('id="div_id_', start + 1)
    return body[start : following if following != -1 else len(body)]


# Adding evidence


def test_add_form_explains_categories_purpose_files_and_defaults_to_me(client, manager, action):
    client.force_login(manager)

    response = client.get(reverse("evidence_add", args=[action.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<h1") == 1
    assert 'enctype="multipart/form-data"' in body
    assert re.search(r'<input type="file" name="files"[^>]* multiple', body)
    assert "each up to 20 MB" in field_block(body, "files")
    for name in ("Observation — care seen as it happens", "Processes — audits", "Outcomes — results for people"):
        assert name in body
    assert "Assurance — shows practice has changed (an audit, an observation, feedback)" in body
    assert "Activity — shows a task happened (training attended, policy updated); listed but never counts" in body
    assert "left out of redacted packs" in field_block(body, "people_named")
    assert "Observe 5 medicine rounds a week" in field_block(body, "assures_step")
    form = response.context["form"]
    assert form["collected_by"].value() == manager.pk
    assert len(form.fields["category"].queryset) == 6


def test_manager_adds_evidence_with_one_file_and_it_is_stored_and_audited(client, manager, action, settings):
    client.force_login(manager)

    response = client.post(
        reverse("evidence_add", args=[action.pk]), {**form_data(manager), "files": pdf("mar-audit.pdf")}
    )

    assert response.status_code == 302
    assert response.url == reverse("action_detail", args=[action.pk])
    item = EvidenceItem.objects.get(action=action)
    assert (item.title, item.purpose, item.category.slug, item.location) == (
        "Observed medicine round, week 3",
        "assurance",
        "observation",
        action.location,
    )
    [stored] = item.files.all()
    assert (stored.original_name, stored.content_type, stored.size) == ("mar-audit.pdf", "application/pdf", 77)
    assert "mar-audit" not in stored.file.name  # stored under a server-made name
    assert len(stored_files(settings)) == 1
    assert AuditEvent.objects.filter(action="evidence.added").for_object(item).count() == 1


def test_staff_adds_several_files_at_once(client, staff, action):
    client.force_login(staff)
    files = [pdf("audit-week-1.pdf"), SimpleUploadedFile("photo.png", PNG_BYTES, content_type="image/png")]

    response = client.post(reverse("evidence_add", args=[action.pk]), {**form_data(staff), "files": files})

    assert response.status_code == 302
    item = EvidenceItem.objects.get(action=action)
    assert [(f.original_name, f.content_type) for f in item.files.order_by("pk")] == [
        ("audit-week-1.pdf", "application/pdf"),
        ("photo.png", "image/png"),
    ]
    assert item.collected_by == staff
    assert item.added_by == staff


def test_evidence_can_name_the_step_it_assures(client, manager, action):
    client.force_login(manager)
    step = action.steps.get()

    client.post(reverse("evidence_add", args=[action.pk]), {**form_data(manager), "assures_step": step.pk})

    assert EvidenceItem.objects.get(action=action).assures_step == step


def test_a_step_of_another_action_is_refused_beside_the_field(client, manager, action, plan, home):
    other = StepFactory(action=ActionFactory(plan=plan, location=home, owner=manager, created_by=manager))
    client.force_login(manager)

    response = client.post(reverse("evidence_add", args=[action.pk]), {**form_data(manager), "assures_step": other.pk})

    assert response.status_code == 200
    assert "Choose one of this action&#x27;s steps." in field_block(response.content.decode(), "assures_step")
    assert not EvidenceItem.objects.exists()


def test_html_named_pdf_is_refused_beside_the_files_field_and_nothing_is_stored(client, manager, action, settings):
    client.force_login(manager)
    files = [pdf("good.pdf"), pdf("minutes.pdf", HTML_PAGE)]

    response = client.post(reverse("evidence_add", args=[action.pk]), {**form_data(manager), "files": files})

    assert response.status_code == 200
    block = field_block(response.content.decode(), "files")
    assert "minutes.pdf cannot be uploaded. It looks like a web page or markup" in block
    assert "invalid-feedback" in block
    assert "choose your files again" in response.content.decode()
    assert not EvidenceItem.objects.exists()
    assert not EvidenceFile.objects.exists()
    assert stored_files(settings) == []


def test_a_files_problem_found_by_the_service_is_shown_beside_the_files_field(client, manager, action, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError({"files": "scan.pdf changed while it was being checked."})

    monkeypatch.setattr(services, "add_evidence", refuse)
    client.force_login(manager)

    response = client.post(reverse("evidence_add", args=[action.pk]), {**form_data(manager), "files": pdf("scan.pdf")})

    assert "scan.pdf changed while it was being checked." in field_block(response.content.decode(), "files")


def test_every_refused_file_is_named_at_once(client, manager, action):
    client.force_login(manager)
    files = [pdf("one.pdf", HTML_PAGE), pdf("two.pdf", b"\x00\x01binary")]

    response = client.post(reverse("evidence_add", args=[action.pk]), {**form_data(manager), "files": files})

    block = field_block(response.content.decode(), "files")
    assert "one.pdf cannot be uploaded." in block and "two.pdf cannot be uploaded." in block


def test_a_file_over_the_size_limit_is_refused_beside_the_files_field(client, manager, action, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024
    client.force_login(manager)
    big = pdf("big-audit.pdf", PDF_BYTES + b"%" * 2048)

    assert "each up to 1 KB" in client.get(reverse("evidence_add", args=[action.pk])).content.decode()
    response = client.post(reverse("evidence_add", args=[action.pk]), {**form_data(manager), "files": big})

    assert response.status_code == 200
    assert "big-audit.pdf is 2 KB; files can be up to 1 KB." in field_block(response.content.decode(), "files")
    assert not EvidenceItem.objects.exists()
    assert stored_files(settings) == []


def test_missing_answers_and_a_future_date_are_shown_beside_their_fields(client, manager, action):
    client.force_login(manager)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    data = form_data(manager, title="", purpose="", kind="", collected_on=tomorrow)
    del data["category"]

    response = client.post(reverse("evidence_add", args=[action.pk]), data)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Give the evidence a title" in field_block(body, "title")
    assert "Choose one of the CQC evidence categories." in field_block(body, "category")
    assert "Choose what kind of evidence this is." in field_block(body, "kind")
    assert "Say whether this shows practice has changed" in field_block(body, "purpose")
    assert "The date collected cannot be in the future." in field_block(body, "collected_on")
    assert not EvidenceItem.objects.exists()


def test_only_people_who_work_there_can_be_named_as_collector(client, manager, action, viewer, other_manager, staff):
    client.force_login(manager)
    url = reverse("evidence_add", args=[action.pk])

    choices = set(client.get(url).context["form"].fields["collected_by"].queryset)
    response = client.post(url, form_data(viewer))

    assert staff in choices and manager in choices
    assert viewer not in choices and other_manager not in choices
    assert "Choose who collected it." in field_block(response.content.decode(), "collected_by")


def test_an_htmx_post_with_problems_gets_the_form_back_and_a_good_one_is_sent_on(client, manager, action):
    client.force_login(manager)
    url = reverse("evidence_add", args=[action.pk])

    problem = client.post(url, form_data(manager, title=""), headers={"HX-Request": "true"})
    done = client.post(url, form_data(manager), headers={"HX-Request": "true"})

    assert problem.status_code == 200
    assert "<html" not in problem.content.decode()
    assert "Give the evidence a title" in problem.content.decode()
    assert done["HX-Redirect"] == reverse("action_detail", args=[action.pk])


def test_plan_evidence_is_added_for_the_whole_plan(client, quality, plan):
    client.force_login(quality)
    url = reverse("plan_evidence_add", args=[plan.pk])

    form = client.get(url).context["form"]
    response = client.post(url, form_data(quality, kind="governance_minutes", category=evidence_category().pk))

    assert "assures_step" not in form.fields
    assert form.fields["location"].required is False
    assert response.status_code == 302
    assert response.url == reverse("plan_detail", args=[plan.pk])
    item = EvidenceItem.objects.get(plan=plan)
    assert item.action is None and item.location is None


def test_a_manager_of_one_location_says_where_plan_evidence_is_from(client, manager, plan, home):
    client.force_login(manager)
    url = reverse("plan_evidence_add", args=[plan.pk])

    missing = client.post(url, form_data(manager))
    client.post(url, form_data(manager, location=home.pk))

    assert "Choose the location this evidence is from." in field_block(missing.content.decode(), "location")
    assert EvidenceItem.objects.get(plan=plan).location == home


def test_viewer_and_admin_cannot_add_evidence(client, admin, viewer, action):
    client.force_login(admin)  # an organisation admin whose role is viewer
    assert client.get(reverse("evidence_add", args=[action.pk])).status_code == 403
    client.force_login(viewer)  # of branch: cannot see the action at all
    assert client.get(reverse("evidence_add", args=[action.pk])).status_code == 404


# Downloads


def test_download_by_a_member_who_can_see_it_is_an_audited_attachment(client, staff, evidence):
    file = evidence.files.get()
    client.force_login(staff)

    response = client.get(reverse("evidence_file_download", args=[file.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="mar-audit.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    [event] = AuditEvent.objects.filter(action="evidence.downloaded").for_object(file)
    assert event.actor == staff
    assert event.organisation_id == evidence.organisation_id
    assert event.data["evidence"] == evidence.pk
    assert event.data["file"] == "mar-audit.pdf"
    assert event.data["sha256"] == file.sha256


@pytest.mark.parametrize("persona", ["viewer", "other_manager", "outsider"])
def test_download_is_not_found_for_people_who_cannot_see_the_evidence(client, request, persona, evidence):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("evidence_file_download", args=[evidence.files.get().pk]))

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="evidence.downloaded").exists()


def test_download_needs_signing_in(client, evidence):
    response = client.get(reverse("evidence_file_download", args=[evidence.files.get().pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_withdrawn_evidence_still_downloads_and_its_page_says_withdrawn(client, manager, evidence):
    withdraw_evidence(actor=manager, evidence=evidence, reason="Uploaded to the wrong action.")
    client.force_login(manager)

    download = client.get(reverse("evidence_file_download", args=[evidence.files.get().pk]))
    page = client.get(reverse("evidence_detail", args=[evidence.pk])).content.decode()

    assert download.status_code == 200
    assert download.get("Content-Disposition").startswith("attachment")
    assert "Withdrawn " in page and "Uploaded to the wrong action." in page
    assert 'class="evidence-heading evidence-withdrawn"' in page


# The evidence page


def test_evidence_page_shows_its_fields_files_and_history(client, manager, staff, action):
    step = action.steps.get()
    client.force_login(staff)
    client.post(
        reverse("evidence_add", args=[action.pk]),
        {
            **form_data(staff, people_named="Mr A Smith", assures_step=step.pk),
            "files": [pdf("round.pdf"), SimpleUploadedFile("photo.png", PNG_BYTES)],
        },
    )
    item = EvidenceItem.objects.get()
    client.get(reverse("evidence_file_download", args=[item.files.first().pk]))
    client.force_login(manager)

    response = client.get(reverse("evidence_detail", args=[item.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<h1") == 1
    for text in (
        "Observed medicine round, week 3",
        "Observation",
        "Observation of practice",
        "Assurance — shows practice has changed; counts toward closure",
        "5 of 5 administrations signed at the time.",
        "Practice competency log",
        "Mr A Smith",
        "Step 1: Observe 5 medicine rounds a week",
        "Sam Staff",
        "round.pdf",
        "photo.png",
        item.files.first().sha256,
        "Evidence added with 2 files: round.pdf (77\xa0bytes), photo.png",
        "round.pdf downloaded",
        "Withdraw this evidence",
    ):
        assert text in body, text
    assert reverse("evidence_file_download", args=[item.files.first().pk]) in body
    assert '<th scope="col">SHA-256</th>' in body


def test_staff_see_the_evidence_page_without_the_withdraw_button(client, staff, evidence):
    client.force_login(staff)

    body = client.get(reverse("evidence_detail", args=[evidence.pk])).content.decode()

    assert "MAR audit: 10 charts" in body
    assert "Withdraw this evidence" not in body


# Withdrawing


def test_withdraw_asks_for_a_reason_beside_the_field(client, manager, evidence):
    client.force_login(manager)
    url = reverse("evidence_withdraw", args=[evidence.pk])

    page = client.get(url)
    response = client.post(url, {"reason": "   "})

    assert page.status_code == 200
    assert "Withdraw MAR audit: 10 charts?" in page.content.decode()
    assert "Say why this evidence is being withdrawn" in field_block(response.content.decode(), "reason")
    evidence.refresh_from_db()
    assert not evidence.is_withdrawn


def test_manager_withdraws_evidence_and_the_row_and_file_are_kept(client, manager, evidence, settings):
    client.force_login(manager)

    response = client.post(reverse("evidence_withdraw", args=[evidence.pk]), {"reason": "Audit sheet incomplete."})

    assert response.status_code == 302
    assert response.url == reverse("evidence_detail", args=[evidence.pk])
    evidence.refresh_from_db()
    assert evidence.is_withdrawn
    assert (evidence.withdrawn_by, evidence.withdrawn_reason) == (manager, "Audit sheet incomplete.")
    assert evidence.files.count() == 1
    assert len(stored_files(settings)) == 1
    assert AuditEvent.objects.filter(action="evidence.withdrawn").for_object(evidence).count() == 1
    again = client.post(reverse("evidence_withdraw", args=[evidence.pk]), {"reason": "Twice"}, follow=True)
    assert "already withdrawn" in again.content.decode()


def test_staff_cannot_withdraw_evidence(client, staff, evidence):
    client.force_login(staff)

    response = client.post(reverse("evidence_withdraw", args=[evidence.pk]), {"reason": "Not mine to withdraw"})

    assert response.status_code == 403
    evidence.refresh_from_db()
    assert not evidence.is_withdrawn


# The evidence list include


def render_list(user, org, action, *, can_withdraw=False):
    request = RequestFactory().get("/")
    request.user = user
    items = selectors.evidence_for_action(user, org, action)
    return render_to_string(
        "evidence/_evidence_list.html", {"evidence_items": items, "can_withdraw": can_withdraw}, request=request
    )


def test_evidence_list_shows_each_item_with_its_files_and_withdrawn_status(manager, org, action):
    current = EvidenceFactory(
        action=action, title="Observed round", category="observation", files=[("round.pdf", PDF_BYTES)]
    )
    training = EvidenceFactory(action=action, title="Training attended", purpose="activity", kind="training_record")
    withdraw_evidence(actor=manager, evidence=training, reason="Wrong home.")

    html = render_list(manager, org, action, can_withdraw=True)

    assert '<caption class="visually-hidden">' in html
    assert html.count('<th scope="col">') == 6
    assert reverse("evidence_detail", args=[current.pk]) in html
    assert reverse("evidence_file_download", args=[current.files.get().pk]) in html
    assert "round.pdf</a>" in html and "(77\xa0bytes)" in html
    assert ">Assurance<" in html and ">Activity<" in html
    withdrawn_date = timezone.localdate(training.__class__.objects.get(pk=training.pk).withdrawn_at)
    assert f"Withdrawn {withdrawn_date.day} {withdrawn_date:%b %Y}: Wrong home." in html
    assert '<tr class="evidence-withdrawn">' in html
    assert html.count(">Withdraw<span") == 1  # only the current item can be withdrawn
    assert reverse("evidence_withdraw", args=[current.pk]) in html
    assert "Withdraw<span" not in render_list(manager, org, action)


def test_empty_evidence_list_says_so(manager, org, action):
    assert "No evidence yet." in render_list(manager, org, action)


def test_evidence_for_plan_lists_plan_level_evidence_and_optionally_its_actions(quality, org, plan, action):
    own = EvidenceFactory(action=None, plan=plan, title="Governance minutes")
    of_action = EvidenceFactory(action=action)

    assert list(selectors.evidence_for_plan(quality, org, plan)) == [own]
    assert set(selectors.evidence_for_plan(quality, org, plan, include_actions=True)) == {own, of_action}


def test_other_organisations_and_locations_see_none_of_the_evidence(viewer, outsider, org, action, evidence):
    assert list(selectors.evidence_for_action(viewer, org, action)) == []
    assert list(selectors.evidence_for_action(outsider, org, action)) == []


# Query counts: the same whatever the number of rows


def _list_queries(user, org, action):
    forget_memberships(user)  # as in a request: the user's memberships are loaded afresh
    with CaptureQueriesContext(connection) as queries:
        render_list(user, org, action, can_withdraw=True)
    return len(queries)


def test_evidence_list_query_count_does_not_grow_with_items(manager, org, action):
    for _ in range(5):
        EvidenceFactory(action=action, files=[("a.pdf", PDF_BYTES), ("b.png", PNG_BYTES)])
    five = _list_queries(manager, org, action)
    for _ in range(45):
        EvidenceFactory(action=action, files=[("a.pdf", PDF_BYTES), ("b.png", PNG_BYTES)])

    fifty = _list_queries(manager, org, action)

    assert EvidenceItem.objects.filter(action=action).count() == 50
    assert five == fifty
    assert fifty <= 4


def _detail_queries(client, evidence):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("evidence_detail", args=[evidence.pk]))
    assert response.status_code == 200
    return len(queries)


def test_evidence_page_query_count_does_not_grow_with_files_or_history(client, manager, action):
    item = EvidenceFactory(action=action, files=[(f"f{n}.pdf", PDF_BYTES) for n in range(5)])
    client.force_login(manager)
    for file in item.files.all():
        client.get(reverse("evidence_file_download", args=[file.pk]))
    five = _detail_queries(client, item)
    for n in range(45):
        EvidenceFile.objects.create(
            evidence=item,
            file=item.files.first().file.name,
            original_name=f"more{n}.pdf",
            content_type="application/pdf",
            size=77,
            sha256=item.files.first().sha256,
            uploaded_by=manager,
        )
    for file in item.files.all()[5:]:
        client.get(reverse("evidence_file_download", args=[file.pk]))

    fifty = _detail_queries(client, item)

    assert item.files.count() == 50
    assert AuditEvent.objects.filter(action="evidence.downloaded").count() == 50
    assert five == fifty


def test_an_htmx_withdrawal_without_a_reason_gets_the_form_back(client, manager, evidence):
    client.force_login(manager)
    url = reverse("evidence_withdraw", args=[evidence.pk])

    problem = client.post(url, {"reason": ""}, headers={"HX-Request": "true"})
    done = client.post(url, {"reason": "Duplicate of the week 3 audit."}, headers={"HX-Request": "true"})

    assert "<html" not in problem.content.decode()
    assert "Say why this evidence is being withdrawn" in problem.content.decode()
    assert done["HX-Redirect"] == reverse("evidence_detail", args=[evidence.pk])
