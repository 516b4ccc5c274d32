"""Action screens: create (with steps, measure and closure criteria), detail with the closure
readiness panel, edit, ticking steps, adding a step, the wording check, assurance, the closure
request and concerns.

Every view checks permission (qip.permissions), reads through governance.selectors_actions
(tenant-scoped: another organisation's action is a 404) and writes only through the services.
htmx enhances the step ticks and the wording check; each works as a plain form without it.
"""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.utils import ErrorDict, ErrorList
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from actions import services as action_services
from actions.models import ActionStatus, ApprovalLevel
from evidence import services as evidence_services
from evidence.models import ConcernEffect
from governance import audit_wording, selectors_signoff
from governance import gate as closure_gate
from governance import selectors_actions as selectors
from governance import services as governance_services
from governance.forms_actions import (
    ActionCreateForm,
    ActionForm,
    ClosureRequestForm,
    ConcernForm,
    CriteriaChangeForm,
    CriteriaForm,
    MeasureForm,
    StepAddForm,
    StepDoneForm,
    StepFormSet,
    StepUndoForm,
    WordingReasonForm,
    findings_for,
)
from governance.transitions import ClosureRefused
from qip import audit_text, permissions
from qip.decorators import member_required
from qip.forms_admin import add_service_errors
from qip.models import PlanStatus
from qip.once import AlreadySubmitted, only_once
from qip.plan_services import uk_date

HISTORY_PAGE_SIZE = 25
FIXED_STATUSES = (ActionStatus.AWAITING_SIGNOFF, ActionStatus.CLOSED)
STEP_NUMBER = re.compile(r"^Step (\d+): ")


def _refuse_unless(allowed):
    if not allowed:
        raise PermissionDenied


def _posted(request):
    """The form data of a POST (even an empty one, so its fields are judged), else None."""
    return request.POST if request.method == "POST" else None


def _messages_of(error):
    return " ".join(error.messages)


def _forget_errors(*forms):
    """Show forms as they were typed, without judging them (the 'add another step' button)."""
    for form in forms:
        if hasattr(form, "forms"):
            form._errors, form._non_form_errors = [], ErrorList()
            _forget_errors(*form.forms)
        else:
            form._errors = ErrorDict()


