"""The gate's worst case of issue 9: one action with 100 readings and 50 evidence items."""

import statistics
import time
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions.models import Action, ClosureCriteria, Step
from evidence.models import EvidenceItem, Measure, MeasureReading
from governance.gate import evaluate_action_closure
from qip.models import EvidenceCategory, Location, Membership, Organisation, Plan, Role, User


def bench_provider():
    """(organisation, location, owner, signer): a one-home provider with a manager and a nominated individual."""
    organisation = Organisation.objects.create(name="Benchmark provider")
    location = Location.objects.create(
        organisation=organisation, name="Bench House", service_type="residential", postcode="LS1 4AP"
    )
    owner = User.objects.create_user(email="bench.owner@example.invalid", full_name="Bench Owner")
    signer = User.objects.create_user(email="bench.ni@example.invalid", full_name="Bench Signer")
    Membership.objects.create(user=owner, organisation=organisation, role=Role.REGISTERED_MANAGER)
    Membership.objects.create(user=signer, organisation=organisation, role=Role.NOMINATED_INDIVIDUAL)
    return organisation, location, owner, signer


def gate_action(readings, evidence):
    """(action, signer): an action in assurance with `readings` weekly readings and `evidence` items."""
    today = timezone.localdate()
    organisation, location, owner, signer = bench_provider()
    plan = Plan.objects.create(
        organisation=organisation,
        reference="BENCH-1",
        title="Benchmark plan",
        problem_statement="-",
        source="internal_audit",
        quality_area="medicines",
        risk_likelihood=4,
        risk_impact=4,
        owner=owner,
        created_by=owner,
    )
    plan.locations.set([location])
    action = Action.objects.create(
        plan=plan,
        location=location,
        title="Benchmark action",
        owner=owner,
        high_risk=True,
        status="assurance",
        created_by=owner,
    )
    ClosureCriteria.objects.create(action=action, approval_level="nominated_individual")
    done = timezone.now() - timedelta(days=readings * 7 + 7)
    for n in range(5):
        Step.objects.create(action=action, order=n, what=f"Step {n}", done_at=done, done_by=owner)
    measure = Measure.objects.create(action=action, name="Benchmark measure", unit="%", target=95)
    MeasureReading.objects.bulk_create(
        MeasureReading(
            measure=measure,
            location=location,
            period_end=today - timedelta(weeks=n),
            value=96 + n % 3,
            recorded_by=owner,
        )
        for n in range(readings)
    )
    categories = list(EvidenceCategory.objects.filter(framework__is_current=True))
    EvidenceItem.objects.bulk_create(
        EvidenceItem(
            organisation=organisation,
            plan=plan,
            action=action,
            location=location,
            category=categories[n % len(categories)],
            kind="audit",
            purpose="assurance" if n % 2 else "activity",
            title=f"Evidence {n}",
            collected_on=today - timedelta(days=n),
            collected_by=owner,
            added_by=owner,
        )
        for n in range(evidence)
    )
    return action, signer


def time_gate(action, signer, runs):
    """{median_ms, p95_ms, queries, passes, failing} of evaluate_action_closure over `runs` runs."""
    timings = []
    for _ in range(runs):
        fresh = Action.objects.select_related("plan", "location", "criteria", "owner").get(pk=action.pk)
        started = time.perf_counter()
        result = evaluate_action_closure(fresh, actor=signer)
        timings.append((time.perf_counter() - started) * 1000)
    fresh = Action.objects.select_related("plan", "location", "criteria", "owner").get(pk=action.pk)
    with CaptureQueriesContext(connection) as queries:
        evaluate_action_closure(fresh, actor=signer)
    timings.sort()
    return {
        "runs": runs,
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[max(0, round(len(timings) * 0.95) - 1)], 2),
        "queries": len(queries),
        "passes": result.passed,
        "failing": [check.code for check in result.failing],
    }
