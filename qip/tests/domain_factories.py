"""Factories for plans, actions, steps, measures, readings, evidence and concerns.

Valid by default, bypassing the services (no audit events, no wording lint):

    plan = PlanFactory(organisation=org, locations=[home], owner=manager)
    action = ActionFactory(plan=plan, owner=manager)           # at the plan's first location, with criteria
    action = ActionFactory(plan=plan, steps=3, measure=True)   # three steps and a measure (target 95%)
    action = ActionFactory(high_risk=True, criteria={"min_readings": 2})
    ReadingFactory.create_batch(8, measure=action.measure)     # the last 8 weeks, newest first, all on target
    EvidenceFactory(action=action, category="observation", files=[("audit.pdf", PDF_BYTES)])

Without `organisation`, a plan gets a new organisation; without `locations`, a new
location in its organisation; without `owner`, a new registered manager there.
"""

import hashlib
import io
from datetime import timedelta

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from factory.django import DjangoModelFactory

from actions.models import Action, ActionStatus, ApprovalLevel, ClosureCriteria, Step
from evidence.files import Refused, detect_content_type
from evidence.models import Concern, EvidenceFile, EvidenceItem, Measure, MeasureReading
from qip.models import CADENCE_DAYS, EvidenceCategory, Plan, Role
from qip.tests.factories import PASSWORD, LocationFactory, MembershipFactory, OrganisationFactory, UserFactory
from qip.tests.two_factor_support import code_for

# The smallest files each sniffer accepts (evidence.files).
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = bytes.fromhex(  # 1 × 1 transparent pixel
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)


def today():
    return timezone.localdate()


def member(organisation, role=Role.REGISTERED_MANAGER, locations=(), **user_fields):
    """A new user with an active membership of organisation."""
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, organisation=organisation, role=role, locations=list(locations))
    return user


