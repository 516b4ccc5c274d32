from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from qip import services


@require_GET
def health(request):
    return HttpResponse("ok", content_type="text/plain")


@login_required
@require_POST
def switch_organisation(request):
    wanted = request.POST.get("organisation", "")
    membership = next((m for m in request.memberships if str(m.organisation_id) == wanted), None)
    if membership is None:
        return render(request, "404.html", status=404)
    services.switch_organisation(user=request.user, session=request.session, membership=membership)
    return redirect("home")


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)
