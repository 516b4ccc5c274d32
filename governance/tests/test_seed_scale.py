"""seed_scale builds a whole care group in bulk: counts that scale, every status, a valid audit chain."""

import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from actions.models import Action, ActionStatus, Step
from evidence.models import EvidenceFile, EvidenceItem, MeasureReading
from governance.management.commands.seed_scale import PASSWORD
from governance.models import ClosureRequest, Decision, Kind, Notification, PostClosureCheck, Reopening
from qip import audit
from qip.models import AuditEvent, Location, Membership, Organisation, Plan, PlanStatus, Role, User

NAME = "Scale Care Group"


def seed(**options):
    out = StringIO()
    call_command("seed_scale", locations=2, stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_scale_builds_a_group_of_two_locations_that_holds_together():
    output = seed()
    organisation = Organisation.objects.get(name=NAME)

    # 200 locations give issue 9's figures, so 2 give a hundredth of them.
    assert Location.objects.filter(organisation=organisation).count() == 2
    assert Membership.objects.filter(organisation=organisation).count() == 60
    assert Plan.objects.filter(organisation=organisation).count() == 50
    actions = Action.objects.filter(plan__organisation=organisation)
    assert actions.count() == 500
    assert Step.objects.filter(action__plan__organisation=organisation).count() == 2000
    assert EvidenceItem.objects.filter(organisation=organisation).count() == 1500
    assert MeasureReading.objects.filter(measure__action__plan__organisation=organisation).count() == 5000
    assert "total" in output

    roles = set(Membership.objects.filter(organisation=organisation).values_list("role", flat=True))
    assert roles == set(Role.values)
    assert set(actions.values_list("status", flat=True)) == set(ActionStatus.values)
    assert set(Plan.objects.filter(organisation=organisation).values_list("status", flat=True)) == set(
        PlanStatus.values
    )
    assert_closures_are_signed(actions)

    reports = audit.verify_all()
    assert all(report.intact for report in reports), [report.problem for report in reports]
    events = AuditEvent.objects.filter(organisation=organisation)
    assert events.filter(action="plan.created").count() == 50
    assert events.filter(action="action.created").count() == 500
    assert events.filter(action="evidence.added").count() == 1500
    assert events.filter(action="reading.recorded").count() == 5000
    check = StringIO()
    call_command("verify_audit_chain", stdout=check)
    assert "chain intact" in check.getvalue()

    assert_files_are_stored_with_their_sha256(organisation)
    assert_printed_logins_work(output)
    # The hourly reminder sweeps ran once, so overdue work has reached the people who own it.
    overdue = Step.objects.filter(
        action__plan__organisation=organisation, done_at__isnull=True, due_date__lt=timezone.localdate()
    )
    assert overdue.exists()
    assert Notification.objects.filter(organisation=organisation, kind=Kind.STEP_OVERDUE).exists()

    with pytest.raises(CommandError, match="already exists"):
        seed()
    assert Organisation.objects.filter(name=NAME).count() == 1


def assert_closures_are_signed(actions):
    closed = actions.filter(status=ActionStatus.CLOSED)
    assert closed.exists()
    assert not closed.filter(closing_signoff__isnull=True).exists()
    assert not closed.exclude(closing_signoff__decision=Decision.APPROVED).exists()
    assert PostClosureCheck.objects.filter(action__in=closed).count() == 2 * closed.count()
    reopened = actions.filter(status=ActionStatus.REOPENED)
    assert Reopening.objects.filter(action__in=reopened).count() == reopened.count()
    waiting = actions.filter(status=ActionStatus.AWAITING_SIGNOFF)
    assert ClosureRequest.objects.filter(action__in=waiting, status="pending").count() == waiting.count()


def assert_files_are_stored_with_their_sha256(organisation):
    files = EvidenceFile.objects.filter(evidence__organisation=organisation)
    assert 100 <= files.count() <= 200  # about one evidence item in ten
    for record in files:
        content = Path(record.file.path).read_bytes()
        assert len(content) == record.size < 1000
        assert hashlib.sha256(content).hexdigest() == record.sha256
        assert record.file.name.endswith(record.sha256)  # the server's name, not the uploader's


def assert_printed_logins_work(output):
    assert f"password for all: {PASSWORD}" in output
    for role in ("ni.1@", "quality.1@", "manager.1@", "staff.1.1@", "viewer.1.1@"):
        line = next(line for line in output.splitlines() if role in line)
        user = User.objects.get(email=line.split()[0])
        assert user.check_password(PASSWORD)