def _route_errors(error, *, form, others=()):
    """A service's {field: message} beside the field of whichever form has it, else above `form`.

    'Step N: …' messages (create_action's "steps") go on the Nth filled-in row of `steps`.
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, field_messages in error.message_dict.items():
        owner = next((other for other in (form, *others) if field in other.fields), None)
        if owner is None:
            form.add_error(None, field_messages)
        else:
            owner.add_error(field, field_messages)


def _route_step_error(message, *, steps, form):
    """'Step 2: …' goes on the second filled-in row of the formset."""
    match = STEP_NUMBER.match(message)
    filled = [row for row, _ in steps.steps()]
    if match and 0 < int(match[1]) <= len(filled):
        filled[int(match[1]) - 1].add_error(None, message)
    else:
        form.add_error(None, message)


def _show_reason(form, *rows):
    """The 'reason to keep this wording' field shows once anything on the form was flagged."""
    flagged = any(row.lint() for row in (form, *rows))
    return flagged or bool(form.data.get("wording_reason")) or form.has_error("title") or form.has_error("what")


# Create


@member_required
def action_create(request, plan_pk):
    user, organisation = request.user, request.organisation
    plan = selectors.plan_for_user(user=user, organisation=organisation, pk=plan_pk)
    _refuse_unless(permissions.can_create_action(user, plan, None))
    locations = selectors.manageable_locations(user=user, plan=plan)
    people = selectors.assignable_people(user=user, organisation=organisation, locations=locations)
    derived = action_services.derive_high_risk(plan)

    data = request.POST if request.method == "POST" else None
    adding_row = data is not None and "add_step" in data
    if adding_row:
        data = data.copy()
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        rows = int(data.get("steps-TOTAL_FORMS") or 0) if (data.get("steps-TOTAL_FORMS") or "").isdecimal() else 3
        data["steps-TOTAL_FORMS"] = str(min(rows + 1, StepFormSet.max_num))
    form = ActionCreateForm(data, people=people, locations=locations, derived_high_risk=derived)
    steps = StepFormSet(data, prefix="steps", form_kwargs={"people": people})
    measure_form = MeasureForm(data, prefix="measure")
    criteria_form = CriteriaForm(data, prefix="criteria", high_risk=form.is_high_risk())

    if adding_row:
        _forget_errors(form, steps, measure_form, criteria_form)
    elif data is not None and all(f.is_valid() for f in (form, steps, measure_form, criteria_form)):
        action = _create(request, plan, form, steps, measure_form, criteria_form, derived)
        if action is not None:
            messages.success(request, f"Action added to {plan.reference}. Its closure readiness is shown below.")
            return redirect("action_detail", action.pk)

    context = {
        "plan": plan,
        "form": form,
        "steps": steps,
        "measure_form": measure_form,
        "criteria_form": criteria_form,
        "derived_high_risk": derived,
        "show_reason": data is not None and not adding_row and _show_reason(form, *steps.forms),
        "reason_form": form,
        "plan_closed": plan.status == PlanStatus.CLOSED,
    }
    return render(request, "governance/action_form.html", context)


def _create(request, plan, form, steps, measure_form, criteria_form, derived):
    """create_action then create_measure, in one transaction: a refused measure keeps nothing."""
    values = form.action_values()
    high_risk = values.pop("high_risk")
    if high_risk == derived[0] and not values["high_risk_reason"]:
        high_risk = None  # derived again by the service, with the plan's reason recorded
    criteria = dict(criteria_form.cleaned_data)
    if high_risk or (high_risk is None and derived[0]):
        criteria["approval_level"] = ApprovalLevel.NOMINATED_INDIVIDUAL
    stage = "action"
    try:
        with transaction.atomic():
            action = action_services.create_action(
                actor=request.user,
                plan=plan,
                location=form.cleaned_data["location"],
                steps=[step for _, step in steps.steps()],
                criteria=criteria,
                wording_reason=form.cleaned_data["wording_reason"],
                high_risk=high_risk,
                **values,
            )
            stage = "measure"
            evidence_services.create_measure(actor=request.user, action=action, **measure_form.cleaned_data)
    except ValidationError as error:
        if stage == "measure":
            _route_errors(error, form=measure_form)
        elif hasattr(error, "error_dict") and "steps" in error.error_dict:
            for message in error.message_dict["steps"]:
                _route_step_error(message, steps=steps, form=form)
            rest = {field: items for field, items in error.error_dict.items() if field != "steps"}
            if rest:
                _route_errors(ValidationError(rest), form=form, others=(criteria_form,))
        else:
            _route_errors(error, form=form, others=(criteria_form,))
        return None
    return action


# Detail


def _decorate_steps(user, action):
    steps = list(action.steps.all())
    open_for_work = action.status not in FIXED_STATUSES
    today = timezone.localdate()
    for number, step in enumerate(steps, 1):
        step.number = number
        step.overdue = not step.is_done and step.due_date is not None and step.due_date < today
        step.can_complete = open_for_work and not step.is_done and permissions.can_complete_step(user, step)
    return steps


def readiness(user, action, gate):
    """What the closure readiness panel shows: every line, what to do next and the buttons allowed."""
    work = [criterion for criterion in gate.criteria if criterion.code not in closure_gate.DECISION_CODES]
    decision = [criterion for criterion in gate.criteria if criterion.code in closure_gate.DECISION_CODES]
    failing = [criterion for criterion in work if not criterion.passed]
    status = action.status
    may_manage = permissions.can_manage_action(user, action)
    if status == ActionStatus.CLOSED:
        next_step = "This action is closed. Post-closure checks follow; a concern can propose reopening it."
    elif status == ActionStatus.AWAITING_SIGNOFF:
        next_step = "Closure has been requested. " + gate.get(closure_gate.SIGNER_ROLE).sentence
    elif failing:
        next_step = failing[0].sentence
    elif status == ActionStatus.COMPLETED:
        next_step = "The work and evidence are ready: start assurance monitoring, then request closure."
    elif status == ActionStatus.ASSURANCE:
        next_step = (
            "Everything the work and evidence must show is in place: request closure with the "
            "business-as-usual monitoring plan and the closure learning."
        )
    else:
        next_step = "Finish the remaining steps."
    named = action.criteria.named_reviewer if action.criteria.named_reviewer_id else None
    return {
        "gate": gate,
        "work_lines": work,
        "decision_lines": decision,
        "next_step": next_step,
        "who_may_sign": gate.get(closure_gate.SIGNER_ROLE).sentence,
        "who_may_not_sign": gate.get(closure_gate.SIGNER_INDEPENDENT).sentence,
        "named_reviewer": named,
        "can_start_assurance": status == ActionStatus.COMPLETED and may_manage,
        "can_request_closure": status == ActionStatus.ASSURANCE
        and gate.ready_to_request
        and permissions.can_request_closure(user, action),
        "awaiting_signoff": status == ActionStatus.AWAITING_SIGNOFF,
    }


def _detail_context(request, action, *, full=True):
    """What the action page shows. `action` comes from selectors.action_for_detail, whose prefetches
    the gate, the measure panel and the history all read, so the page costs the same queries whatever
    the number of steps, evidence items, readings or events."""
    user = request.user
    # No actor: the signer lines say who may sign, rather than judging whoever is looking.
    gate = closure_gate.evaluate_action_closure(action, request=action.pending_closure)
    context = {
        "action": action,
        "steps": _decorate_steps(user, action),
        "readiness": readiness(user, action, gate),
        "can_manage": permissions.can_manage_action(user, action),
    }
    if full:
        context.update(_detail_sections(request, action, can_manage=context["can_manage"]))
    return context


def _detail_sections(request, action, *, can_manage):
    """Everything below the readiness panel: evidence, concerns, criteria, decisions and the history."""
    user, organisation = request.user, request.organisation
    evidence_items = list(action.evidence.all())
    page, criteria_changes = selectors.action_history(
        user=user, organisation=organisation, action=action, page=request.GET.get("page"), per_page=HISTORY_PAGE_SIZE
    )
    for event in page:
        event.sentence = audit_text.describe(event)
    return {
        "evidence_items": evidence_items,
        "can_withdraw": bool(evidence_items) and permissions.can_withdraw_evidence(user, evidence_items[0]),
        "can_add_evidence": permissions.can_add_evidence(user, action) and not action.is_closed,
        "can_log_concern": permissions.can_log_concern(user, action),
        "can_edit": can_manage and not action.is_closed,
        "concerns": list(action.concerns.all()),
        "criteria": action.criteria,
        "criteria_changes": [
            {"event": event, "changes": audit_wording.change_list(event.data.get("changes"))}
            for event in criteria_changes
        ],
        "pending_request": action.pending_closure if action.status == ActionStatus.AWAITING_SIGNOFF else None,
        "page": page,
        "step_form": _step_form(request, action, can_manage=can_manage),
        "signoffs": (
            selectors_signoff.signoffs_for(user=user, organisation=organisation, subject=action)
            if action.has_decisions
            else []
        ),
    }


def _step_form(request, action, *, can_manage):
    """The 'add a step' form, for someone who may add one while the work is still open."""
    if not can_manage or action.status in FIXED_STATUSES:
        return None
    people = selectors.assignable_people(
        user=request.user, organisation=request.organisation, locations=[action.location]
    )
    return StepAddForm(people=people, auto_id="new-step-%s")


@member_required
@require_GET
def action_detail(request, pk):
    action = selectors.action_for_detail(user=request.user, organisation=request.organisation, pk=pk)
    return render(request, "governance/action_detail.html", _detail_context(request, action))


# Steps


@member_required
@require_POST
def step_done(request, pk):
    step = selectors.step_for_user(user=request.user, organisation=request.organisation, pk=pk)
    _refuse_unless(permissions.can_complete_step(request.user, step))
    error = ""
    form = StepDoneForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["note"])
        governance_services.complete_step(actor=request.user, step=step, note=form.cleaned_data["note"])
    except ValidationError as exc:
        error = _messages_of(exc)
    if request.htmx:
        action = selectors.action_for_detail(user=request.user, organisation=request.organisation, pk=step.action_id)
        context = _detail_context(request, action, full=False)
        context["step"] = next(row for row in context["steps"] if row.pk == step.pk)
        context["step_error"] = error
        return render(request, "governance/_action_step_done.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Step marked done.")
    return redirect(reverse("action_detail", args=[step.action_id]) + f"#step-{step.pk}")


@member_required
def step_undo(request, pk):
    """A step ticked by mistake or whose work did not hold: not done after all, with the reason."""
    step = selectors.step_for_user(user=request.user, organisation=request.organisation, pk=pk)
    _refuse_unless(permissions.can_manage_action(request.user, step.action))
    form = StepUndoForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            governance_services.undo_step(actor=request.user, step=step, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Step marked not done.")
            return redirect(reverse("action_detail", args=[step.action_id]) + f"#step-{step.pk}")
    return render(request, "governance/step_undo.html", {"step": step, "action": step.action, "form": form})


@member_required
def step_add(request, pk):
    user, organisation = request.user, request.organisation
    action = selectors.action_for_user(user=user, organisation=organisation, pk=pk)
    _refuse_unless(permissions.can_manage_action(user, action))
    people = selectors.assignable_people(user=user, organisation=organisation, locations=[action.location])
    form = StepAddForm(_posted(request), people=people, auto_id="new-step-%s")
    if request.method == "POST" and form.is_valid():
        try:
            with only_once(request):
                governance_services.add_step(
                    actor=user, action=action, wording_reason=form.cleaned_data["wording_reason"], **form.step_values()
                )
        except AlreadySubmitted:
            # A double click: the browser shows this, the second answer, so it says what happened.
            messages.info(request, "The form was sent twice; the step was added once.")
            return redirect(reverse("action_detail", args=[action.pk]) + "#steps")
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Step added.")
            return redirect(reverse("action_detail", args=[action.pk]) + "#steps")
    context = {
        "action": action,
        "form": form,
        "show_reason": form.is_bound and _show_reason(form),
        "fixed": action.status in FIXED_STATUSES,
    }
    return render(request, "governance/action_step_add.html", context)


@member_required
@require_POST
def wording_check(request):
    """The wording lint's findings for one field (htmx), shown under it as the manager types."""
    name = request.POST.get("lint", "")
    kind = "step" if request.POST.get("kind") == "step" else "action"
    prefix = name[: -len("what")] if kind == "step" and name.endswith("what") else ""
    findings = findings_for(request.POST, name, kind, prefix) if request.POST.get(name, "").strip() else None
    context = {
        "findings": findings,
        "reason_oob": bool(findings) and "wording_reason" not in request.POST,
        "reason_form": WordingReasonForm(),
    }
    return render(request, "governance/_action_wording_findings.html", context)


