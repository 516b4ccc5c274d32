"""The measure screens: set or change an action's measure, record a reading, the numbers behind the chart.

The measure panel on the action page (templates/evidence/_measure_panel.html) posts its quick reading
form here; with htmx the panel comes back re-rendered, without JavaScript the browser is redirected
to the action page with a message.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from evidence import charts, services
from evidence import selectors_measures as selectors
from evidence.forms_measures import MeasureForm, ReadingForm
from evidence.services import PERIOD_WORDS, format_value
from evidence.templatetags.charts import chart_options, chart_svg
from qip import permissions
from qip.decorators import member_required
from qip.forms_admin import add_service_errors
from qip.plan_services import uk_date

PANEL = "evidence/_measure_panel.html"


def _action(request, action_pk):
    return selectors.action_for_measures(user=request.user, organisation=request.organisation, pk=action_pk)


def _back_to_action(action):
    return redirect(reverse("action_detail", args=[action.pk]) + "#measure")


def recorded_message(measure, reading):
    period = PERIOD_WORDS.get(measure.frequency, "period")
    return (
        f"Reading recorded for the {period} ending {uk_date(reading.period_end)}: "
        f"{format_value(reading.value, measure.unit)}."
    )


@member_required
def measure_edit(request, action_pk):
    """Set the action's measure (when it has none) or change it; after the start a new target needs a reason."""
    action = _action(request, action_pk)
    if not permissions.can_manage_measure(request.user, action):
        raise PermissionDenied("You cannot set this action's measure.")
    measure = selectors.measure_of(action)
    started = action.started_at is not None
    form = MeasureForm(request.POST if request.method == "POST" else None, measure=measure, started=started)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason", "")
        try:
            if measure is None:
                services.create_measure(actor=request.user, action=action, **data)
            else:
                services.update_measure(actor=request.user, measure=measure, reason=reason, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Measure set." if measure is None else "Measure saved.")
            return _back_to_action(action)
    context = {"action": action, "measure": measure, "form": form, "started": started}
    return render(request, "evidence/measure_form.html", context)


@member_required
def reading_add(request, action_pk):
    """Record one reading. POST from the measure panel (htmx: the panel comes back); GET: a form page."""
    action = _action(request, action_pk)
    measure = selectors.measure_of(action)
    if measure is None:
        return render(request, "evidence/measure_reading_add.html", {"action": action, "measure": None})
    if not permissions.can_record_reading(request.user, measure):
        raise PermissionDenied("You cannot record readings for this measure.")
    form = ReadingForm(request.POST if request.method == "POST" else None, measure=measure)
    if request.method == "POST" and form.is_valid():
        try:
            reading = services.record_reading(actor=request.user, measure=measure, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            message = recorded_message(measure, reading)
            if request.htmx:
                response = render(request, PANEL, {"action": action, "recorded_message": message})
                response["HX-Trigger"] = "readingRecorded"
                return response
            messages.success(request, message)
            return _back_to_action(action)
    if request.htmx:
        return render(request, PANEL, {"action": action, "reading_form": form})
    return render(request, "evidence/measure_reading_add.html", {"action": action, "measure": measure, "form": form})


@member_required
@require_GET
def reading_list(request, action_pk):
    """Every reading behind the chart, newest first, with whether it met the target (and, for SPC, special causes)."""
    action = _action(request, action_pk)
    measure = selectors.measure_of(action)
    context = {"action": action, "measure": measure}
    if measure is not None:
        readings = selectors.readings_for(
            user=request.user, organisation=request.organisation, measure=measure, location_id=action.location_id
        )
        options = chart_options(measure)
        analysis = charts.analyse(readings, target=measure.target, direction=measure.direction, **options)
        context.update(
            readings=readings,
            rows=list(reversed(list(zip(readings, analysis.points, strict=True)))),
            analysis=analysis,
            chart=chart_svg(measure, readings),
            can_record=permissions.can_record_reading(request.user, measure),
        )
    return render(request, "evidence/measure_reading_list.html", context)
