"""Evidence screens: add (to an action or a plan), the evidence page, file download, withdraw.

Files are served only by `evidence_file_download`, after the tenancy check, as attachments
with nosniff; every download is audited. Evidence is never deleted: it is withdrawn with a reason.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from actions.models import Action
from evidence import selectors, services
from evidence.files import download_name
from evidence.forms import EvidenceForm, WithdrawForm
from qip import audit, permissions
from qip.decorators import member_required
from qip.forms_admin import add_service_errors
from qip.models import Plan
from qip.plan_services import uk_date


def _go(request, url):
    """Redirect; for an htmx request, tell htmx to load the page instead."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _add(request, *, action=None, plan=None):
    if not permissions.can_add_evidence(request.user, action if action is not None else plan):
        raise PermissionDenied
    posted = request.method == "POST"
    form = EvidenceForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        user=request.user,
        organisation=request.organisation,
        action=action,
        plan=plan,
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.add_evidence(
                actor=request.user,
                action=action,
                plan=plan if action is None else None,
                category=data["category"],
                kind=data["kind"],
                purpose=data["purpose"],
                title=data["title"],
                collected_on=data["collected_on"],
                collected_by=data["collected_by"],
                summary=data["summary"],
                recorded_where=data["recorded_where"],
                people_named=data["people_named"],
                assures_step=data.get("assures_step"),
                location=data.get("location"),
                files=data["files"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            count = len(data["files"])
            with_files = f" with {count} file{'s' if count != 1 else ''}" if count else ""
            messages.success(request, f"Evidence added{with_files}: {item.title}.")
            if action is not None:
                return _go(request, reverse("action_detail", args=[action.pk]))
            return _go(request, reverse("plan_detail", args=[plan.pk]))
    context = {
        "form": form,
        "action": action,
        "plan": action.plan if action is not None else plan,
        # A browser never fills a file input again: say so when the form comes back with a problem.
        "files_dropped": posted and bool(request.FILES) and bool(form.errors),
    }
    template = "evidence/evidence_add_form.html" if request.htmx else "evidence/evidence_add.html"
    return render(request, template, context)


@member_required
@require_http_methods(["GET", "POST"])
def evidence_add(request, action_pk):
    action = get_object_or_404(
        Action.objects.for_user(request.user, request.organisation).select_related("plan", "location"), pk=action_pk
    )
    return _add(request, action=action)


@member_required
@require_http_methods(["GET", "POST"])
def plan_evidence_add(request, plan_pk):
    plan = get_object_or_404(Plan.objects.for_user(request.user, request.organisation), pk=plan_pk)
    return _add(request, plan=plan)


@member_required
@require_GET
def evidence_detail(request, pk):
    item = get_object_or_404(selectors.evidence_detail(request.user, request.organisation), pk=pk)
    files = list(item.files.all())
    context = {
        "item": item,
        "files": files,
        "history": selectors.evidence_history(request.user, request.organisation, item, files=files),
        "can_withdraw": not item.is_withdrawn and permissions.can_withdraw_evidence(request.user, item),
    }
    return render(request, "evidence/evidence_detail.html", context)


@member_required
@require_GET
def evidence_file_download(request, pk):
    record = get_object_or_404(selectors.evidence_file_for_download(request.user, request.organisation), pk=pk)
    try:
        handle = record.file.open("rb")
    except OSError:
        raise Http404("The stored file is missing.") from None
    evidence = record.evidence
    audit.record(
        action="evidence.downloaded",
        organisation=evidence.organisation_id,
        actor=request.user,
        obj=record,
        data={
            "evidence": evidence.pk,
            "file": record.original_name,
            "file_id": record.pk,
            "sha256": record.sha256,
            "withdrawn": evidence.is_withdrawn,
        },
    )
    # The name is the person's label: saved as what the content really is, so a PDF named ".exe" is not run.
    filename = download_name(record.original_name, record.content_type)
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=record.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response


@member_required
@require_http_methods(["GET", "POST"])
def evidence_withdraw(request, pk):
    item = get_object_or_404(selectors.evidence_detail(request.user, request.organisation), pk=pk)
    if not permissions.can_withdraw_evidence(request.user, item):
        raise PermissionDenied
    posted = request.method == "POST"
    if posted and item.is_withdrawn:
        messages.info(
            request, f"This evidence was already withdrawn on {uk_date(timezone.localdate(item.withdrawn_at))}."
        )
        return _go(request, reverse("evidence_detail", args=[item.pk]))
    form = WithdrawForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            services.withdraw_evidence(actor=request.user, evidence=item, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Evidence withdrawn: {item.title}. It is kept and shown as withdrawn.")
            return _go(request, reverse("evidence_detail", args=[item.pk]))
    context = {"item": item, "form": form}
    template = "evidence/evidence_withdraw_form.html" if request.htmx else "evidence/evidence_withdraw.html"
    return render(request, template, context)