# Assurance and closure


@member_required
@require_POST
def action_start_assurance(request, pk):
    action = selectors.action_for_user(user=request.user, organisation=request.organisation, pk=pk)
    _refuse_unless(permissions.can_manage_action(request.user, action))
    try:
        governance_services.start_assurance(actor=request.user, action=action)
    except ValidationError as error:
        messages.error(request, _messages_of(error))
    else:
        messages.success(
            request,
            "Assurance monitoring started. Keep recording readings and assurance evidence; "
            "request closure when the readiness panel allows it.",
        )
    return redirect("action_detail", pk=action.pk)


@member_required
def action_request_closure(request, pk):
    user = request.user
    action = selectors.action_for_detail(user=user, organisation=request.organisation, pk=pk)
    _refuse_unless(permissions.can_request_closure(user, action))
    form = ClosureRequestForm(_posted(request))
    refused = []
    if request.method == "POST" and form.is_valid():
        try:
            governance_services.request_closure(actor=user, action=action, **form.cleaned_data)
        except ClosureRefused as error:
            refused = error.failing
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Closure requested. The action is awaiting sign-off.")
            return redirect("action_detail", pk=action.pk)
    gate = closure_gate.evaluate_action_closure(action)
    context = {
        "action": action,
        "form": form,
        "refused": refused,
        "readiness": readiness(user, action, gate),
        "in_assurance": action.status == ActionStatus.ASSURANCE,
    }
    return render(request, "governance/action_request_closure.html", context)


