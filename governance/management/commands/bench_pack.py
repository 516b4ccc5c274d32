"""Time one commissioner pack (governance.packs.build_pack_pdf) over N generated plans.

The plans (each with actions, steps, a measure and readings, evidence in every category, reviews,
and one closed action with its sign-off and post-closure checks) are bulk-created inside a
transaction that is rolled back, so nothing is left behind. Prints pages, seconds, pages per second
and the process's peak memory (ru_maxrss).
"""

import hashlib
import resource
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from actions.models import Action, ActionStatus, ClosureCriteria, Step
from evidence.models import EvidenceItem, Measure, MeasureReading
from governance.bench.gate import bench_provider
from governance.bench.rollback import rolled_back
from governance.bench.work import timed_pack
from governance.models import ClosureRequest, Decision, PostClosureCheck, RequestStatus, Review, ReviewLine, SignOff
from qip.models import EvidenceCategory, Plan, QualityStatement


class Command(BaseCommand):
    help = "Build a commissioner pack over N generated plans (rolled back) and report its speed and memory."

    def add_arguments(self, parser):
        parser.add_argument("--plans", type=int, default=5)
        parser.add_argument("--actions", type=int, default=4, help="Actions per plan.")
        parser.add_argument("--readings", type=int, default=12, help="Weekly readings per action.")
        parser.add_argument("--redact", action="store_true")

    def handle(self, **options):
        with rolled_back():
            user, organisation, plans = self.build(options["plans"], options["actions"], options["readings"])
            pdf, pages, seconds = timed_pack(user, organisation, plans, redact=options["redact"])
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
        self.stdout.write(
            f"plans={options['plans']} actions/plan={options['actions']} pages={pages} bytes={len(pdf)} "
            f"seconds={seconds:.2f} pages/s={pages / seconds:.1f} peak_rss_mb={peak_mb:.0f}"
        )

    def build(self, plan_count, action_count, reading_count):  # noqa: PLR0915 - one flat script of bulk inserts
        now = timezone.now()
        today = timezone.localdate()
        organisation, location, owner, signer = bench_provider()
        categories = list(EvidenceCategory.objects.filter(framework__is_current=True).order_by("order"))
        statements = list(QualityStatement.objects.filter(key_question__framework__is_current=True)[:3])

        plans = Plan.objects.bulk_create(
            Plan(
                organisation=organisation,
                reference=f"BENCH-{n:04d}",
                title=f"Benchmark plan {n}: medicines administration records are complete",
                problem_statement="MAR charts had gaps on 6 of 20 charts sampled at the last inspection.\n" * 3,
                source="cqc_inspection",
                source_reference="INS2-123456789",
                root_causes="Night staff sign at the end of the round rather than at administration.",
                quality_area="medicines",
                risk_likelihood=4,
                risk_impact=4,
                owner=owner,
                created_by=owner,
                created_at=now - timedelta(days=reading_count * 7 + 14),
                target_date=today + timedelta(days=60),
                residual_risks="Agency night staff unfamiliar with the policy.",
                bau_monitoring_plan="Monthly MAR audit by the deputy manager.",
            )
            for n in range(1, plan_count + 1)
        )
        Plan.locations.through.objects.bulk_create(
            Plan.locations.through(plan_id=plan.pk, location_id=location.pk) for plan in plans
        )
        Plan.quality_statements.through.objects.bulk_create(
            Plan.quality_statements.through(plan_id=plan.pk, qualitystatement_id=statement.pk)
            for plan in plans
            for statement in statements
        )
        started = now - timedelta(days=reading_count * 7 + 7)
        actions = Action.objects.bulk_create(
            Action(
                plan=plan,
                location=location,
                title=f"Senior carer audits 10 MAR charts every week; target 95% signed ({plan.reference}-{n})",
                baseline_issue="6 of 20 MAR charts sampled had gaps.",
                measurable_improvement="95% of MAR entries signed at the time of administration.",
                owner=owner,
                due_date=today + timedelta(days=14 * n - 20),
                status=ActionStatus.IN_PROGRESS,
                started_at=started,
                monitoring="Weekly MAR audit by the senior carer.",
                created_by=owner,
            )
            for plan in plans
            for n in range(action_count)
        )
        ClosureCriteria.objects.bulk_create(
            ClosureCriteria(action=action, stability_rule="spc" if n % 2 else "target_held", spc_baseline_points=6)
            for n, action in enumerate(actions)
        )
        Step.objects.bulk_create(
            Step(
                action=action,
                order=n,
                what=f"Observe 5 medicine rounds a week and record MAR signing (step {n + 1})",
                who=owner,
                due_date=today - timedelta(days=30 - n),
                recorded_where="practice competency log",
                done_at=started + timedelta(days=n),
                done_by=owner,
            )
            for action in actions
            for n in range(4)
        )
        measures = Measure.objects.bulk_create(
            Measure(action=action, name="MAR entries signed at the time", unit="%", target=95, baseline_value=70)
            for action in actions
        )
        MeasureReading.objects.bulk_create(
            MeasureReading(
                measure=measure,
                location=location,
                period_end=today - timedelta(weeks=reading_count - week),
                value=80 + week * 15 / reading_count + (week % 3),
                recorded_by=owner,
            )
            for measure in measures
            for week in range(reading_count)
        )
        EvidenceItem.objects.bulk_create(
            EvidenceItem(
                organisation=organisation,
                plan=action.plan,
                action=action,
                location=location,
                category=category,
                kind="audit",
                purpose="assurance",
                title=f"{category.name}: MAR audit of 10 charts",
                collected_on=today - timedelta(days=7),
                collected_by=owner,
                added_by=owner,
                people_named="Edith Resident",
            )
            for action in actions
            for category in categories
        )
        reviews = Review.objects.bulk_create(
            Review(
                plan=plan,
                held_on=today - timedelta(days=30 * n),
                recorded_by=owner,
                decision="continue",
                summary="Audits on track; observation of a night round still needed.",
                cadence_before="monthly",
                cadence_after="monthly",
                next_review_on=today + timedelta(days=30 - 30 * n),
            )
            for plan in plans
            for n in (1, 2)
        )
        by_plan = {}
        for action in actions:
            by_plan.setdefault(action.plan_id, []).append(action)
        ReviewLine.objects.bulk_create(
            ReviewLine(review=review, action=action, rag="amber", action_status="in_progress", steps_total=4)
            for review in reviews
            for action in by_plan[review.plan_id]
        )
        # The first action of each plan closed: request, signature, post-closure checks.
        first = [by_plan[plan.pk][0] for plan in plans]
        requests = ClosureRequest.objects.bulk_create(
            ClosureRequest(
                organisation=organisation,
                action=action,
                requested_by=owner,
                requested_at=now - timedelta(days=3),
                bau_monitoring_plan="Monthly MAR audit by the deputy manager, reported to governance.",
                closure_learning="Observed rounds changed practice; reminder e-mails did not.",
                residual_risks="Agency night staff.",
                status=RequestStatus.APPROVED,
                decided_at=now - timedelta(days=2),
            )
            for action in first
        )
        signoffs = SignOff.objects.bulk_create(
            SignOff(
                closure_request=request,
                signer=signer,
                printed_name=signer.full_name,
                role="Nominated individual",
                signed_at=now - timedelta(days=2),
                decision=Decision.APPROVED,
                meaning="I approve the closure of this action",
                statement="I have reviewed the evidence and the gate.",
                snapshot={"action": request.action_id},
                snapshot_hash=hashlib.sha256(str(request.action_id).encode()).hexdigest(),
            )
            for request in requests
        )
        for action, signoff in zip(first, signoffs, strict=True):
            action.status, action.closed_at, action.closing_signoff = ActionStatus.CLOSED, signoff.signed_at, signoff
        Action.objects.bulk_update(first, ["status", "closed_at", "closing_signoff"])
        PostClosureCheck.objects.bulk_create(
            PostClosureCheck(action=action, signoff=signoff, offset_days=days, due_on=today + timedelta(days=days))
            for action, signoff in zip(first, signoffs, strict=True)
            for days in (30, 90)
        )
        return signer, organisation, plans
