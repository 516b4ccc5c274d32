"""Creating and editing actions, steps and closure criteria: high-risk floor, wording lint, reasons after start."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from actions.models import Action, ClosureCriteria, Step
from actions.selectors import criteria_history
from actions.services import (
    HIGH_RISK_FLOOR_MESSAGE,
    change_criteria,
    create_action,
    update_action,
    update_step,
)
from qip.models import AuditEvent, Plan
from qip.tests.domain_factories import ActionFactory, PlanFactory, StepFactory, close_action

GOOD_TITLE = "Senior carer audits 10 MAR charts every week for 8 weeks; target 100% signed at administration"
GOOD_STEP = "Observe 5 medicine rounds a week and record MAR signing in the practice competency log"
WEAK_TITLE = "Staff reminded to sign MAR charts"


def counts():
    return (
        Action.objects.count(),
        Step.objects.count(),
        ClosureCriteria.objects.count(),
        AuditEvent.objects.count(),
    )


def events(action, obj):
    return list(AuditEvent.objects.filter(action=action).for_object(obj))


def in_days(days):
    return timezone.localdate() + timedelta(days=days)


@pytest.fixture
def plan(org, home, branch, manager):
    """A care planning plan (not a high-risk area), risk 3 × 3."""
    return PlanFactory(organisation=org, locations=[home, branch], owner=manager)


@pytest.fixture
def valid(plan, home, manager, staff):
    def build(**overrides):
        values = {
            "actor": manager,
            "plan": plan,
            "location": home,
            "title": GOOD_TITLE,
            "owner": manager,
            "due_date": in_days(56),
            "steps": [
                {"what": GOOD_STEP, "who": staff, "due_date": in_days(28), "recorded_where": "competency log"},
                {"what": GOOD_STEP, "who_role": "senior carer", "due_date": in_days(35)},
            ],
        }
        return {**values, **overrides}

    return build


def started(action):
    Action.objects.filter(pk=action.pk).update(status="in_progress", started_at=timezone.now())
    action.refresh_from_db()
    return action


# Creating


def test_a_new_action_is_open_with_its_steps_criteria_and_audit_events(valid, manager, staff, home):
    action = create_action(**valid())

    assert action.status == "open"
    assert action.location == home
    assert action.high_risk is False
    steps = list(action.steps.all())
    assert [(s.order, s.who, s.who_role) for s in steps] == [(0, staff, ""), (1, None, "senior carer")]
    assert steps[0].recorded_where == "competency log"
    criteria = action.criteria
    assert (criteria.min_evidence_categories, criteria.window_days, criteria.min_readings) == (2, 56, 4)
    assert criteria.approval_level == "quality_lead"
    assert criteria.post_closure_offsets == [30, 90]
    [event] = events("action.created", action)
    assert event.actor == manager
    assert event.data["title"] == GOOD_TITLE
    assert event.data["steps"] == 2
    assert event.data["owner"] == "Mary Manager"
    assert event.data["criteria"]["approval_level"] == "quality_lead"
    assert event.data["criteria"]["post_closure_offsets"] == [30, 90]
    assert "wording_kept" not in event.data
    [agreed] = events("criteria.agreed", criteria)
    assert agreed.data["min_readings"] == 4


def test_criteria_can_be_agreed_with_the_action(valid, quality):
    action = create_action(
        **valid(
            criteria={
                "min_readings": 6,
                "window_days": 84,
                "named_reviewer": quality,
                "post_closure_offsets": [14, 60, 180],
            }
        )
    )

    criteria = action.criteria
    assert (criteria.min_readings, criteria.window_days, criteria.named_reviewer) == (6, 84, quality)
    assert criteria.post_closure_offsets == [14, 60, 180]
    assert events("action.created", action)[0].data["criteria"]["named_reviewer"] == "Quinn Quality"


@pytest.mark.parametrize("area", ["medicines", "safeguarding", "staffing", "leadership_governance"])
def test_actions_in_high_risk_areas_are_high_risk_and_signed_off_by_a_nominated_individual(valid, plan, area):
    Plan.objects.filter(pk=plan.pk).update(quality_area=area)
    plan.refresh_from_db()

    action = create_action(**valid(plan=plan))

    assert action.high_risk is True
    assert action.high_risk_reason.endswith("is a high-risk area.")
    assert action.criteria.approval_level == "nominated_individual"


def test_a_plan_risk_score_of_15_or_more_makes_its_actions_high_risk(valid, plan):
    Plan.objects.filter(pk=plan.pk).update(risk_likelihood=3, risk_impact=5)
    plan.refresh_from_db()

    action = create_action(**valid(plan=plan))

    assert action.high_risk is True
    assert action.high_risk_reason == "The plan's risk score is 15 (3 × 5)."
    assert action.criteria.approval_level == "nominated_individual"


def test_an_explicit_high_risk_choice_is_respected(valid, plan):
    assert create_action(**valid(high_risk=True, high_risk_reason="Falls with injury")).criteria.approval_level == (
        "nominated_individual"
    )
    Plan.objects.filter(pk=plan.pk).update(quality_area="medicines")
    plan.refresh_from_db()
    assert create_action(**valid(plan=plan, high_risk=False)).high_risk is False


def test_a_high_risk_action_cannot_be_agreed_with_a_lower_approval_level(valid):
    before = counts()

    with pytest.raises(ValidationError) as error:
        create_action(**valid(high_risk=True, criteria={"approval_level": "quality_lead"}))

    assert error.value.message_dict["approval_level"] == [HIGH_RISK_FLOOR_MESSAGE]
    assert counts() == before


def test_the_location_must_be_one_of_the_plans(valid, org):
    from qip.tests.factories import LocationFactory

    elsewhere = LocationFactory(organisation=org, name="Elm Lodge")
    before = counts()

    with pytest.raises(ValidationError) as error:
        create_action(**valid(location=elsewhere))

    assert error.value.message_dict["location"] == ["Choose one of the plan's locations."]
    assert counts() == before


def test_the_owner_must_be_an_active_member_who_works_at_the_location(
    valid, branch, staff, outsider, viewer, other_manager
):
    with pytest.raises(ValidationError) as error:
        # Riverside's registered manager: Oak House's may not add actions there at all.
        create_action(**valid(actor=other_manager, location=branch, owner=staff))
    assert error.value.message_dict["owner"] == [
        "Sam Staff does not work at Riverside Homecare, so cannot be the action owner here."
    ]
    with pytest.raises(ValidationError) as error:
        create_action(**valid(owner=outsider))
    assert "not an active member" in error.value.message_dict["owner"][0]
    with pytest.raises(ValidationError) as error:
        create_action(**valid(owner=viewer))
    assert error.value.message_dict["owner"] == ["Vera Viewer has read-only access, so cannot be the action owner."]
    assert Action.objects.count() == 0


def test_no_action_is_added_to_a_closed_plan(valid, plan):
    Plan.objects.filter(pk=plan.pk).update(status="closed", closed_at=timezone.now())
    plan.refresh_from_db()
    before = counts()

    with pytest.raises(ValidationError) as error:
        create_action(**valid(plan=plan))

    assert "is closed, so no actions can be added" in error.value.messages[0]
    assert counts() == before


@pytest.mark.parametrize(
    "step,message",
    [
        ({"what": "  ", "who_role": "senior carer"}, "Step 2: Say what is done."),
        (
            {"what": GOOD_STEP, "who_role": "senior carer", "due_date": None, "_after": True},
            "Step 2: This step would be due after the action itself",
        ),
    ],
)
def test_bad_steps_are_refused_with_the_step_number(valid, staff, step, message):
    if step.pop("_after", False):
        step["due_date"] = in_days(90)
    steps = [{"what": GOOD_STEP, "who": staff, "due_date": in_days(7)}, step]
    before = counts()

    with pytest.raises(ValidationError) as error:
        create_action(**valid(steps=steps))

    assert error.value.message_dict["steps"][0].startswith(message)
    assert counts() == before


def test_a_step_cannot_go_to_someone_who_does_not_work_there(valid, other_manager):
    with pytest.raises(ValidationError) as error:
        create_action(**valid(steps=[{"what": GOOD_STEP, "who": other_manager, "due_date": in_days(7)}]))

    assert error.value.message_dict["steps"] == [
        "Step 1: Owen Othermanager does not work at Oak House, so cannot be the person here."
    ]


# Wording lint


def test_weak_wording_in_the_title_is_refused_without_a_reason(valid):
    before = counts()

    with pytest.raises(ValidationError) as error:
        create_action(**valid(title=WEAK_TITLE))

    assert error.value.message_dict["title"] == [
        "Reminding staff is activity evidence: it shows a reminder was given, not that practice changed. "
        "Give a reason to keep this wording."
    ]
    assert counts() == before


def test_weak_wording_is_kept_with_a_reason_and_the_reason_is_audited(valid):
    action = create_action(**valid(title=WEAK_TITLE, wording_reason="Wording agreed with the commissioner"))

    assert action.title == WEAK_TITLE
    [event] = events("action.created", action)
    assert event.data["wording_kept"] == {
        "reason": "Wording agreed with the commissioner",
        "findings": ["staff_reminded", "no_measure"],
    }


def test_weak_wording_in_a_step_is_refused_naming_the_step(valid):
    steps = [
        {"what": GOOD_STEP, "who_role": "senior carer", "due_date": in_days(7)},
        {"what": "Manager to monitor", "who_role": "registered manager", "due_date": in_days(14)},
    ]

    with pytest.raises(ValidationError) as error:
        create_action(**valid(steps=steps))

    [message] = error.value.message_dict["steps"]
    assert message.startswith('Step 2: Saying someone will "monitor"')
    assert message.endswith("Give a reason to keep this wording.")
    assert Action.objects.count() == 0


def test_an_action_with_no_due_date_needs_a_reason(valid):
    with pytest.raises(ValidationError) as error:
        create_action(**valid(due_date=None))
    assert error.value.message_dict["title"] == [
        "There is no due date, so slippage cannot be spotted or escalated. Give a reason to keep this wording."
    ]

    action = create_action(**valid(due_date=None, wording_reason="Ends when the new eMAR system is live"))
    assert events("action.created", action)[0].data["wording_kept"]["findings"] == ["no_date"]


# Editing actions


@pytest.fixture
def action(valid):
    return create_action(**valid())


def test_an_edit_is_audited_with_old_and_new_values(action, manager, quality):
    new_due = in_days(70)

    update_action(actor=manager, action=action, owner=quality, due_date=new_due, monitoring="Weekly MAR audit")

    action.refresh_from_db()
    assert action.owner == quality
    [event] = events("action.changed", action)
    assert event.data == {
        "owner": ["Mary Manager", "Quinn Quality"],
        "due_date": [str(in_days(56)), str(new_due)],
        "monitoring": ["", "Weekly MAR audit"],
    }


def test_a_changed_title_is_linted_and_kept_only_with_a_reason(action, manager):
    before = counts()
    with pytest.raises(ValidationError) as error:
        update_action(actor=manager, action=action, title=WEAK_TITLE)
    assert error.value.message_dict["title"][0].endswith("Give a reason to keep this wording.")
    assert counts() == before

    update_action(actor=manager, action=action, title=WEAK_TITLE, wording_reason="Quoting the inspection report")

    [event] = events("action.changed", action)
    assert event.data["title"] == [GOOD_TITLE, WEAK_TITLE]
    assert event.data["wording_kept"]["reason"] == "Quoting the inspection report"


def test_marking_an_action_high_risk_raises_its_approval_level(action, manager):
    update_action(actor=manager, action=action, high_risk=True, high_risk_reason="Two medicines errors with harm")

    action.refresh_from_db()
    assert action.criteria.approval_level == "nominated_individual"
    [event] = events("criteria.changed", action.criteria)
    assert event.data["changes"] == {"approval_level": ["quality_lead", "nominated_individual"]}
    assert event.data["reason"] == "action marked high-risk"


def test_an_edit_that_changes_nothing_writes_no_event(action, manager):
    update_action(actor=manager, action=action, title=GOOD_TITLE, monitoring="")

    assert events("action.changed", action) == []


def test_bad_edits_change_nothing(action, manager, outsider):
    before = counts()

    with pytest.raises(ValidationError) as error:
        update_action(actor=manager, action=action, owner=outsider, title="")

    assert set(error.value.message_dict) == {"owner", "title"}
    action.refresh_from_db()
    assert action.title == GOOD_TITLE
    assert counts() == before


def test_a_closed_action_cannot_be_edited(org, home, manager, ni):
    action = close_action(ActionFactory(plan=PlanFactory(organisation=org, locations=[home], owner=manager)), signer=ni)
    assert action.status == "closed"
    before = counts()

    with pytest.raises(ValidationError) as error:
        update_action(actor=manager, action=action, monitoring="Something else")
    assert "This action is closed" in error.value.messages[0]
    with pytest.raises(ValidationError):
        change_criteria(actor=manager, criteria=action.criteria, reason="Later", min_readings=2)
    assert counts() == before


# Editing steps


def test_a_step_edit_is_linted_and_audited(action, manager, staff):
    step = action.steps.get(order=1)

    with pytest.raises(ValidationError) as error:
        update_step(actor=manager, step=step, what="Ensure charts are signed")
    assert error.value.message_dict["what"][0].startswith('"Ensure" states an intention')

    update_step(actor=manager, step=step, what=GOOD_STEP.replace("5", "6"), who=staff)

    step.refresh_from_db()
    assert step.who == staff
    [event] = events("step.changed", step)
    assert event.data == {"what": [GOOD_STEP, GOOD_STEP.replace("5", "6")], "who": [None, "Sam Staff"]}


def test_changing_where_a_step_is_recorded_does_not_reopen_the_wording_question(action, manager):
    step = StepFactory(action=action, what="Manager to monitor", who_role="registered manager", due_date=in_days(7))

    update_step(actor=manager, step=step, recorded_where="daily management log")

    [event] = events("step.changed", step)
    assert event.data == {"recorded_where": ["practice competency log", "daily management log"]}


def test_a_done_step_cannot_be_edited(action, manager):
    step = action.steps.first()
    Step.objects.filter(pk=step.pk).update(done_at=timezone.now(), done_by=manager)
    before = counts()

    with pytest.raises(ValidationError) as error:
        update_step(actor=manager, step=step, what=GOOD_STEP.replace("5", "7"))

    assert error.value.messages == ["This step is done, so it cannot be edited."]
    assert counts() == before


# Closure criteria


def test_criteria_change_freely_before_the_action_starts_and_are_audited(action, manager):
    change_criteria(actor=manager, criteria=action.criteria, min_readings=6, stability_rule="spc")

    criteria = ClosureCriteria.objects.get(action=action)
    assert (criteria.min_readings, criteria.stability_rule, criteria.changed_after_start) == (6, "spc", False)
    [event] = events("criteria.changed", criteria)
    assert event.data == {
        "changes": {"min_readings": [4, 6], "stability_rule": ["target_held", "spc"]},
        "reason": "",
        "after_start": False,
    }
    assert criteria_history(criteria=criteria) == []


def test_after_the_action_starts_a_change_needs_a_reason_and_is_reported(action, manager):
    started(action)
    before = counts()

    with pytest.raises(ValidationError) as error:
        change_criteria(actor=manager, criteria=action.criteria, min_readings=2)

    assert "say why the closure criteria are changing" in error.value.message_dict["reason"][0]
    assert counts() == before
    assert ClosureCriteria.objects.get(action=action).min_readings == 4

    change_criteria(actor=manager, criteria=action.criteria, min_readings=3, reason="Audit moved to fortnightly")

    criteria = ClosureCriteria.objects.get(action=action)
    assert criteria.changed_after_start is True
    [event] = criteria_history(criteria=criteria)
    assert event.data == {
        "changes": {"min_readings": [4, 3]},
        "reason": "Audit moved to fortnightly",
        "after_start": True,
    }
    assert event.actor == manager


def test_the_high_risk_floor_cannot_be_lowered(valid, ni):
    action = create_action(**valid(high_risk=True))

    with pytest.raises(ValidationError) as error:
        change_criteria(actor=ni, criteria=action.criteria, approval_level="quality_lead")

    assert error.value.message_dict["approval_level"] == [HIGH_RISK_FLOOR_MESSAGE]
    assert ClosureCriteria.objects.get(action=action).approval_level == "nominated_individual"


@pytest.mark.parametrize(
    "field,value",
    [
        ("min_evidence_categories", 0),
        ("min_evidence_categories", 7),
        ("window_days", 6),
        ("window_days", 366),
        ("min_readings", 0),
        ("min_readings", 53),
        ("spc_baseline_points", 1),
        ("spc_baseline_points", 101),
        ("spc_shift_run", 4),
        ("spc_trend_run", 13),
        ("post_closure_offsets", []),
        ("post_closure_offsets", [30, 60, 90, 120, 150]),
        ("post_closure_offsets", [90, 30]),
        ("post_closure_offsets", [30, 30]),
        ("post_closure_offsets", [0, 30]),
        ("post_closure_offsets", [30, 731]),
        ("stability_rule", "vibes"),
    ],
)
def test_criteria_out_of_range_are_refused(action, manager, field, value):
    before = counts()

    with pytest.raises(ValidationError) as error:
        change_criteria(actor=manager, criteria=action.criteria, **{field: value})

    assert list(error.value.message_dict) == [field]
    assert counts() == before


def test_the_named_reviewer_must_be_able_to_approve_and_not_own_the_action(action, manager, staff, quality, ni):
    with pytest.raises(ValidationError) as error:
        change_criteria(actor=manager, criteria=action.criteria, named_reviewer=staff)
    assert error.value.message_dict["named_reviewer"] == [
        "Sam Staff cannot approve this closure; choose a quality lead or nominated individual."
    ]
    with pytest.raises(ValidationError) as error:
        change_criteria(
            actor=manager, criteria=action.criteria, approval_level="nominated_individual", named_reviewer=quality
        )
    assert error.value.message_dict["named_reviewer"] == [
        "Quinn Quality cannot approve this closure; choose a nominated individual."
    ]

    change_criteria(actor=manager, criteria=action.criteria, approval_level="nominated_individual", named_reviewer=ni)
    assert ClosureCriteria.objects.get(action=action).named_reviewer == ni