class PlanFactory(DjangoModelFactory):
    class Meta:
        model = Plan
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    # Not the QIP-<year>-<NNN> shape, so create_plan()'s numbering never counts factory plans.
    reference = factory.Sequence(lambda n: f"QIP-TEST-{n:04d}")
    title = "Medicines administration records are complete"
    problem_statement = "MAR charts had gaps on 6 of 20 charts sampled at the last inspection."
    source = "cqc_inspection"
    source_reference = "INS2-123456789"
    root_causes = "Night staff sign at the end of the round rather than at administration."
    quality_area = "care_planning"
    risk_likelihood = 3
    risk_impact = 3
    owner = factory.LazyAttribute(lambda o: member(o.organisation, Role.REGISTERED_MANAGER))
    created_by = factory.SelfAttribute("owner")
    review_cadence = "monthly"
    next_review_date = factory.LazyAttribute(lambda o: today() + timedelta(days=CADENCE_DAYS[o.review_cadence]))
    target_date = factory.LazyFunction(lambda: today() + timedelta(days=120))

    @factory.post_generation
    def locations(obj, create, extracted, **kwargs):
        if not create:
            return
        obj.locations.set(extracted or [LocationFactory(organisation=obj.organisation)])

    @factory.post_generation
    def quality_statements(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.quality_statements.set(extracted)

    @factory.post_generation
    def regulations(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.regulations.set(extracted)


def _criteria_for(action, overrides):
    values = {
        "approval_level": ApprovalLevel.NOMINATED_INDIVIDUAL if action.high_risk else ApprovalLevel.QUALITY_LEAD,
        **overrides,
    }
    return ClosureCriteria.objects.create(action=action, **values)


class ActionFactory(DjangoModelFactory):
    """An open action at the plan's first location, owned by the plan owner, with default criteria.

    criteria: True (default) / a dict of overrides / False for none.
    steps: a number of steps, or a list of dicts of Step fields.
    measure: False (default) / True / a dict of Measure fields.
    """

    class Meta:
        model = Action
        skip_postgeneration_save = True

    plan = factory.SubFactory(PlanFactory)
    location = factory.LazyAttribute(lambda o: o.plan.locations.order_by("name").first())
    title = "Senior carer audits 10 MAR charts every week for 8 weeks; target 100% signed at administration"
    baseline_issue = "6 of 20 MAR charts sampled had gaps."
    measurable_improvement = "100% of MAR entries signed at the time of administration."
    owner = factory.SelfAttribute("plan.owner")
    due_date = factory.LazyFunction(lambda: today() + timedelta(days=56))
    high_risk = False
    status = ActionStatus.OPEN
    created_by = factory.SelfAttribute("owner")

    @factory.post_generation
    def criteria(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        _criteria_for(obj, {**(extracted if isinstance(extracted, dict) else {}), **kwargs})

    @factory.post_generation
    def steps(obj, create, extracted, **kwargs):
        if not create or not extracted:
            return
        specs = [{} for _ in range(extracted)] if isinstance(extracted, int) else extracted
        for order, spec in enumerate(specs):
            StepFactory(action=obj, order=order, **spec)

    @factory.post_generation
    def measure(obj, create, extracted, **kwargs):
        if not create or not extracted:
            return
        MeasureFactory(action=obj, **(extracted if isinstance(extracted, dict) else {}), **kwargs)


class StepFactory(DjangoModelFactory):
    class Meta:
        model = Step

    action = factory.SubFactory(ActionFactory)
    order = factory.Sequence(lambda n: n)
    what = "Observe 5 medicine rounds a week and record MAR signing in the practice competency log"
    who = None
    who_role = "senior carer"
    due_date = factory.LazyFunction(lambda: today() + timedelta(days=28))
    recorded_where = "practice competency log"


class MeasureFactory(DjangoModelFactory):
    class Meta:
        model = Measure

    action = factory.SubFactory(ActionFactory)
    name = "MAR entries signed at the time of administration"
    unit = "%"
    direction = "higher"
    baseline_value = 70.0
    baseline_date = factory.LazyFunction(lambda: today() - timedelta(days=60))
    target = 95.0
    frequency = "weekly"
    data_source = "Weekly MAR audit"


def _next_period_end(measure, location):
    """Today for the first reading, then a week before the earliest: a batch is the last N weeks."""
    earliest = (
        MeasureReading.objects.filter(measure=measure, location=location)
        .order_by("period_end")
        .values_list("period_end", flat=True)
        .first()
    )
    return today() if earliest is None else earliest - timedelta(days=7)


class ReadingFactory(DjangoModelFactory):
    class Meta:
        model = MeasureReading

    measure = factory.SubFactory(MeasureFactory)
    location = factory.LazyAttribute(lambda o: o.measure.action.location)
    period_end = factory.LazyAttribute(lambda o: _next_period_end(o.measure, o.location))
    value = factory.LazyAttribute(lambda o: o.measure.target)
    recorded_by = factory.LazyAttribute(lambda o: o.measure.action.owner)


def evidence_category(slug="processes"):
    """One of the six evidence categories of the current framework, by slug."""
    return EvidenceCategory.objects.get(framework__is_current=True, slug=slug)


def _content_type(content, name):
    try:
        return detect_content_type(io.BytesIO(content), name)
    except Refused:
        return "application/octet-stream"


class EvidenceFactory(DjangoModelFactory):
    """Assurance evidence (an audit, category Processes) for an action, collected today.

    category: an EvidenceCategory or a slug. For plan-level evidence pass action=None, plan=plan.
    files: a list of (name, bytes); stored with their SHA-256 (set settings.MEDIA_ROOT to tmp_path).
    """

    class Meta:
        model = EvidenceItem
        skip_postgeneration_save = True

    action = factory.SubFactory(ActionFactory)
    plan = factory.LazyAttribute(lambda o: o.action.plan if o.action else PlanFactory())
    organisation = factory.LazyAttribute(lambda o: o.plan.organisation)
    location = factory.LazyAttribute(lambda o: o.action.location if o.action else None)
    category = factory.LazyFunction(evidence_category)
    kind = "audit"
    purpose = "assurance"
    title = "MAR audit: 10 charts"
    summary = "10 of 10 charts signed at the time of administration."
    collected_on = factory.LazyFunction(today)
    collected_by = factory.LazyAttribute(lambda o: o.action.owner if o.action else o.plan.owner)
    recorded_where = "Medicines audit folder"
    added_by = factory.SelfAttribute("collected_by")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if isinstance(kwargs.get("category"), str):
            kwargs["category"] = evidence_category(kwargs["category"])
        return super()._create(model_class, *args, **kwargs)

    @factory.post_generation
    def files(obj, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for name, content in extracted:
            digest = hashlib.sha256(content).hexdigest()
            record = EvidenceFile(
                evidence=obj,
                original_name=name,
                content_type=_content_type(content, name),
                size=len(content),
                sha256=digest,
                uploaded_by=obj.added_by,
            )
            record.file.save(name, ContentFile(content), save=True)


class ConcernFactory(DjangoModelFactory):
    class Meta:
        model = Concern

    action = factory.SubFactory(ActionFactory)
    kind = "incident"
    occurred_on = factory.LazyFunction(today)
    summary = "Medicine given late on the night shift; MAR not signed at the time."
    logged_by = factory.LazyAttribute(lambda o: o.action.owner)


def close_action(action, *, signer, password=PASSWORD):
    """Close an action the only way there is: through governance (steps, evidence, readings, request, sign-off).

    Adds what is missing (a step, a measure with 8 weekly readings on target, assurance evidence in two
    categories); the owner does the work and requests closure; `signer` (independent, senior enough) approves.
    """
    from governance import services as governance

    owner = action.owner
    if not action.steps.exists():
        StepFactory(action=action)
    for step in action.steps.filter(done_at__isnull=True):
        governance.complete_step(actor=owner, step=step)
    measure = Measure.objects.filter(action=action).first() or MeasureFactory(action=action)
    if not measure.readings.exists():
        ReadingFactory.create_batch(8, measure=measure)
    for slug in ("processes", "observation"):
        EvidenceFactory(action=action, category=slug, collected_by=owner)
    governance.start_assurance(actor=owner, action=action)
    request = governance.request_closure(
        actor=owner,
        action=action,
        bau_monitoring_plan="Monthly MAR audit by the deputy manager, reported to the governance meeting.",
        closure_learning="Observed rounds changed practice; reminder e-mails had not.",
    )
    governance.approve(actor=signer, closure_request=request, password=password, code=code_for(signer))
    action.refresh_from_db()
    return action
