"""Post-closure checks and reopening: the list of due checks (and proposed reopenings) for quality
leads and nominated individuals, recording a check, and reopening a closed action.

Every view checks permission (qip.permissions.can_reopen), reads through
governance.selectors_checks (tenant-scoped: another organisation's object is a 404) and writes
only through governance.services. The earlier closure and its signature always stay on the record.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from actions.models import ActionStatus
from governance import selectors_checks as selectors
from governance import services
from governance.forms_checks import CheckRecordForm, ReopenForm
from governance.models import CheckResult, ReopenTrigger
from governance.transitions import TransitionNotAllowed
from qip import permissions
from qip.decorators import member_required, permission_required
from qip.forms_admin import add_service_errors

RECORDED = {
    CheckResult.HOLDING: "Recorded: holding.",
    CheckResult.DETERIORATED: "Deteriorated: the action has been reopened.",
}


def _refuse_unless(allowed):
    if not allowed:
        raise PermissionDenied


def _posted(request):
    return request.POST if request.method == "POST" else None


def _to_action(action_id):
    return redirect("action_detail", pk=action_id)


@permission_required(permissions.can_reopen)
@require_GET
def check_list(request):
    user, organisation = request.user, request.organisation
    today = timezone.localdate()
    groups = selectors.grouped_due_checks(user=user, organisation=organisation, today=today)
    context = {
        "today": today,
        "soon_days": selectors.SOON_DAYS,
        "sections": [
            ("overdue", "Overdue", groups["overdue"], "No check is overdue."),
            ("soon", f"Due in the next {selectors.SOON_DAYS} days", groups["soon"], "None due in the next two weeks."),
            ("later", "Due later", groups["later"], "No later checks."),
        ],
        "due_count": sum(len(checks) for checks in groups.values()),
        "reopenings": selectors.reopenings_proposed(user=user, organisation=organisation),
    }
    return render(request, "governance/check_list.html", context)


@member_required
def check_record(request, pk):
    user, organisation = request.user, request.organisation
    check = selectors.check_for_user(user=user, organisation=organisation, pk=pk)
    _refuse_unless(permissions.can_reopen(user, organisation))
    if check.result != CheckResult.DUE:
        messages.info(request, f"This {check.offset_days}-day check has already been recorded.")
        return _to_action(check.action_id)
    evidence_items = selectors.current_evidence(user=user, organisation=organisation, action=check.action)
    form = CheckRecordForm(_posted(request), evidence_items=evidence_items)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_post_closure_check(
                actor=user, check=check, result=data["result"], note=data["note"], evidence=data["evidence"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, RECORDED[data["result"]])
            return _to_action(check.action_id)
    context = {"check": check, "action": check.action, "signoff": check.signoff, "form": form}
    context["has_evidence"] = bool(form.fields["evidence"].choices)
    return render(request, "governance/check_record.html", context)


@member_required
def action_reopen(request, pk):
    user, organisation = request.user, request.organisation
    action = selectors.action_for_user(user=user, organisation=organisation, pk=pk)
    _refuse_unless(permissions.can_reopen(user, organisation))
    if action.status != ActionStatus.CLOSED:
        messages.info(
            request, f"Only a closed action can be reopened; this one is {action.get_status_display().lower()}."
        )
        return _to_action(action.pk)
    concern = selectors.proposing_concern(user=user, organisation=organisation, action=action)
    initial = {"trigger": ReopenTrigger.CONCERN if concern else ReopenTrigger.JUDGEMENT}
    form = ReopenForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        trigger = form.cleaned_data["trigger"]
        try:
            services.reopen(
                actor=user,
                action=action,
                reason=form.cleaned_data["reason"],
                trigger=trigger,
                concern=concern if trigger == ReopenTrigger.CONCERN else None,
            )
        except TransitionNotAllowed as error:  # a ValidationError: caught first
            messages.info(request, " ".join(error.messages))
            return _to_action(action.pk)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Reopened. The earlier closure and its signature stay on the record.")
            return redirect(reverse("action_detail", args=[action.pk]))
    context = {"action": action, "signoff": action.closing_signoff, "concern": concern, "form": form}
    return render(request, "governance/reopen_form.html", context)
