"""`{% load charts %}{% measure_chart measure location %}`: the server-side SVG chart of a measure.

The measure is one the page already showed the user (the view found it through a selector);
this draws it. One query for the readings at `location` (none when the readings were
prefetched), plus one for the action's closure criteria unless the action came with them
(`select_related("criteria")` on the action, or `select_related("action__criteria")` on the measure).
"""

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.utils.safestring import mark_safe

from actions.models import ClosureCriteria, StabilityRule
from evidence import selectors_measures as selectors
from evidence.charts import build_chart, target_words
from evidence.forms_measures import ReadingForm
from evidence.services import format_value
from qip import permissions

register = template.Library()


def _criteria(measure):
    action = measure.action if "action" in measure._state.fields_cache else None
    if action is not None:
        try:
            return action.criteria
        except ObjectDoesNotExist:
            return None
    return ClosureCriteria.objects.filter(action_id=measure.action_id).first()


def chart_options(measure):
    """The chart's rule and parameters from the action's closure criteria (target held when none)."""
    criteria = _criteria(measure)
    if criteria is None or criteria.stability_rule != StabilityRule.SPC:
        return {"rule": "target_held"}
    return {
        "rule": "spc",
        "baseline_count": criteria.spc_baseline_points,
        "shift_run": criteria.spc_shift_run,
        "trend_run": criteria.spc_trend_run,
    }


def readings_at(measure, location=None):
    """The measure's readings at `location` (at every location when None: the services keep them all at the
    action's location), oldest first."""
    location_id = getattr(location, "pk", location)
    prefetched = getattr(measure, "_prefetched_objects_cache", {}).get("readings")
    if prefetched is not None:
        readings = [r for r in prefetched if location_id is None or r.location_id == location_id]
        return sorted(readings, key=lambda reading: reading.period_end)
    readings = measure.readings.all()
    if location_id is not None:
        readings = readings.filter(location_id=location_id)
    return list(readings.order_by("period_end"))


def chart_svg(measure, readings, **size):
    """The measure's chart as safe HTML (built and escaped by evidence.charts)."""
    return mark_safe(  # noqa: S308 - every piece of text in it is escaped by evidence.charts
        build_chart(
            readings,
            target=measure.target,
            direction=measure.direction,
            unit=measure.unit,
            name=measure.name,
            frequency=measure.frequency,
            **chart_options(measure),
            **size,
        )
    )


@register.simple_tag
def measure_chart(measure, location=None, width=640, height=260):
    """The SVG chart of `measure`'s readings at `location`; nothing when there is no measure."""
    if not measure:
        return ""
    return chart_svg(measure, readings_at(measure, location), width=width, height=height)


PANEL_READINGS = 8


@register.simple_tag(takes_context=True)
def measure_panel_context(context, action):
    """What templates/evidence/_measure_panel.html shows for `action`, for the signed-in user.

    One query for the readings (chart and table share it), none when they were prefetched with the
    measure; the measure and criteria come with the action when it was loaded with
    select_related("measure", "criteria"), else one query each.
    A view re-rendering the panel may put `reading_form` (with errors) and `recorded_message` in the context.
    """
    request = context["request"]
    user = request.user
    measure = selectors.measure_of(action)
    panel = {
        "measure": measure,
        "can_manage": permissions.can_manage_measure(user, action),
        "recorded_message": context.get("recorded_message", ""),
    }
    if measure is None:
        return panel
    if "readings" in getattr(measure, "_prefetched_objects_cache", {}):
        # The action page loaded them, tenant-scoped, for its gate too (governance.selectors_actions).
        readings = readings_at(measure, action.location_id)
    else:
        readings = selectors.readings_for(
            user=user, organisation=request.organisation, measure=measure, location_id=action.location_id
        )
    can_record = permissions.can_record_reading(user, measure)
    form = context.get("reading_form") if can_record else None
    panel.update(
        readings=readings,
        latest=list(reversed(readings[-PANEL_READINGS:])),
        more=max(len(readings) - PANEL_READINGS, 0),
        chart=chart_svg(measure, readings),
        can_record=can_record,
        form=form or (ReadingForm(measure=measure) if can_record else None),
    )
    return panel


@register.filter
def with_unit(value, unit=""):
    """96.0 with "%" → "96%"; 3 with "falls" → "3 falls"."""
    if value is None or value == "":
        return ""
    return format_value(value, unit)


@register.simple_tag
def measure_target(measure):
    """ "Target 95%" / "Target 2 falls or below"."""
    return target_words(measure.target, measure.direction, measure.unit)


@register.filter
def meets_target(measure, value):
    """{% if measure|meets_target:reading.value %}."""
    return measure.meets_target(value)
