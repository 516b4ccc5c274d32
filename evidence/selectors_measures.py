"""Reads for the measure screens (MEASURES area). Each starts from `for_user`, so tenancy cannot be forgotten."""

from django.core.exceptions import ObjectDoesNotExist
from django.shortcuts import get_object_or_404

from actions.models import Action
from evidence.models import MeasureReading


def action_for_measures(*, user, organisation, pk):
    """The action (with its plan, location, measure and criteria) or 404 when the user cannot see it."""
    actions = Action.objects.for_user(user, organisation).select_related("plan", "location", "measure", "criteria")
    return get_object_or_404(actions, pk=pk)


def measure_of(action):
    """The action's measure, or None."""
    try:
        return action.measure
    except ObjectDoesNotExist:
        return None


def readings_for(*, user, organisation, measure, location_id):
    """The measure's readings at a location, oldest first, with who recorded them: one query."""
    return list(
        MeasureReading.objects.for_user(user, organisation)
        .filter(measure=measure, location_id=location_id)
        .select_related("recorded_by")
        .order_by("period_end")
    )
