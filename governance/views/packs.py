"""Commissioner packs: ask for one, watch it being built, download it (issue 7, DESIGN.md §8).

Every member sees the packs that hold nothing from a location they cannot see (Pack.objects.for_user);
only quality leads and nominated individuals ask for them. A small pack is built while the person
waits; a bigger one by the worker, and its page polls (htmx) for progress, or reloads itself without
JavaScript.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from governance import services_packs, tasks
from governance.forms_packs import PackForm
from governance.models import Pack, PackStatus
from governance.selectors_plans import visible_locations
from qip import permissions
from qip.decorators import member_required
from qip.forms_admin import add_service_errors
from qip.models import Plan

PACKS_PER_PAGE = 20


def _pack_form(request):
    user, organisation = request.user, request.organisation
    plans = Plan.objects.for_user(user, organisation).order_by("-reference", "pk")
    initial = {}
    # isdecimal, not isdigit: "²" is a digit that int() (and so the pk lookup) refuses.
    if (chosen := request.GET.get("plan", "")).isdecimal() and plans.filter(pk=chosen).exists():
        initial = {"scope": "plans", "plans": [int(chosen)]}  # "Make a commissioner pack" on a plan's page
    return PackForm(
        request.POST if request.method == "POST" else None,
        locations=visible_locations(user=user, organisation=organisation),
        plans=plans,
        initial=initial,
    )


def _start(pack):
    """Build now when small, else hand it to the worker once the request's rows are committed."""
    if services_packs.builds_now(pack):
        services_packs.build_pack(pack.pk)
    else:
        transaction.on_commit(lambda: tasks.build_pack.delay(pack.pk))


@member_required
def pack_list(request):
    user, organisation = request.user, request.organisation
    may_make = permissions.can_make_packs(user, organisation)
    if request.method == "POST" and not may_make:
        raise PermissionDenied
    form = _pack_form(request) if may_make else None
    if request.method == "POST" and form.is_valid():
        try:
            pack = services_packs.request_pack(actor=user, organisation=organisation, **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _start(pack)
            return redirect("pack_detail", pk=pack.pk)
    earlier = Pack.objects.for_user(user, organisation).select_related("requested_by")
    page = Paginator(earlier, PACKS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "governance/pack_list.html", {"form": form, "page": page, "may_make": may_make})


@member_required
@require_GET
def pack_detail(request, pk):
    pack = get_object_or_404(
        Pack.objects.for_user(request.user, request.organisation).select_related("requested_by"), pk=pk
    )
    context = {
        "pack": pack,
        "stale": services_packs.is_stale(pack),
        "may_make": permissions.can_make_packs(request.user, request.organisation),
        "plans": pack.plans.order_by("reference"),
        "chosen_locations": pack.chosen_locations.order_by("name"),
        "poll_seconds": 1,
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "governance/_pack_progress.html", context)
    return render(request, "governance/pack_detail.html", context)


@member_required
@require_POST
def pack_retry(request, pk):
    pack = get_object_or_404(Pack.objects.for_user(request.user, request.organisation), pk=pk)
    try:
        services_packs.retry(actor=request.user, pack=pack)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _start(pack)
        messages.success(request, f"{pack.reference} is being built again.")
    return redirect("pack_detail", pk=pack.pk)


@member_required
@require_GET
def pack_download(request, pk):
    pack = get_object_or_404(Pack.objects.for_user(request.user, request.organisation), pk=pk)
    if pack.status != PackStatus.READY:
        raise Http404("This pack has no file yet.")
    handle = pack.file.open("rb")
    services_packs.record_download(actor=request.user, pack=pack)
    response = FileResponse(handle, as_attachment=True, filename=pack.filename(), content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return response
