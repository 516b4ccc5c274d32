"""Asking for a commissioner pack, its build and progress, the list of packs, and the audited download."""

import hashlib
import io
from datetime import timedelta

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance import packs, services_packs
from governance.models import Pack, PackStatus
from governance.tests.pack_fixtures import ready_pack
from qip.models import AuditEvent
from qip.tests.domain_factories import ActionFactory, PlanFactory


def _text(pdf):
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _form(**overrides):
    today = timezone.localdate()
    data = {
        "scope": "organisation",
        "date_from": (today - timedelta(days=365)).isoformat(),
        "date_to": today.isoformat(),
        "include_closed": "on",
        "redact": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_a_one_plan_pack_is_built_while_the_quality_lead_waits(client, quality, two_sites, home):
    at_home, _ = two_sites
    client.force_login(quality)
    response = client.post(reverse("pack_list"), _form(scope="plans", plans=[at_home.pk]))
    pack = Pack.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("pack_detail", args=[pack.pk])
    assert pack.status == PackStatus.READY
    assert pack.reference == f"PACK-{timezone.localdate().year}-0001"
    pdf = pack.file.read()
    assert pack.size == len(pdf) and pack.sha256 == hashlib.sha256(pdf).hexdigest()
    assert pack.page_count == len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 4
    assert "Oak House falls huddles" in _text(pdf)
    assert list(pack.locations.all()) == [home]
    page = client.get(response["Location"]).content.decode()
    assert "Ready" in page and pack.sha256 in page and reverse("pack_download", args=[pack.pk]) in page
    assert [event.data["plans"] for event in _events("pack.requested")] == [[at_home.reference]]
    assert _events("pack.built")[0].data["sha256"] == pack.sha256


def test_the_download_is_the_stored_file_as_an_audited_attachment(client, ni, two_sites):
    client.force_login(ni)
    client.post(reverse("pack_list"), _form(scope="plans", plans=[two_sites[0].pk]))
    pack = Pack.objects.get()
    response = client.get(reverse("pack_download", args=[pack.pk]))
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{pack.reference}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert hashlib.sha256(body).hexdigest() == pack.sha256
    [download] = _events("pack.downloaded")
    assert download.actor == ni and download.object_id == str(pack.pk)


def test_a_bigger_pack_goes_to_the_worker_and_its_page_polls_for_progress(
    client, quality, two_sites, django_capture_on_commit_callbacks
):
    client.force_login(quality)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("pack_list"), _form())
    pack = Pack.objects.get()
    assert pack.status == PackStatus.QUEUED and pack.plans.count() == 2
    page = client.get(reverse("pack_detail", args=[pack.pk])).content.decode()
    assert "Waiting for the worker" in page
    assert f'hx-get="{reverse("pack_detail", args=[pack.pk])}"' in page
    assert '<meta http-equiv="refresh"' in page  # inside <noscript>: reloads without JavaScript

    callbacks[0]()  # the worker's turn (tasks run eagerly in tests)
    fragment = client.get(reverse("pack_detail", args=[pack.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and "hx-get" not in fragment  # finished: polling stops
    assert "Ready" in fragment and "Download PACK-" in fragment
    text = _text(Pack.objects.get().file.read())
    assert "Oak House falls huddles" in text and "Branch falls huddles" in text


def test_progress_is_reported_plan_by_plan_then_layout_and_writing(monkeypatch, quality, org, two_sites):
    pack = services_packs.request_pack(
        actor=quality,
        organisation=org,
        scope="organisation",
        date_from=timezone.localdate() - timedelta(days=30),
        date_to=timezone.localdate(),
        include_closed=True,
        redact=True,
    )
    seen = []
    real = services_packs._report

    def report(pack_id, stage, progress):
        real(pack_id, stage, progress)
        row = Pack.objects.get(pk=pack_id)
        seen.append((row.status, row.stage, row.progress))

    monkeypatch.setattr(services_packs, "_report", report)
    services_packs.build_pack(pack.pk)
    assert seen == [
        ("building", "Gathering plan 1 of 2", 20),
        ("building", "Gathering plan 2 of 2", 40),
        ("building", "Laying out the pages", 40),
        ("building", "Writing the PDF file", 90),
    ]
    pack.refresh_from_db()
    assert (pack.status, pack.progress, pack.stage) == ("ready", 100, "")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"scope": "locations"}, "locations", "Choose at least one location."),
        ({"scope": "plans"}, "plans", "Choose at least one plan."),
        ({"scope": None}, "scope", "Choose what the pack covers."),
        ({"scope": "everything"}, "scope", "Choose what the pack covers."),
        ({"date_to": "2999-01-01"}, "date_to", "The period cannot end in the future."),
        ({"date_from": "2026-06-02", "date_to": "2026-06-01"}, "date_to", "on or after its start"),
        ({"date_from": "not a date"}, "date_from", "Enter a date"),
        ({"date_from": "2001-01-01", "date_to": "2001-12-31"}, "date_from", "No plan in this scope was live"),
    ],
)
def test_bad_requests_are_explained_beside_the_field_and_make_nothing(
    client, quality, two_sites, overrides, field, message
):
    client.force_login(quality)
    response = client.post(reverse("pack_list"), _form(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    assert f'id="error_1_id_{field}"' in response.content.decode() or f"id_{field}" in response.content.decode()
    assert not Pack.objects.exists()
    assert not _events("pack.requested")


def test_a_plan_or_location_the_lead_cannot_see_is_refused(client, org, branch, two_sites, foreign_org, outsider):
    from qip.tests.factories import MembershipFactory, UserFactory

    home_lead = UserFactory()
    MembershipFactory(user=home_lead, organisation=org, role="quality_lead", locations=[two_sites[0].locations.get()])
    foreign_plan = PlanFactory(organisation=foreign_org, owner=outsider)
    client.force_login(home_lead)
    for data in (
        _form(scope="plans", plans=[two_sites[1].pk]),
        _form(scope="plans", plans=[foreign_plan.pk]),
        _form(scope="locations", locations=[branch.pk]),
    ):
        response = client.post(reverse("pack_list"), data)
        assert response.status_code == 200
        assert "from the list" in str(response.context["form"].errors)
    assert not Pack.objects.exists()


def test_only_quality_leads_and_nominated_individuals_make_packs(client, manager, viewer, two_sites):
    for person in (manager, viewer):
        client.force_login(person)
        assert client.post(reverse("pack_list"), _form()).status_code == 403
        page = client.get(reverse("pack_list")).content.decode()
        assert "Make a pack" not in page and "Quality leads and nominated individuals make them" in page
    assert not Pack.objects.exists()


def test_a_location_pack_holds_only_that_locations_actions_and_only_its_people_see_it(
    client, quality, org, home, branch, two_sites, viewer, manager
):
    # A plan at both locations: the branch pack has its branch action only.
    shared = PlanFactory(organisation=org, locations=[home, branch], owner=quality, title="Shared falls plan")
    ActionFactory(plan=shared, location=home, title="Shared plan home action")
    ActionFactory(plan=shared, location=branch, title="Shared plan branch action")
    client.force_login(quality)
    with_branch = {"scope": "locations", "locations": [branch.pk]}
    client.post(reverse("pack_list"), _form(**with_branch) | {"include_closed": ""})
    pack = Pack.objects.get()
    services_packs.build_pack(pack.pk)  # two plans: the worker's job
    pack.refresh_from_db()
    text = _text(pack.file.read())
    assert "Branch falls huddles" in text and "Shared plan branch action" in text
    assert "Oak House falls huddles" not in text and "Shared plan home action" not in text
    assert "Location: " + branch.name in text
    assert list(pack.locations.all()) == [branch]

    home_pack = ready_pack(organisation=org, requested_by=quality, locations=[home], reference="PACK-2026-0099")
    client.force_login(viewer)  # a viewer of the branch: a commissioner
    listing = client.get(reverse("pack_list")).content.decode()
    assert pack.reference in listing and home_pack.reference not in listing
    assert client.get(reverse("pack_download", args=[pack.pk])).status_code == 200
    assert client.get(reverse("pack_download", args=[home_pack.pk])).status_code == 404
    client.force_login(manager)  # registered manager of home only
    assert client.get(reverse("pack_detail", args=[pack.pk])).status_code == 404
    assert client.get(reverse("pack_detail", args=[home_pack.pk])).status_code == 200


def test_a_failed_build_says_so_and_can_be_built_again(client, monkeypatch, ni, two_sites):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(packs, "build_pack_pdf", broken)
    client.force_login(ni)
    client.post(reverse("pack_list"), _form(scope="plans", plans=[two_sites[0].pk]))
    pack = Pack.objects.get()
    assert pack.status == PackStatus.FAILED and not pack.file
    page = client.get(reverse("pack_detail", args=[pack.pk])).content.decode()
    assert "Could not be built" in page and "Build it again" in page
    assert "disk full" not in page  # the detail is in the log, not shown
    assert client.get(reverse("pack_download", args=[pack.pk])).status_code == 404

    monkeypatch.undo()
    response = client.post(reverse("pack_retry", args=[pack.pk]), follow=True)
    pack.refresh_from_db()
    assert pack.status == PackStatus.READY and pack.page_count > 0
    assert "is being built again" in response.content.decode()
    assert [event.action for event in AuditEvent.objects.filter(action__startswith="pack.").order_by("seq")] == [
        "pack.requested",
        "pack.failed",
        "pack.retried",
        "pack.built",
    ]


def test_a_built_pack_is_never_built_again_or_replaced(client, quality, org, home):
    pack = ready_pack(organisation=org, requested_by=quality, locations=[home])
    before = (pack.file.name, pack.sha256)
    assert services_packs.build_pack(pack.pk) is None
    client.force_login(quality)
    response = client.post(reverse("pack_retry", args=[pack.pk]), follow=True)
    assert "This pack is not stuck" in response.content.decode()
    pack.refresh_from_db()
    assert (pack.file.name, pack.sha256, pack.status) == (*before, PackStatus.READY)


def test_a_build_whose_claim_was_taken_over_drops_its_result(monkeypatch, quality, org, two_sites):
    pack = services_packs.request_pack(
        actor=quality,
        organisation=org,
        scope="plans",
        plans=[two_sites[0]],
        date_from=timezone.localdate() - timedelta(days=30),
        date_to=timezone.localdate(),
        include_closed=True,
        redact=False,
    )
    real = services_packs._render

    def slow_render(row):
        result = real(row)
        # Meanwhile the build was thought dead, and another worker claimed it.
        Pack.objects.filter(pk=row.pk).update(started_at=timezone.now() + timedelta(seconds=1))
        return result

    monkeypatch.setattr(services_packs, "_render", slow_render)
    assert services_packs.build_pack(pack.pk) is None
    pack.refresh_from_db()
    assert pack.status == PackStatus.BUILDING and not pack.file and not pack.sha256


def test_a_stalled_build_can_be_tried_again(client, settings, quality, two_sites, django_capture_on_commit_callbacks):
    client.force_login(quality)
    settings.PACK_BUILD_NOW_MAX_PLANS = 0
    pack = services_packs.request_pack(
        actor=quality,
        organisation=quality.memberships.get().organisation,
        scope="organisation",
        date_from=timezone.localdate() - timedelta(days=30),
        date_to=timezone.localdate(),
        include_closed=True,
        redact=True,
    )
    Pack.objects.filter(pk=pack.pk).update(status=PackStatus.BUILDING, started_at=timezone.now() - timedelta(hours=1))
    page = client.get(reverse("pack_detail", args=[pack.pk])).content.decode()
    assert "has not finished in the time allowed" in page and "hx-get" not in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("pack_retry", args=[pack.pk]))
    pack.refresh_from_db()
    assert pack.status == PackStatus.READY


def test_the_list_of_packs_costs_the_same_whatever_its_length(client, quality, org, home):
    client.force_login(quality)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("pack_list")).status_code == 200
        return len(captured)

    ready_pack(organisation=org, requested_by=quality, locations=[home], reference="PACK-2026-0001")
    before = queries()
    for number in range(2, 8):
        ready_pack(organisation=org, requested_by=quality, locations=[home], reference=f"PACK-2026-{number:04d}")
    assert queries() == before


