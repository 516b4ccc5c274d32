"""A medicines action at Oak House, built step by step so each test can stop where it needs.

`manager` owns the plan and the action; `staff` does the steps; `ni` and `quality`
are the would-be signers. Readings are weekly, ending on Sundays before today.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from actions.models import Action, ClosureCriteria, Step
from evidence.models import EvidenceItem, Measure, MeasureReading
from governance import services
from qip.models import EvidenceCategory, Plan
from qip.tests.domain_factories import ActionFactory, PlanFactory
from qip.tests.factories import PASSWORD

CATEGORY = {slug: slug for slug in ("processes", "observation", "peoples-experience", "outcomes")}


def category(slug):
    return EvidenceCategory.objects.get(framework__is_current=True, slug=slug)


class Story:
    def __init__(self, *, org, home, manager, staff, high_risk=False, target=95.0, **criteria):
        self.org, self.home, self.manager, self.staff = org, home, manager, staff
        self.today = timezone.localdate()
        self.plan = Plan.objects.create(
            organisation=org,
            reference=f"QIP-2026-{Plan.objects.count() + 1:03d}",
            title="Medicines administration records",
            problem_statement="MAR charts were not signed at the time of administration.",
            source="internal_audit",
            quality_area="medicines",
            risk_likelihood=4,
            risk_impact=4,
            owner=manager,
            created_by=manager,
        )
        self.plan.locations.set([home])
        self.action = Action.objects.create(
            plan=self.plan,
            location=home,
            title="Senior carer observes 5 medicine rounds a week; target 95% of MAR entries signed",
            owner=manager,
            high_risk=high_risk,
            created_by=manager,
        )
        ClosureCriteria.objects.create(
            action=self.action,
            approval_level="nominated_individual" if high_risk else "quality_lead",
            **criteria,
        )
        self.measure = Measure.objects.create(
            action=self.action, name="MAR entries signed at the time", unit="%", target=target
        )
        self.steps = [Step.objects.create(action=self.action, order=n, what=f"Step {n}", who=staff) for n in (1, 2)]

    def refresh(self):
        self.action.refresh_from_db()
        return self.action

    def do_steps(self, at=None):
        for step in self.steps:
            services.complete_step(actor=self.staff, step=step, at=at)
        return self.refresh()

    def add_evidence(self, slug, *, purpose="assurance", collected_on=None, kind="audit", title=None):
        return EvidenceItem.objects.create(
            organisation=self.org,
            plan=self.plan,
            action=self.action,
            location=self.home,
            category=category(slug),
            kind=kind,
            purpose=purpose,
            title=title or f"{slug} evidence",
            collected_on=collected_on or timezone.localdate(),
            collected_by=self.manager,
            added_by=self.manager,
        )

    def add_readings(self, values, *, ending=None):
        """Weekly readings, the last one ending on `ending` (default: yesterday)."""
        ending = ending or self.today - timedelta(days=1)
        for weeks_back, value in enumerate(reversed(values)):
            MeasureReading.objects.create(
                measure=self.measure,
                location=self.home,
                period_end=ending - timedelta(weeks=weeks_back),
                value=value,
                recorded_by=self.manager,
            )

    def make_ready(self):
        """Steps done, two assurance categories after the work, eight weeks at target, in assurance."""
        self.do_steps()
        self.add_evidence("processes")
        self.add_evidence("observation", kind="observation")
        self.add_readings([96, 97, 95, 98, 96, 97, 99, 96])
        services.start_assurance(actor=self.manager, action=self.action)
        return self.refresh()

    def request(self, by=None):
        return services.request_closure(
            actor=by or self.manager,
            action=self.refresh(),
            bau_monitoring_plan="Monthly MAR audit by the deputy manager, reported to governance.",
            closure_learning="Observed rounds changed practice; the reminder e-mails did not.",
        )


@pytest.fixture
def story(org, home, manager, staff):
    return Story(org=org, home=home, manager=manager, staff=staff)


@pytest.fixture
def high_risk_story(org, home, manager, staff):
    return Story(org=org, home=home, manager=manager, staff=staff, high_risk=True)


@pytest.fixture
def signer_password():
    return PASSWORD


@pytest.fixture
def two_sites(org, home, branch, manager, other_manager):
    """One plan at each location, each with an action whose title names where it is."""
    at_home = PlanFactory(organisation=org, locations=[home], owner=manager, title="Falls at Oak House")
    ActionFactory(plan=at_home, title="Oak House falls huddles")
    at_branch = PlanFactory(organisation=org, locations=[branch], owner=other_manager, title="Falls at the branch")
    ActionFactory(plan=at_branch, title="Branch falls huddles")
    return at_home, at_branch
