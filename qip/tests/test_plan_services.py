"""Creating and editing plans: numbering, who may own them, what is audited, what is refused."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from actions.models import Action
from qip.models import AuditEvent, Framework, KeyQuestion, Plan, QualityStatement, Regulation
from qip.plan_services import create_plan, next_reference, update_plan
from qip.tests.domain_factories import ActionFactory, PlanFactory
from qip.tests.factories import LocationFactory

UK = timezone.get_default_timezone()


def counts():
    return Plan.objects.count(), AuditEvent.objects.count()


def events(action, obj):
    return list(AuditEvent.objects.filter(action=action).for_object(obj))


def statements(n=2):
    return list(QualityStatement.objects.filter(key_question__framework__is_current=True).order_by("pk")[:n])


def old_statement():
    framework = Framework.objects.create(code="saf-2018", name="Key lines of enquiry", is_current=False)
    question = KeyQuestion.objects.create(framework=framework, slug="safe", name="Safe", order=1)
    return QualityStatement.objects.create(key_question=question, slug="old", name="Old statement", order=1)


@pytest.fixture
def valid(org, home, manager):
    def build(**overrides):
        values = {
            "actor": manager,
            "organisation": org,
            "title": "Medicines administration records are complete",
            "problem_statement": "MAR charts had gaps on 6 of 20 charts sampled.",
            "source": "cqc_inspection",
            "quality_area": "medicines",
            "risk_likelihood": 4,
            "risk_impact": 3,
            "owner": manager,
            "locations": [home],
        }
        return {**values, **overrides}

    return build


# Creating


def test_a_new_plan_gets_the_next_reference_a_review_date_and_an_audit_event(valid, org, home, manager):
    chosen = statements(2)
    regulation = Regulation.objects.filter(framework__is_current=True).first()

    plan = create_plan(**valid(quality_statements=chosen, regulations=[regulation], source_date=date(2026, 1, 5)))

    today = timezone.localdate()
    assert plan.reference == f"QIP-{today.year}-001"
    assert plan.status == "open"
    assert plan.next_review_date == today + timedelta(days=30)
    assert list(plan.locations.all()) == [home]
    assert set(plan.quality_statements.all()) == set(chosen)
    assert plan.created_by == manager
    [event] = events("plan.created", plan)
    assert event.actor == manager
    assert event.organisation == org
    assert event.data["reference"] == plan.reference
    assert event.data["owner"] == "Mary Manager"
    assert event.data["locations"] == ["Oak House"]
    assert event.data["quality_statements"] == sorted(str(s) for s in chosen)
    assert event.data["risk_score"] == 12
    assert event.data["source_date"] == "2026-01-05"


@pytest.mark.parametrize("cadence,days", [("weekly", 7), ("fortnightly", 14), ("quarterly", 91)])
def test_the_first_review_is_one_cadence_away(valid, cadence, days):
    plan = create_plan(**valid(review_cadence=cadence))

    assert plan.next_review_date == timezone.localdate() + timedelta(days=days)


@time_machine.travel(datetime(2026, 11, 3, 10, 0, tzinfo=UK), tick=False)
def test_numbering_follows_the_highest_reference_of_this_year_in_this_organisation(valid, org, foreign_org):
    PlanFactory(organisation=org, reference="QIP-2026-007")
    PlanFactory(organisation=org, reference="QIP-2026-012")
    PlanFactory(organisation=org, reference="QIP-2025-040")  # last year's numbers don't count
    PlanFactory(organisation=org, reference="Legacy 99")
    PlanFactory(organisation=foreign_org, reference="QIP-2026-050")  # nor another organisation's

    assert create_plan(**valid()).reference == "QIP-2026-013"
    assert create_plan(**valid()).reference == "QIP-2026-014"


@time_machine.travel(datetime(2027, 1, 1, 0, 30, tzinfo=UK), tick=False)
def test_numbering_starts_again_at_001_in_a_new_uk_year(valid, org):
    PlanFactory(organisation=org, reference="QIP-2026-120")

    assert create_plan(**valid()).reference == "QIP-2027-001"


def test_numbering_grows_past_three_digits(org):
    PlanFactory(organisation=org, reference="QIP-2026-999")

    assert next_reference(org, year=2026) == "QIP-2026-1000"


def test_a_chosen_reference_is_kept_but_must_be_unused(valid, org):
    PlanFactory(organisation=org, reference="CQC-RN-1")
    assert create_plan(**valid(reference="  Warning notice 4 ")).reference == "Warning notice 4"
    before = counts()

    with pytest.raises(ValidationError) as error:
        create_plan(**valid(reference="cqc-rn-1"))

    assert error.value.message_dict["reference"] == [
        "cqc-rn-1 is already used by another plan; choose another reference."
    ]
    assert counts() == before


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"title": "  "}, "title", "This field cannot be blank."),
        ({"problem_statement": ""}, "problem_statement", "This field cannot be blank."),
        ({"risk_likelihood": 6}, "risk_likelihood", "Choose a likelihood from 1 (rare) to 5 (almost certain)."),
        ({"risk_impact": 0}, "risk_impact", "Choose an impact from 1 (negligible) to 5 (catastrophic)."),
        ({"locations": []}, "locations", "Choose at least one location."),
        ({"owner": None}, "owner", "Choose the plan owner: one person accountable for the plan."),
        ({"source": "rumour"}, "source", "Value 'rumour' is not a valid choice."),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_written(valid, overrides, field, message):
    before = counts()

    with pytest.raises(ValidationError) as error:
        create_plan(**valid(**overrides))

    assert error.value.message_dict[field] == [message]
    assert counts() == before


def test_locations_must_be_this_organisations_and_current(valid, org, foreign_location, ni):
    with pytest.raises(ValidationError) as error:
        create_plan(**valid(locations=[foreign_location]))
    assert error.value.message_dict["locations"] == ["Choose locations of this organisation."]

    old = LocationFactory(organisation=org, name="Old Mill", archived_at=timezone.now())
    with pytest.raises(ValidationError) as error:
        # The nominated individual: the registered manager of Oak House may not plan at Old Mill at all.
        create_plan(**valid(actor=ni, locations=[old]))
    assert error.value.message_dict["locations"] == ["Old Mill is archived; choose a current location."]


def test_the_owner_must_be_an_active_member_who_can_do_the_work(valid, outsider, viewer, staff):
    with pytest.raises(ValidationError) as error:
        create_plan(**valid(owner=outsider))
    assert error.value.message_dict["owner"] == [
        "Olive Outsider is not an active member of this organisation, so cannot be the plan owner."
    ]

    with pytest.raises(ValidationError) as error:
        create_plan(**valid(owner=viewer))
    assert error.value.message_dict["owner"] == ["Vera Viewer has read-only access, so cannot be the plan owner."]

    staff.memberships.update(is_active=False)
    with pytest.raises(ValidationError) as error:
        create_plan(**valid(owner=staff))
    assert "not an active member" in error.value.message_dict["owner"][0]
    assert Plan.objects.count() == 0


def test_quality_statements_come_from_the_current_framework(valid):
    before = counts()

    with pytest.raises(ValidationError) as error:
        create_plan(**valid(quality_statements=[old_statement()]))

    assert error.value.message_dict["quality_statements"] == [
        "Choose quality statements from the current CQC framework (Safe: Old statement is not)."
    ]
    assert counts() == before


def test_the_source_date_cannot_be_in_the_future(valid):
    with pytest.raises(ValidationError) as error:
        create_plan(**valid(source_date=timezone.localdate() + timedelta(days=1)))

    assert error.value.message_dict["source_date"] == ["The source date cannot be in the future."]


def test_every_problem_is_reported_at_once(valid):
    with pytest.raises(ValidationError) as error:
        create_plan(**valid(title="", risk_impact=9, locations=[]))

    assert set(error.value.message_dict) == {"title", "risk_impact", "locations"}


# Editing


@pytest.fixture
def plan(valid):
    return create_plan(**valid(quality_statements=statements(1)))


def test_an_edit_is_audited_with_old_and_new_values(plan, manager, quality, branch, home):
    new_statements = statements(2)

    updated = update_plan(
        actor=manager,
        plan=plan,
        title="MAR charts signed at the time of administration",
        risk_impact=5,
        owner=quality,
        locations=[home, branch],
        quality_statements=new_statements,
    )

    plan.refresh_from_db()
    assert plan.title == "MAR charts signed at the time of administration"
    assert updated.risk_score == 20
    assert set(plan.locations.all()) == {home, branch}
    [event] = events("plan.changed", plan)
    assert event.actor == manager
    assert event.data["title"] == [
        "Medicines administration records are complete",
        "MAR charts signed at the time of administration",
    ]
    assert event.data["risk_impact"] == [3, 5]
    assert event.data["owner"] == ["Mary Manager", "Quinn Quality"]
    assert event.data["locations"] == [["Oak House"], ["Oak House", "Riverside Homecare"]]
    assert event.data["quality_statements"][1] == sorted(str(s) for s in new_statements)


def test_an_edit_that_changes_nothing_writes_no_event(plan, manager):
    update_plan(actor=manager, plan=plan, title=plan.title, risk_impact=plan.risk_impact)

    assert events("plan.changed", plan) == []


def test_a_sooner_review_cadence_brings_the_next_review_forward(plan, manager):
    today = timezone.localdate()

    update_plan(actor=manager, plan=plan, review_cadence="weekly")

    plan.refresh_from_db()
    assert plan.next_review_date == today + timedelta(days=7)
    [event] = events("plan.changed", plan)
    assert event.data["review_cadence"] == ["monthly", "weekly"]
    assert event.data["next_review_date"] == [str(today + timedelta(days=30)), str(today + timedelta(days=7))]

    update_plan(actor=manager, plan=plan, review_cadence="quarterly")  # never pushes a due review later
    plan.refresh_from_db()
    assert plan.next_review_date == today + timedelta(days=7)


def test_a_closed_plan_cannot_be_edited(plan, manager):
    Plan.objects.filter(pk=plan.pk).update(status="closed", closed_at=timezone.now())
    before = counts()

    with pytest.raises(ValidationError) as error:
        update_plan(actor=manager, plan=plan, title="Something else")

    assert "is closed, so it cannot be edited" in error.value.messages[0]
    plan.refresh_from_db()
    assert plan.title == "Medicines administration records are complete"
    assert counts() == before


def test_a_location_with_actions_cannot_be_removed(plan, manager, home, branch):
    update_plan(actor=manager, plan=plan, locations=[home, branch])
    ActionFactory(plan=plan, location=home, owner=manager)
    before = counts()

    with pytest.raises(ValidationError) as error:
        update_plan(actor=manager, plan=plan, locations=[branch])

    assert error.value.message_dict["locations"] == [
        "Oak House has actions in this plan, so cannot be removed from it."
    ]
    assert set(plan.locations.all()) == {home, branch}
    assert counts() == before

    update_plan(actor=manager, plan=plan, locations=[home])  # Riverside has no actions
    assert list(plan.locations.all()) == [home]
    assert Action.objects.count() == 1


def test_bad_edits_change_nothing(plan, manager, outsider):
    before = counts()

    with pytest.raises(ValidationError) as error:
        update_plan(actor=manager, plan=plan, title="", owner=outsider, risk_likelihood=0, locations=[])

    assert set(error.value.message_dict) == {"title", "owner", "risk_likelihood", "locations"}
    plan.refresh_from_db()
    assert plan.title == "Medicines administration records are complete"
    assert plan.owner.full_name == "Mary Manager"
    assert plan.locations.count() == 1
    assert counts() == before


def test_statements_linked_under_an_old_framework_can_stay_but_not_be_added_back(plan, manager):
    old = old_statement()
    plan.quality_statements.add(old)  # linked before the framework changed

    update_plan(actor=manager, plan=plan, title="Still linked to the old statement")
    update_plan(actor=manager, plan=plan, quality_statements=[old, *statements(2)])
    assert old in plan.quality_statements.all()

    update_plan(actor=manager, plan=plan, quality_statements=statements(2))
    with pytest.raises(ValidationError) as error:
        update_plan(actor=manager, plan=plan, quality_statements=[old])
    assert "current CQC framework" in error.value.message_dict["quality_statements"][0]


def test_only_editable_fields_can_be_passed(plan, manager):
    with pytest.raises(TypeError):
        update_plan(actor=manager, plan=plan, status="closed")


@time_machine.travel(datetime(2026, 6, 30, 23, 30, tzinfo=UTC), tick=False)
def test_dates_are_judged_in_uk_time(valid):
    """At 23:30 UTC on 30 June it is already 1 July in London (BST)."""
    plan = create_plan(**valid(source_date=date(2026, 7, 1)))

    assert plan.reference == "QIP-2026-001"
    assert plan.next_review_date == date(2026, 7, 31)
