"""The sign-off inbox and the decision page (issue 5).

The inbox lists the pending closure requests the user may decide (the gate's signer rules: role, named
reviewer, independence), oldest first, a page at a time. The decision page shows the gate, the evidence
by category, the measure, the BAU plan and learning and the criteria history, and takes one of three
decisions through governance.services: approve (password again), challenge or reject (each with a reason).
Plain forms: every decision works without JavaScript.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from governance import selectors_signoff as selectors
from governance import services
from governance.forms_signoff import APPROVE, CHALLENGE, REJECT, decision_forms
from governance.models import RequestStatus
from governance.transitions import ClosureRefused
from qip import permissions
from qip.decorators import member_required, permission_required

# A care group can have thousands of requests pending: a page of the oldest is what a signer works through.
INBOX_PAGE_SIZE = 25
DONE = {
    APPROVE: "Closure approved and signed. The signature is on the record below.",
    CHALLENGE: "Closure challenged: returned to assurance with your reason.",
    REJECT: "Closure rejected: returned to in progress with your reason.",
}
PLAN_DONE = {
    APPROVE: "Plan closure approved and signed.",
    CHALLENGE: "Plan closure challenged: the plan is open again with your reason.",
    REJECT: "Plan closure rejected: the plan is open again with your reason.",
}


@permission_required(permissions.can_decide_closures)
@require_GET
def signoff_inbox(request):
    requests = selectors.inbox(user=request.user, organisation=request.organisation)
    page = Paginator(requests, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "governance/signoff_inbox.html", {"page": page, "requests": page.object_list})


def _subject_url(closure_request):
    """The action's page at its closure decisions (the new signature), or the plan's page."""
    if closure_request.action_id:
        return redirect(reverse("action_detail", args=[closure_request.action_id]) + "#closure-decisions")
    return redirect(reverse("plan_detail", args=[closure_request.plan_id]) + "#main")


def _decide(request, closure_request, decision, form):
    """Call the service for `decision`; return the sign-off, or None with the errors on `form`."""
    try:
        if decision == APPROVE:
            return services.approve(
                actor=request.user,
                closure_request=closure_request,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
            )
        decide = services.challenge if decision == CHALLENGE else services.reject
        return decide(actor=request.user, closure_request=closure_request, reason=form.cleaned_data["reason"])
    except ClosureRefused as refused:
        form.add_error(None, [criterion.sentence for criterion in refused.failing])
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, field_messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_messages)
        else:
            form.add_error(None, error.messages)
    return None


@member_required
@require_http_methods(["GET", "POST"])
def signoff_decide(request, pk):
    user, organisation = request.user, request.organisation
    closure_request = selectors.closure_request_for_user(user=user, organisation=organisation, pk=pk)
    gate = selectors.gate_for(user=user, closure_request=closure_request)
    why_not = selectors.refusal(gate)
    if why_not:
        context = {"closure_request": closure_request, "reasons": why_not}
        return render(request, "governance/signoff_refused.html", context, status=403)

    decision = request.POST.get("decision") if request.method == "POST" else None
    forms = decision_forms(request.POST if decision else None, decision, is_plan=bool(closure_request.plan_id))
    problem = ""
    if request.method == "POST":
        form = forms.get(decision)
        if closure_request.status != RequestStatus.PENDING:
            problem = f"This request has already been decided ({closure_request.get_status_display().lower()})."
        elif form is None:
            problem = "Choose a decision: approve, challenge or reject."
        elif form.is_valid() and _decide(request, closure_request, decision, form) is not None:
            done = PLAN_DONE if closure_request.plan_id else DONE
            messages.success(request, done[decision])
            return _subject_url(closure_request)
    subject = closure_request.subject
    context = {
        "closure_request": closure_request,
        "subject": subject,
        "gate": gate,
        "forms": forms,
        "decision": decision,
        "problem": problem,
        "statement": services.APPROVAL_STATEMENT.format(
            subject=subject.title if closure_request.action_id else subject
        ),
        "evidence_groups": selectors.evidence_by_category(
            user=user, organisation=organisation, closure_request=closure_request
        ),
        "criteria_changes": selectors.criteria_changes(closure_request=closure_request),
        "plan_actions": selectors.plan_actions(user=user, organisation=organisation, closure_request=closure_request),
        "signoffs": selectors.signoffs_of_request(
            user=user, organisation=organisation, closure_request=closure_request
        ),
        "is_pending": closure_request.status == RequestStatus.PENDING,
    }
    return render(request, "governance/signoff_decide.html", context)
