from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from qip import permissions
from qip.audit import chain_key, verify_chain
from qip.decorators import permission_required
from qip.models import AuditEvent


@permission_required(permissions.can_view_audit_log)
@require_GET
def audit_log(request):
    events = AuditEvent.objects.for_user(request.user, request.organisation).select_related("actor").order_by("-seq")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    report = verify_chain(chain_key(request.organisation)) if request.GET.get("verify") else None
    return render(request, "qip/audit_log.html", {"page": page, "report": report})
