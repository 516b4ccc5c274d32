"""Time one closure-gate evaluation for an action with many readings and evidence items.

Builds the action inside a transaction that is rolled back, so nothing is left behind.
"""

import statistics
import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions.models import Action, ClosureCriteria, Step
from evidence.models import EvidenceItem, Measure, MeasureReading
from governance.gate import evaluate_action_closure
from qip.models import EvidenceCategory, Location, Membership, Organisation, Plan, Role, User


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time evaluate_action_closure for an action with N readings and M evidence items."

    def add_arguments(self, parser):
        parser.add_argument("--readings", type=int, default=100)
        parser.add_argument("--evidence", type=int, default=50)
        parser.add_argument("--runs", type=int, default=50)

    def handle(self, **options):
        try:
            with transaction.atomic():
                action, signer = self.build(options["readings"], options["evidence"])
                self.measure(action, signer, options)
                raise Rollback
        except Rollback:
            pass

    def build(self, readings, evidence):
        today = timezone.localdate()
        organisation = Organisation.objects.create(name="Benchmark provider")
        location = Location.objects.create(
            organisation=organisation, name="Bench House", service_type="residential", postcode="LS1 4AP"
        )
        owner = User.objects.create_user(email="bench.owner@example.invalid", full_name="Bench Owner")
        signer = User.objects.create_user(email="bench.ni@example.invalid", full_name="Bench Signer")
        Membership.objects.create(user=owner, organisation=organisation, role=Role.REGISTERED_MANAGER)
        Membership.objects.create(user=signer, organisation=organisation, role=Role.NOMINATED_INDIVIDUAL)
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

    def measure(self, action, signer, options):
        timings = []
        for _ in range(options["runs"]):
            fresh = Action.objects.select_related("plan", "location", "criteria", "owner").get(pk=action.pk)
            started = time.perf_counter()
            result = evaluate_action_closure(fresh, actor=signer)
            timings.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as queries:
            evaluate_action_closure(Action.objects.get(pk=action.pk), actor=signer)
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        self.stdout.write(
            f"gate evaluation, {options['readings']} readings, {options['evidence']} evidence items "
            f"({connection.vendor}, {options['runs']} runs): median {statistics.median(timings):.1f} ms, "
            f"p95 {p95:.1f} ms, {len(queries)} queries; gate {'passes' if result.passed else 'fails'} "
            f"({', '.join(c.code for c in result.failing) or 'nothing failing'})"
        )
