from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from qip import permissions, selectors, services
from qip.decorators import permission_required
from qip.forms_admin import LocationForm, add_service_errors
from qip.models import Location

CLASH = "Another location with this name or CQC location ID was saved at the same moment. Check and try again."

manage_locations = permission_required(permissions.can_manage_locations)


def _location(request, pk):
    return get_object_or_404(Location.objects.for_user(request.user, request.organisation), pk=pk)


@manage_locations
@require_GET
def location_list(request):
    locations = selectors.locations_for_admin(user=request.user, organisation=request.organisation)
    context = {
        "current": [location for location in locations if not location.is_archived],
        "archived": [location for location in locations if location.is_archived],
        "everywhere": selectors.people_with_every_location(user=request.user, organisation=request.organisation),
    }
    return render(request, "organisation/location_list.html", context)


@manage_locations
def location_add(request):
    form = LocationForm(request.POST or None, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            location = services.add_location(actor=request.user, organisation=request.organisation, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        except IntegrityError:
            form.add_error(None, CLASH)
        else:
            messages.success(request, f"{location.name} added.")
            return redirect("location_list")
    return render(request, "organisation/location_form.html", {"form": form, "location": None})


@manage_locations
def location_edit(request, pk):
    location = _location(request, pk)
    form = LocationForm(request.POST or None, organisation=request.organisation, location=location)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_location(actor=request.user, location=location, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        except IntegrityError:
            form.add_error(None, CLASH)
        else:
            messages.success(request, f"{location.name} saved.")
            return redirect("location_list")
        location.refresh_from_db()  # the service set the rejected values on it
    return render(request, "organisation/location_form.html", {"form": form, "location": location})


@manage_locations
def location_archive(request, pk):
    # Annotated with active_people for the confirmation page.
    location = get_object_or_404(
        selectors.locations_for_admin(user=request.user, organisation=request.organisation), pk=pk
    )
    if request.method == "POST":
        services.archive_location(actor=request.user, location=location)
        messages.success(request, f"{location.name} archived.")
        return redirect("location_list")
    return render(request, "organisation/location_archive.html", {"location": location})


@manage_locations
def location_restore(request, pk):
    location = _location(request, pk)
    if request.method != "POST":
        return redirect("location_list")  # the Restore button is there; a GET changes nothing
    services.restore_location(actor=request.user, location=location)
    messages.success(request, f"{location.name} restored.")
    return redirect("location_list")
