"""Plans, their actions, closure criteria and steps, with due dates spread around today."""

import time
from datetime import timedelta

from django.utils import timezone

from actions.models import Action, ActionStatus, ApprovalLevel, ClosureCriteria, Step
from actions.services import criteria_values
from qip.models import Plan, PlanStatus, QualityStatement, Regulation

from .common import ACTIONS_PER_PLAN, PLANS, STEPS_PER_ACTION, bulk, chunks

S = ActionStatus
# An open plan's actions, rotated by plan so every status turns up at every location.
MIX = [S.OPEN, S.IN_PROGRESS, S.IN_PROGRESS, S.IN_PROGRESS, S.COMPLETED, S.ASSURANCE, S.AWAITING_SIGNOFF]
MIX += [S.CLOSED, S.CLOSED, S.REOPENED]
STARTED = {S.IN_PROGRESS, S.COMPLETED, S.ASSURANCE, S.AWAITING_SIGNOFF, S.CLOSED, S.REOPENED}
COMPLETED = STARTED - {S.IN_PROGRESS}
THEMES = [
    ("medicines", "Medicines administration records are complete", "cqc_inspection"),
    ("safeguarding", "Safeguarding concerns are raised the same day", "safeguarding"),
    ("care_planning", "Care plans are person-centred and reviewed monthly", "internal_audit"),
    ("nutrition_hydration", "Food and fluid charts are kept for everyone at risk", "commissioner_visit"),
    ("moving_handling", "Moving and handling risk assessments are current", "incident"),
    ("falls", "Falls are followed by a post-fall review within 24 hours", "incident"),
    ("staffing", "Supervisions happen every eight weeks", "feedback"),
    ("infection_control", "Infection control audits pass at 95%", "self_identified"),
    ("records", "Daily notes describe the person's day, not tasks", "complaint"),
]
CADENCES = ["monthly", "fortnightly", "weekly", "monthly", "quarterly"]
STEP_WORDS = [
    "Brief every shift on the expected practice at handover",
    "Senior carer observes five examples of the practice each week",
    "Audit ten records against the standard and feed back to each carer",
    "Registered manager reviews the audit results in supervision",
]


def plan_status(p):
    """The first plan at each location is closed and the second awaits its sign-off; the rest are open."""
    return {0: PlanStatus.CLOSED, 1: PlanStatus.AWAITING_SIGNOFF}.get(p % PLANS, PlanStatus.OPEN)


def action_status(p, j):
    if plan_status(p) != PlanStatus.OPEN:
        return S.CLOSED
    return MIX[(j + p) % len(MIX)]