# Concerns


CONCERN_OUTCOMES = {
    ConcernEffect.WINDOW_RESTARTED: "Concern logged. The stability window restarts from {day}: readings after "
    "that date count towards closure.",
    ConcernEffect.REOPEN_PROPOSED: "Concern logged. The action is closed, so reopening it is proposed to the "
    "quality lead and nominated individual.",
    ConcernEffect.NONE: "Concern logged. Work on the action has not started, so it does not change the closure "
    "criteria yet.",
}


@member_required
def concern_add(request, action_pk):
    action = selectors.action_for_user(user=request.user, organisation=request.organisation, pk=action_pk)
    _refuse_unless(permissions.can_log_concern(request.user, action))
    form = ConcernForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            concern = evidence_services.log_concern(actor=request.user, action=action, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, CONCERN_OUTCOMES[concern.effect].format(day=uk_date(concern.occurred_on)))
            return redirect(reverse("action_detail", args=[action.pk]) + "#concerns")
    return render(request, "governance/action_concern_form.html", {"action": action, "form": form})


# Edit


@member_required
def action_edit(request, pk):
    user, organisation = request.user, request.organisation
    action = selectors.action_for_user(user=user, organisation=organisation, pk=pk)
    _refuse_unless(permissions.can_manage_action(user, action))
    if action.is_closed:
        return render(request, "governance/action_edit.html", {"action": action, "form": None})
    people = selectors.assignable_people(
        user=user, organisation=organisation, locations=[action.location], include=[action.owner]
    )
    derived = action_services.derive_high_risk(action.plan)
    initial = {field: getattr(action, field) for field in action_services.ACTION_FIELDS}
    form = ActionForm(
        _posted(request),
        initial=initial,
        people=people,
        derived_high_risk=derived if derived[0] and action.high_risk else (False, ""),
    )
    if request.method == "POST" and form.is_valid():
        try:
            action_services.update_action(
                actor=user, action=action, wording_reason=form.cleaned_data["wording_reason"], **form.action_values()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Action saved.")
            return redirect("action_detail", pk=action.pk)
    context = {"action": action, "form": form, "show_reason": form.is_bound and _show_reason(form)}
    return render(request, "governance/action_edit.html", context)


CRITERIA_FIELDS = (
    "min_evidence_categories",
    "stability_rule",
    "window_days",
    "min_readings",
    "spc_baseline_points",
    "spc_shift_run",
    "spc_trend_run",
    "approval_level",
    "post_closure_offsets",
)


@member_required
def criteria_edit(request, pk):
    user, organisation = request.user, request.organisation
    action = selectors.action_for_user(user=user, organisation=organisation, pk=pk)
    criteria = action.criteria
    _refuse_unless(permissions.can_change_criteria(user, criteria))
    context = {"action": action, "criteria": criteria, "started": action.started_at is not None}
    if action.is_closed:
        return render(request, "governance/criteria_edit.html", {**context, "form": None})
    initial = {field: getattr(criteria, field) for field in CRITERIA_FIELDS}
    initial["post_closure_offsets"] = ", ".join(str(days) for days in criteria.post_closure_offsets)
    form = CriteriaChangeForm(_posted(request), initial=initial, high_risk=action.high_risk)
    if request.method == "POST" and form.is_valid():
        values = {field: form.cleaned_data[field] for field in CRITERIA_FIELDS}
        try:
            action_services.change_criteria(actor=user, criteria=criteria, reason=form.cleaned_data["reason"], **values)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Closure criteria changed.")
            return redirect(f"{reverse('action_detail', args=[action.pk])}#criteria")
    return render(request, "governance/criteria_edit.html", {**context, "form": form})
