"""Provider oversight: stalled and long-running plans, closures and reopenings, and each location at a glance.

Read-only, for quality leads and nominated individuals (qip.permissions.can_view_oversight); the filters
travel in the address, so the page works without JavaScript and can be bookmarked.
"""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from governance import selectors_oversight as selectors
from governance.forms_oversight import OversightFilterForm
from governance.selectors_plans import visible_locations
from qip import permissions
from qip.decorators import permission_required

# A care group can have hundreds of locations: the by-location table shows a page of them, by name.
LOCATIONS_PER_PAGE = 25


@permission_required(permissions.can_view_oversight)
@require_GET
def oversight(request):
    user, organisation = request.user, request.organisation
    # Read once: the filter offers them and the by-location table lists them.
    locations = list(visible_locations(user=user, organisation=organisation))
    form = OversightFilterForm(request.GET or None, locations=locations)
    period, location = form.chosen()
    table = Paginator([location] if location else locations, LOCATIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = selectors.oversight(
        user=user, organisation=organisation, rows=table.object_list, period=period, location=location
    )
    context.update(form=form, table=table)
    return render(request, "governance/oversight.html", context)