def create_plans(people, chain, progress):
    since = time.perf_counter()
    now, today = timezone.now(), timezone.localdate()
    locations = people.locations
    rows = []
    for p in range(PLANS * len(locations)):
        area, title, source = THEMES[p % len(THEMES)]
        home = locations[p // PLANS]
        owner = people.managers[home.pk]
        status = plan_status(p)
        closing = status != PlanStatus.OPEN
        created = now - timedelta(days=100 + (p * 37) % 200)
        rows.append(
            Plan(
                organisation=people.organisation,
                reference=f"QIP-{created:%Y}-{p + 1:05d}",
                title=f"{title} at {home.name}",
                problem_statement=f"{title}: the last audit at {home.name} fell short of the standard.",
                source=source,
                quality_area=area,
                risk_likelihood=1 + p % 5,
                risk_impact=1 + (p // 5) % 5,
                owner=owner,
                created_by=owner,
                created_at=created,
                review_cadence=CADENCES[p % len(CADENCES)],
                next_review_date=today + timedelta(days=(p * 11) % 60 - 15),
                target_date=today + timedelta(days=(p * 17) % 150 - 30),
                status=status,
                closed_at=now - timedelta(days=2) if status == PlanStatus.CLOSED else None,
                bau_monitoring_plan="Monthly audit by the deputy manager." if closing else "",
                closure_learning="Observed practice changed habits; reminders did not." if closing else "",
            )
        )
    plans = bulk(Plan, rows)
    _link_plans(plans, locations)
    for plan in plans:
        chain.add(
            "plan.created",
            plan,
            at=plan.created_at,
            actor_id=plan.created_by_id,
            label=str(plan),
            data={
                "reference": plan.reference,
                "title": plan.title,
                "source": plan.source,
                "quality_area": plan.quality_area,
                "risk_likelihood": plan.risk_likelihood,
                "risk_impact": plan.risk_impact,
                "risk_score": plan.risk_score,
                "owner": chain.labels[plan.owner_id],
            },
        )
    progress.table("plans", len(plans), len(plans), since)
    return plans


def second_location(p, locations):
    """One plan in ten also covers the next location, with half its actions there."""
    return locations[(p // PLANS + 1) % len(locations)] if p % 10 == 5 and len(locations) > 1 else None


def _link_plans(plans, locations):
    statements = list(QualityStatement.objects.filter(key_question__framework__is_current=True).order_by("pk"))
    regulations = list(Regulation.objects.filter(framework__is_current=True).order_by("pk"))
    covers, about, under = [], [], []
    for p, plan in enumerate(plans):
        covers.append(Plan.locations.through(plan_id=plan.pk, location_id=locations[p // PLANS].pk))
        other = second_location(p, locations)
        if other is not None:
            covers.append(Plan.locations.through(plan_id=plan.pk, location_id=other.pk))
        for statement in {statements[p % len(statements)], statements[(p * 7 + 3) % len(statements)]}:
            about.append(Plan.quality_statements.through(plan_id=plan.pk, qualitystatement_id=statement.pk))
        under.append(Plan.regulations.through(plan_id=plan.pk, regulation_id=regulations[p % len(regulations)].pk))
    for model, rows in ((Plan.locations.through, covers), (Plan.quality_statements.through, about)):
        model.objects.bulk_create(rows, batch_size=2000)
    Plan.regulations.through.objects.bulk_create(under, batch_size=2000)


def create_actions(people, plans, chain, progress):
    """Actions and their criteria. Those to be closed go in awaiting sign-off; closure.py closes them."""
    since = time.perf_counter()
    today = timezone.localdate()
    rows, final = [], []
    for p, plan in enumerate(plans):
        other = second_location(p, people.locations)
        for j in range(ACTIONS_PER_PLAN):
            n = p * ACTIONS_PER_PLAN + j
            location = other if other is not None and j % 2 else people.locations[p // PLANS]
            status = action_status(p, j)
            created = plan.created_at + timedelta(days=1)
            owner = people.managers[location.pk]
            rows.append(
                Action(
                    plan=plan,
                    location=location,
                    title=f"{STEP_WORDS[j % len(STEP_WORDS)]} ({plan.reference}/{j + 1})",
                    baseline_issue="6 of 20 records sampled fell short of the standard.",
                    measurable_improvement="95% of records sampled meet the standard, held for eight weeks.",
                    owner=owner,
                    due_date=today + timedelta(days=(n * 13) % 120 - 40),
                    high_risk=plan.is_high_risk_area,
                    monitoring="Weekly audit of ten records by the senior carer.",
                    status=S.AWAITING_SIGNOFF if status in (S.CLOSED, S.REOPENED) else status,
                    started_at=created + timedelta(days=3) if status in STARTED else None,
                    completed_at=created + timedelta(days=40) if status in COMPLETED else None,
                    created_by=owner,
                    created_at=created,
                )
            )
            final.append(status)
    actions = bulk(Action, rows)
    criteria = bulk(
        ClosureCriteria,
        [
            ClosureCriteria(
                action=action,
                stability_rule="spc" if n % 3 == 0 else "target_held",
                spc_baseline_points=6,
                approval_level=ApprovalLevel.NOMINATED_INDIVIDUAL if action.high_risk else ApprovalLevel.QUALITY_LEAD,
                agreed_at=action.created_at,
            )
            for n, action in enumerate(actions)
        ],
    )
    for action, rules in zip(actions, criteria, strict=True):
        data = {
            "title": action.title,
            "plan": action.plan.reference,
            "location": action.location.name,
            "owner": chain.labels[action.owner_id],
            "due_date": action.due_date,
            "high_risk": action.high_risk,
            "steps": STEPS_PER_ACTION,
            "criteria": criteria_values(rules),
        }
        chain.add(
            "action.created", action, at=action.created_at, actor_id=action.created_by_id, label=action.title, data=data
        )
        chain.add(
            "criteria.agreed",
            rules,
            at=action.created_at,
            actor_id=action.created_by_id,
            label=str(rules)[:300],
            data=data["criteria"],
        )
    progress.table("actions and criteria", len(actions) * 2, len(actions) * 2, since)
    return actions, final


def create_steps(people, actions, final, chain, progress):
    """Four steps an action: none done while open, two while in progress, all once completed."""
    since = time.perf_counter()
    count = events = 0
    for start, batch in zip(range(0, len(actions), 2000), chunks(actions), strict=True):
        rows = []
        for n, action in enumerate(batch, start):
            doers = people.staff[action.location_id]
            done = {S.OPEN: 0, S.IN_PROGRESS: 2}.get(final[n], STEPS_PER_ACTION)
            for i in range(STEPS_PER_ACTION):
                finished = action.created_at + timedelta(days=5 + 8 * i) if i < done else None
                rows.append(
                    Step(
                        action=action,
                        order=i + 1,
                        what=STEP_WORDS[i],
                        who=doers[(n + i) % len(doers)],
                        due_date=action.due_date - timedelta(days=7 * (STEPS_PER_ACTION - 1 - i)),
                        recorded_where="practice competency log",
                        done_at=finished,
                        done_by=doers[(n + i) % len(doers)] if finished else None,
                    )
                )
        steps = bulk(Step, rows)
        count += len(steps)
        for step in steps:
            if step.done_at:
                events += 1
                chain.add(
                    "step.completed",
                    step.action,
                    at=step.done_at,
                    actor_id=step.done_by_id,
                    label=step.action.title,
                    data={"step": step.pk, "what": step.what, "note": ""},
                )
    progress.table("steps", count, events, since)
