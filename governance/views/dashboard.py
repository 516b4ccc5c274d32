"""The dashboard: the home page, by role. Read-only; every item links to where the work is done."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from governance import selectors_dashboard


@login_required
@require_GET
def dashboard(request):
    # The landing page after sign-in: someone with no organisation is told so here (200, not 403).
    if request.organisation is None:
        return render(request, "qip/no_organisation.html")
    context = selectors_dashboard.dashboard(
        user=request.user, organisation=request.organisation, membership=request.membership
    )
    return render(request, "governance/dashboard.html", context)