def test_make_pack_makes_a_stored_audited_pack_and_copies_it_out(tmp_path, org, quality, manager, two_sites):
    from django.core.management import CommandError, call_command

    target = tmp_path / "pack.pdf"
    out = io.StringIO()
    args = ["--organisation", org.name, "--plans", two_sites[1].reference, "--copy-to", str(target)]
    call_command("make_pack", *args, "--as", quality.email, stdout=out)
    pack = Pack.objects.get()
    assert pack.status == PackStatus.READY and pack.requested_by == quality
    assert hashlib.sha256(target.read_bytes()).hexdigest() == pack.sha256
    assert f"{pack.reference}: 1 plans, {pack.page_count} pages" in out.getvalue()
    assert "Branch falls huddles" in _text(target.read_bytes())
    assert [event.action for event in AuditEvent.objects.filter(action__startswith="pack.")] == [
        "pack.requested",
        "pack.built",
    ]
    with pytest.raises(CommandError, match="Only quality leads and nominated individuals"):
        call_command("make_pack", "--organisation", org.name, "--as", manager.email)
    with pytest.raises(CommandError, match="No plan in this scope"):
        call_command(
            "make_pack", "--organisation", org.name, "--as", quality.email, "--to", "2001-01-01", "--from", "2000-01-01"
        )
    assert Pack.objects.count() == 1


def test_a_plans_page_offers_a_pack_of_that_plan_to_those_who_make_packs(client, quality, manager, two_sites):
    at_home, _ = two_sites
    client.force_login(quality)
    link = f"{reverse('pack_list')}?plan={at_home.pk}#new-pack"
    assert link in client.get(reverse("plan_detail", args=[at_home.pk])).content.decode()
    form = client.get(link).context["form"]
    assert form["scope"].value() == "plans" and form["plans"].value() == [at_home.pk]
    assert client.get(f"{reverse('pack_list')}?plan=999999").context["form"]["scope"].value() == "organisation"
    client.force_login(manager)
    assert "Make a commissioner pack" not in client.get(reverse("plan_detail", args=[at_home.pk])).content.decode()
