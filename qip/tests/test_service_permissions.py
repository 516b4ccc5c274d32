"""Every write service asks qip.permissions first: who may, and that a refusal changes nothing.

The cast (conftest.py): `manager` runs Oak House (`home`), `other_manager` runs Riverside
(`branch`), `staff` works at Oak House, `viewer` reads Riverside, `admin` is an organisation
admin whose role is viewer, `quality` and `ni` cover the whole organisation, and `outsider`
is a registered manager of another organisation.

Registered managers and above manage plans, actions, steps, criteria and measures where they
work; staff and above add evidence, record readings and log concerns where they work; only
registered managers and above withdraw evidence; viewers do none of these; outsiders nothing.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from actions import services as action_services
from actions.models import Action, ClosureCriteria, Step
from evidence import services as evidence_services
from evidence.models import Concern, EvidenceFile, EvidenceItem, Measure, MeasureReading
from qip import permissions, plan_services
from qip.models import AuditEvent, EvidenceCategory, Plan
from qip.tests.domain_factories import ActionFactory, EvidenceFactory, PlanFactory

GOOD_TITLE = "Senior carer audits 10 MAR charts every week for 8 weeks; target 100% signed at administration"
MODELS = (Plan, Plan.locations.through, Action, Step, ClosureCriteria, EvidenceItem, EvidenceFile, Measure)
MODELS += (MeasureReading, Concern, AuditEvent)


def snapshot():
    """Every row of every table the services write, as values: equal snapshots mean nothing changed."""
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in MODELS}


def today():
    return timezone.localdate()


def category(slug="observation"):
    return EvidenceCategory.objects.get(framework__is_current=True, slug=slug)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world(org, home, branch, manager, other_manager, staff):
    """A plan at Oak House and one at Riverside, each with an action (a step, a measure, evidence)."""
    plan = PlanFactory(organisation=org, locations=[home], owner=manager)
    action = ActionFactory(plan=plan, location=home, owner=manager, steps=[{"who": staff}], measure=True)
    bare = ActionFactory(plan=plan, location=home, owner=manager)  # no measure yet
    branch_plan = PlanFactory(organisation=org, locations=[branch], owner=other_manager)
    branch_action = ActionFactory(plan=branch_plan, location=branch, owner=other_manager, measure=True)
    return {
        "org": org,
        "home": home,
        "branch": branch,
        "manager": manager,
        "plan": plan,
        "action": action,
        "bare": bare,
        "branch_plan": branch_plan,
        "branch_action": branch_action,
        "evidence": EvidenceFactory(action=action),
        "plan_evidence": EvidenceFactory(action=None, plan=plan, location=None),
    }


def _evidence(actor, **target):
    return evidence_services.add_evidence(
        actor=actor,
        category=category(),
        kind="observation",
        purpose="assurance",
        title="Observed 5 night medicine rounds",
        collected_on=today(),
        **target,
    )


def _reading(actor, action):
    return evidence_services.record_reading(actor=actor, measure=action.measure, period_end=today(), value=96.0)


def _concern(actor, action):
    return evidence_services.log_concern(
        actor=actor, action=action, kind="incident", occurred_on=today(), summary="MAR not signed on the night round."
    )


# name: (call(world, actor) -> the written object, its audit event, who may, who may not)
MANAGE = ["manager", "quality", "ni"]
NOT_MANAGE = ["staff", "viewer", "admin", "other_manager", "outsider"]
CONTRIBUTE_AT_HOME = ["staff", "manager", "quality", "ni"]
NOT_CONTRIBUTE_AT_HOME = ["viewer", "admin", "other_manager", "outsider"]
CONTRIBUTE_AT_BRANCH = ["other_manager", "quality", "ni"]
NOT_CONTRIBUTE_AT_BRANCH = ["staff", "viewer", "admin", "manager", "outsider"]

SERVICES = {
    "create_plan": (
        lambda w, actor: plan_services.create_plan(
            actor=actor,
            organisation=w["org"],
            title="Medicines administration records are complete",
            problem_statement="MAR charts had gaps on 6 of 20 charts sampled.",
            source="internal_audit",
            quality_area="medicines",
            risk_likelihood=4,
            risk_impact=3,
            owner=w["manager"],
            locations=[w["home"]],
        ),
        "plan.created",
        MANAGE,
        NOT_MANAGE,
    ),
    "update_plan": (
        lambda w, actor: plan_services.update_plan(actor=actor, plan=w["plan"], title="MAR charts signed on time"),
        "plan.changed",
        MANAGE,
        NOT_MANAGE,
    ),
    "create_action": (
        lambda w, actor: action_services.create_action(
            actor=actor,
            plan=w["plan"],
            location=w["home"],
            title=GOOD_TITLE,
            owner=w["manager"],
            due_date=today() + timedelta(days=56),
        ),
        "action.created",
        MANAGE,
        NOT_MANAGE,
    ),
    "update_action": (
        lambda w, actor: action_services.update_action(
            actor=actor, action=w["action"], baseline_issue="8 of 20 MAR charts had gaps."
        ),
        "action.changed",
        MANAGE,
        NOT_MANAGE,
    ),
    "update_step": (
        lambda w, actor: action_services.update_step(
            actor=actor, step=w["action"].steps.get(), recorded_where="medicines competency log"
        ),
        "step.changed",
        MANAGE,
        NOT_MANAGE,
    ),
    "change_criteria": (
        lambda w, actor: action_services.change_criteria(
            actor=actor, criteria=w["action"].criteria, min_evidence_categories=3
        ),
        "criteria.changed",
        MANAGE,
        NOT_MANAGE,
    ),
    "create_measure": (
        lambda w, actor: evidence_services.create_measure(
            actor=actor, action=w["bare"], name="MAR entries signed at the time", unit="%", target=95.0
        ),
        "measure.created",
        MANAGE,
        NOT_MANAGE,
    ),
    "update_measure": (
        lambda w, actor: evidence_services.update_measure(
            actor=actor, measure=w["action"].measure, data_source="Weekly MAR audit by the deputy"
        ),
        "measure.changed",
        MANAGE,
        NOT_MANAGE,
    ),
    "withdraw_evidence": (
        lambda w, actor: evidence_services.withdraw_evidence(
            actor=actor, evidence=w["evidence"], reason="The wrong month's audit was attached"
        ),
        "evidence.withdrawn",
        MANAGE,
        NOT_MANAGE,
    ),
    "withdraw_plan_evidence": (
        lambda w, actor: evidence_services.withdraw_evidence(
            actor=actor, evidence=w["plan_evidence"], reason="Minutes of the wrong meeting"
        ),
        "evidence.withdrawn",
        MANAGE,
        NOT_MANAGE,
    ),
    "add_evidence": (
        lambda w, actor: _evidence(actor, action=w["action"]),
        "evidence.added",
        CONTRIBUTE_AT_HOME,
        NOT_CONTRIBUTE_AT_HOME,
    ),
    "add_plan_evidence": (
        lambda w, actor: _evidence(actor, plan=w["plan"], location=w["home"]),
        "evidence.added",
        CONTRIBUTE_AT_HOME,
        NOT_CONTRIBUTE_AT_HOME,
    ),
    "record_reading": (
        lambda w, actor: _reading(actor, w["action"]),
        "reading.recorded",
        CONTRIBUTE_AT_HOME,
        NOT_CONTRIBUTE_AT_HOME,
    ),
    "log_concern": (
        lambda w, actor: _concern(actor, w["action"]),
        "concern.logged",
        CONTRIBUTE_AT_HOME,
        NOT_CONTRIBUTE_AT_HOME,
    ),
    # At Riverside: staff of Oak House may not, and the viewer who reads Riverside may not either.
    "add_evidence_at_branch": (
        lambda w, actor: _evidence(actor, action=w["branch_action"]),
        "evidence.added",
        CONTRIBUTE_AT_BRANCH,
        NOT_CONTRIBUTE_AT_BRANCH,
    ),
    "record_reading_at_branch": (
        lambda w, actor: _reading(actor, w["branch_action"]),
        "reading.recorded",
        CONTRIBUTE_AT_BRANCH,
        NOT_CONTRIBUTE_AT_BRANCH,
    ),
    "log_concern_at_branch": (
        lambda w, actor: _concern(actor, w["branch_action"]),
        "concern.logged",
        CONTRIBUTE_AT_BRANCH,
        NOT_CONTRIBUTE_AT_BRANCH,
    ),
}

ALLOWED = [(name, persona) for name, (_, _, allowed, _) in SERVICES.items() for persona in allowed]
REFUSED = [(name, persona) for name, (_, _, _, refused) in SERVICES.items() for persona in refused]


def test_every_persona_is_either_allowed_or_refused_for_every_service():
    cast = {"staff", "manager", "other_manager", "quality", "ni", "viewer", "admin", "outsider"}
    for name, (_, _, allowed, refused) in SERVICES.items():
        assert set(allowed) | set(refused) == cast, name
        assert not set(allowed) & set(refused), name


@pytest.mark.parametrize(("service", "persona"), ALLOWED)
def test_an_allowed_person_writes_and_the_audit_event_names_them(service, persona, world, request):
    call, code, _, _ = SERVICES[service]
    actor = request.getfixturevalue(persona)
    before = AuditEvent.objects.filter(action=code).count()

    written = call(world, actor)

    assert written.pk is not None
    [event] = AuditEvent.objects.filter(action=code).order_by("-seq")[:1]
    assert AuditEvent.objects.filter(action=code).count() == before + 1
    assert event.actor == actor


@pytest.mark.parametrize(("service", "persona"), REFUSED)
def test_a_refused_person_is_told_so_and_nothing_changes(service, persona, world, request):
    call, _, _, _ = SERVICES[service]
    actor = request.getfixturevalue(persona)
    before = snapshot()

    with pytest.raises(PermissionDenied) as refusal:
        call(world, actor)

    assert str(refusal.value).startswith("You cannot ")
    assert snapshot() == before


# The rules at the edges


def test_a_manager_may_create_a_plan_only_at_locations_they_work_at(world, manager, other_manager, quality):
    home, branch = world["home"], world["branch"]

    def plan_at(actor, locations):
        return plan_services.create_plan(
            actor=actor,
            organisation=world["org"],
            title="Medicines administration records are complete",
            problem_statement="MAR charts had gaps on 6 of 20 charts sampled.",
            source="internal_audit",
            quality_area="medicines",
            risk_likelihood=4,
            risk_impact=3,
            owner=manager,
            locations=locations,
        )

    before = snapshot()
    with pytest.raises(PermissionDenied, match="You cannot create a plan for these locations"):
        plan_at(manager, [home, branch])
    assert snapshot() == before

    assert set(plan_at(other_manager, [branch]).locations.all()) == {branch}
    assert set(plan_at(quality, [home, branch]).locations.all()) == {home, branch}


def test_a_manager_may_edit_a_plan_that_includes_one_of_their_locations(org, home, branch, manager, other_manager):
    shared = PlanFactory(organisation=org, locations=[home, branch], owner=manager)

    plan_services.update_plan(actor=other_manager, plan=shared, title="MAR charts signed on time at both")

    [event] = AuditEvent.objects.filter(action="plan.changed").for_object(shared)
    assert event.actor == other_manager


def test_an_outsider_cannot_plan_at_our_locations_from_their_own_organisation(world, outsider, foreign_org):
    before = snapshot()

    with pytest.raises(ValidationError) as error:
        plan_services.create_plan(
            actor=outsider,
            organisation=foreign_org,
            title="Medicines administration records are complete",
            problem_statement="MAR charts had gaps.",
            source="internal_audit",
            quality_area="medicines",
            risk_likelihood=4,
            risk_impact=3,
            owner=outsider,
            locations=[world["home"]],
        )

    assert error.value.message_dict["locations"] == ["Choose locations of this organisation."]
    assert snapshot() == before


def test_a_manager_cannot_add_an_action_at_a_plan_location_that_is_not_theirs(world, manager, other_manager):
    shared = PlanFactory(organisation=world["org"], locations=[world["home"], world["branch"]], owner=manager)
    before = snapshot()

    with pytest.raises(PermissionDenied, match="You cannot add an action at this location"):
        action_services.create_action(
            actor=manager,
            plan=shared,
            location=world["branch"],
            title=GOOD_TITLE,
            owner=other_manager,
            due_date=today() + timedelta(days=56),
        )

    assert snapshot() == before


def test_staff_add_evidence_to_a_plan_only_where_they_work(world, staff):
    shared = PlanFactory(organisation=world["org"], locations=[world["home"], world["branch"]])
    before = snapshot()

    with pytest.raises(PermissionDenied, match="You cannot add evidence to this plan"):
        _evidence(staff, plan=shared, location=world["branch"])
    assert snapshot() == before

    assert _evidence(staff, plan=shared).location is None
    assert _evidence(staff, plan=shared, location=world["home"]).location == world["home"]


def test_an_inactive_membership_is_refused(world, manager):
    manager.memberships.update(is_active=False)
    manager = type(manager).objects.get(pk=manager.pk)  # memberships are cached per user object
    before = snapshot()

    with pytest.raises(PermissionDenied):
        _reading(manager, world["action"])

    assert snapshot() == before


def test_the_services_ask_the_permissions_module(world, manager, staff, viewer):
    """The answers the services act on are the ones views and templates can ask for."""
    action, measure, evidence = world["action"], world["action"].measure, world["evidence"]
    assert permissions.can_edit_plan(manager, world["plan"]) and not permissions.can_edit_plan(staff, world["plan"])
    assert permissions.can_create_plan(manager, world["org"], [world["home"]])
    assert not permissions.can_create_plan(manager, world["org"], [world["home"], world["branch"]])
    assert permissions.can_create_action(manager, world["plan"], world["home"])
    assert permissions.can_edit_step(manager, action.steps.get())
    assert permissions.can_change_criteria(manager, action.criteria)
    assert permissions.can_manage_measure(manager, action) and not permissions.can_manage_measure(staff, action)
    assert permissions.can_add_evidence(staff, action) and not permissions.can_add_evidence(viewer, action)
    assert permissions.can_add_evidence(staff, world["plan"], location=world["home"])
    assert permissions.can_record_reading(staff, measure) and not permissions.can_record_reading(viewer, measure)
    assert permissions.can_log_concern(staff, action) and not permissions.can_log_concern(viewer, action)
    assert permissions.can_withdraw_evidence(manager, evidence)
    assert not permissions.can_withdraw_evidence(staff, evidence)
