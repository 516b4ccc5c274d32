"""The measure screens: the measure panel on the action page, quick reading entry, the readings table, the measure."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import Action, ActionStatus
from evidence.models import Measure, MeasureReading
from qip.models import AuditEvent
from qip.tests import domain_factories as make

HTMX = {"HTTP_HX_REQUEST": "true"}


def today():
    return timezone.localdate()


@pytest.fixture
def plan(org, home, manager):
    return make.PlanFactory(organisation=org, locations=[home], owner=manager, created_by=manager)


@pytest.fixture
def action(plan, home, manager):
    """An action at Oak House with a weekly measure (target 95%) and 3 readings on target."""
    action = make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager, steps=1, measure=True)
    make.ReadingFactory.create_batch(3, measure=action.measure)
    return action


def add_url(action):
    return reverse("reading_add", args=[action.pk])


def reading(action, **fields):
    return {"period_end": (today() - timedelta(days=1)).isoformat(), "note": "", **fields}


def render_panel(action, user, **context):
    """The panel as the action page includes it: context `action`, for a signed-in user."""
    request = RequestFactory().get("/")
    request.user = type(user).objects.get(pk=user.pk)  # as in a request: memberships not yet loaded
    request.organisation = action.plan.organisation
    action = Action.objects.select_related("plan", "location", "measure", "criteria").get(pk=action.pk)
    return render_to_string("evidence/_measure_panel.html", {"action": action, **context}, request=request)


# --------------------------------------------------------------------------- the panel


def test_panel_shows_the_measure_chart_latest_readings_and_the_quick_entry_form(action, manager):
    html = render_panel(action, manager)

    assert 'id="measure"' in html
    assert "MAR entries signed at the time of administration" in html
    assert "Target 95% (higher is better)" in html
    assert "Weekly MAR audit" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and 'role="img"' in html
    assert html.count('class="point"') == 3
    assert "<caption>Latest readings, newest first</caption>" in html
    assert html.count("✔</span> Met") == 3
    assert reverse("reading_list", args=[action.pk]) in html
    assert f'hx-post="{add_url(action)}"' in html and f'action="{add_url(action)}"' in html
    assert 'hx-target="#measure"' in html and 'hx-swap="outerHTML"' in html
    assert 'for="id_reading_period_end"' in html and 'for="id_reading_numerator"' in html  # labelled inputs
    assert "Edit measure" in html
    assert 'style="' not in html and "<script" not in html


def test_panel_lists_only_the_latest_eight_readings(action, manager):
    make.ReadingFactory.create_batch(9, measure=action.measure)

    html = render_panel(action, manager)

    assert html.count('class="point"') == 12
    assert "(8 of 12)" in html
    assert "(all 12 readings)" in html


def test_staff_may_record_but_not_edit_the_measure_and_a_viewer_only_reads(action, staff, admin):
    staff_html = render_panel(action, staff)
    assert "Record a reading" in staff_html and "Edit measure" not in staff_html

    admin_html = render_panel(action, admin)  # an organisation admin with the viewer role
    assert "<svg" in admin_html
    assert "Record a reading" not in admin_html and "Edit measure" not in admin_html


def test_an_action_without_a_measure_offers_to_set_one_to_managers_only(plan, home, manager, staff):
    action = make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager)

    assert "No measure yet" in render_panel(action, manager)
    assert "Set the measure" in render_panel(action, manager)
    assert "No measure yet" in render_panel(action, staff)
    assert "Set the measure" not in render_panel(action, staff)


def test_panel_draws_the_spc_chart_when_the_criteria_choose_spc(plan, home, manager):
    action = make.ActionFactory(
        plan=plan, location=home, owner=manager, created_by=manager, measure=True, criteria={"stability_rule": "spc"}
    )
    make.ReadingFactory.create_batch(14, measure=action.measure)

    html = render_panel(action, manager)

    assert 'class="line-mean"' in html and 'class="line-ucl"' in html
    assert "Baseline (12 readings)" in html


def count_queries(render):
    with CaptureQueriesContext(connection) as queries:
        result = render()
    return len(queries.captured_queries), result


def test_panel_query_count_does_not_grow_with_readings(action, manager):
    make.ReadingFactory.create_batch(2, measure=action.measure)
    few, html = count_queries(lambda: render_panel(action, manager))
    assert html.count('class="point"') == 5
    make.ReadingFactory.create_batch(45, measure=action.measure)

    many, html = count_queries(lambda: render_panel(action, manager))

    assert html.count('class="point"') == 50
    assert many == few


# --------------------------------------------------------------------------- recording a reading


def test_staff_records_a_reading_without_javascript_and_goes_back_to_the_action(client, action, staff):
    client.force_login(staff)

    response = client.post(add_url(action), reading(action, value="97", note="Night rounds observed"))

    assert response.status_code == 302
    assert response.url == reverse("action_detail", args=[action.pk]) + "#measure"
    new = MeasureReading.objects.get(measure=action.measure, period_end=today() - timedelta(days=1))
    assert (new.value, new.recorded_by, new.note, new.location) == (
        97.0,
        staff,
        "Night rounds observed",
        action.location,
    )
    [message] = get_messages(response.wsgi_request)
    assert str(message) == f"Reading recorded for the week ending {(today() - timedelta(days=1)):%-d %b %Y}: 97%."
    assert AuditEvent.objects.filter(action="reading.recorded").for_object(new).exists()


def test_recording_with_htmx_returns_the_panel_with_the_new_value(client, action, staff):
    client.force_login(staff)

    response = client.post(add_url(action), reading(action, value="91.5"), **HTMX)

    assert response.status_code == 200
    assert response["HX-Trigger"] == "readingRecorded"
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="measure"') or '<section id="measure"' in html
    assert "<html" not in html  # the panel alone, swapped in place of the old one
    assert "Reading recorded for the week ending" in html
    assert "<td>91.5%</td>" in html
    assert "✘</span> Not met" in html
    assert html.count('class="point"') == 4
    assert 'name="period_end"' in html and 'value="91.5"' not in html  # a fresh form for the next one


def test_numerator_and_denominator_give_the_percentage(client, action, staff):
    client.force_login(staff)

    response = client.post(add_url(action), reading(action, numerator="12", denominator="13"), **HTMX)

    new = MeasureReading.objects.get(measure=action.measure, period_end=today() - timedelta(days=1))
    assert (new.value, new.numerator, new.denominator) == (92.3, 12, 13)
    html = response.content.decode()
    assert "<td>92.3%</td>" in html and "12 of 13" in html


def test_a_duplicate_period_is_refused_beside_the_date_and_nothing_is_written(client, action, staff):
    client.force_login(staff)
    taken = action.measure.readings.order_by("-period_end").first()
    before = MeasureReading.objects.count()

    plain = client.post(add_url(action), {"period_end": taken.period_end.isoformat(), "value": "80"})
    htmx = client.post(add_url(action), {"period_end": taken.period_end.isoformat(), "value": "80"}, **HTMX)

    assert MeasureReading.objects.count() == before
    for response in (plain, htmx):
        assert response.status_code == 200
        form = response.context["form"] if "form" in response.context else response.context["reading_form"]
        assert form.errors["period_end"][0].startswith(
            f"A reading for the week ending {taken.period_end:%-d %b %Y} is already recorded (95%)."
        )
        html = response.content.decode()
        field = html.index('id="id_reading_period_end"')
        error = html.index("is already recorded")
        assert field < error < html.index('id="id_reading_value"')  # beside the date field
    assert "<h1>Record a reading</h1>" in plain.content.decode()  # the no-JavaScript page
    assert '<section id="measure"' in htmx.content.decode()


def test_bad_numbers_are_explained_beside_their_fields(client, action, staff):
    client.force_login(staff)
    before = MeasureReading.objects.count()

    response = client.post(add_url(action), reading(action, value="lots"))
    assert response.context["form"].errors == {"value": ["Give the value as a number, for example 96."]}

    response = client.post(add_url(action), reading(action, numerator="14", denominator="12"))
    assert response.context["form"].errors == {
        "numerator": ["The number that met the standard (14) cannot be more than the number checked (12)."]
    }

    response = client.post(add_url(action), reading(action, numerator="4"))
    assert "denominator" in response.context["form"].errors

    response = client.post(add_url(action), {"value": "90"})
    assert response.context["form"].errors == {"period_end": ["Give the date the period ended."]}

    future = (today() + timedelta(days=3)).isoformat()
    response = client.post(add_url(action), {"period_end": future, "value": "90"})
    assert response.context["form"].errors == {"period_end": ["The period end cannot be in the future."]}
    assert MeasureReading.objects.count() == before


def test_the_reading_page_works_without_javascript(client, action, staff):
    client.force_login(staff)

    response = client.get(add_url(action))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Record a reading</h1>" in html
    assert f'<form method="post" action="{add_url(action)}"' in html
    assert "hx-post" not in html
    assert 'for="id_reading_value"' in html and "Value (%)" in html


@pytest.mark.parametrize(
    ("persona", "status"), [("viewer", 404), ("other_manager", 404), ("outsider", 404), ("admin", 403)]
)
def test_people_who_may_not_record_are_refused_and_nothing_is_written(client, action, request, persona, status):
    client.force_login(request.getfixturevalue(persona))
    before = MeasureReading.objects.count()

    assert client.post(add_url(action), reading(action, value="97")).status_code == status
    assert client.post(add_url(action), reading(action, value="97"), **HTMX).status_code == status
    assert MeasureReading.objects.count() == before


def test_recording_for_an_action_without_a_measure_says_so(client, plan, home, manager):
    action = make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager)
    client.force_login(manager)

    response = client.post(add_url(action), reading(action, value="97"))

    assert response.status_code == 200
    assert "has no measure yet" in response.content.decode()
    assert not MeasureReading.objects.exists()


# --------------------------------------------------------------------------- the numbers table


def test_the_readings_page_lists_every_reading_with_the_chart(client, action, admin):
    first = action.measure.readings.order_by("period_end").first()
    MeasureReading.objects.filter(pk=first.pk).update(value=90, numerator=9, denominator=10, note="Agency nurse")
    client.force_login(admin)

    response = client.get(reverse("reading_list", args=[action.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Readings: MAR entries signed at the time of administration</h1>" in html
    assert "<caption>3 readings at Oak House, newest first</caption>" in html
    assert '<th scope="col">Period ending</th>' in html
    assert html.count('class="point"') == 3
    assert "9 of 10" in html and "Agency nurse" in html
    assert html.count("✔</span> Met") == 2 and html.count("✘</span> Not met") == 1
    table = html[html.index("<table") :]
    assert table.index(f"<td>{first.period_end:%-d %b %Y}</td>") > table.index(f"<td>{today():%-d %b %Y}</td>")
    assert "Record a reading" not in html  # a viewer reads only


def test_the_readings_page_names_special_causes_for_spc(client, plan, home, manager):
    action = make.ActionFactory(
        plan=plan, location=home, owner=manager, created_by=manager, measure=True, criteria={"stability_rule": "spc"}
    )
    values = [80, 82, 79, 84, 81, 83, 80, 78, 82, 85, 81, 80, 60]
    for weeks_ago, value in enumerate(reversed(values)):
        make.ReadingFactory(measure=action.measure, period_end=today() - timedelta(weeks=weeks_ago), value=value)
    client.force_login(manager)

    html = client.get(reverse("reading_list", args=[action.pk])).content.decode()

    assert '<th scope="col">SPC</th>' in html
    assert html.count("<td>Baseline</td>") == 12
    assert "Concern (point beyond a limit)" in html
    assert 'class="signal signal-concern"' in html
    assert "process limits" in html


def test_readings_page_query_count_does_not_grow_with_readings(client, action, manager):
    client.force_login(manager)
    url = reverse("reading_list", args=[action.pk])
    make.ReadingFactory.create_batch(2, measure=action.measure)
    few, response = count_queries(lambda: client.get(url))
    assert len(response.context["rows"]) == 5
    make.ReadingFactory.create_batch(45, measure=action.measure)

    many, response = count_queries(lambda: client.get(url))

    assert len(response.context["rows"]) == 50
    assert many == few


def test_the_readings_page_is_read_only(client, action, manager):
    client.force_login(manager)

    assert client.post(reverse("reading_list", args=[action.pk])).status_code == 405


# --------------------------------------------------------------------------- the measure


def measure_data(measure, **changes):
    data = {
        "name": measure.name,
        "unit": measure.unit,
        "direction": measure.direction,
        "target": measure.target,
        "baseline_value": measure.baseline_value,
        "baseline_date": measure.baseline_date.isoformat(),
        "frequency": measure.frequency,
        "data_source": measure.data_source,
    }
    return {**data, **changes}


def test_a_manager_sets_the_measure_of_an_action_without_one(client, plan, home, manager):
    action = make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager)
    client.force_login(manager)
    url = reverse("measure_edit", args=[action.pk])

    page = client.get(url).content.decode()
    assert "<h1>Set the measure</h1>" in page and "Reason for the change" not in page

    response = client.post(
        url,
        {"name": "Falls per month", "unit": "falls", "direction": "lower", "target": "2", "frequency": "monthly"},
    )

    assert response.status_code == 302
    assert response.url == reverse("action_detail", args=[action.pk]) + "#measure"
    measure = Measure.objects.get(action=action)
    assert (measure.name, measure.direction, measure.target, measure.unit) == ("Falls per month", "lower", 2.0, "falls")
    assert AuditEvent.objects.filter(action="measure.created").for_object(measure).exists()


def test_changing_the_target_after_the_start_needs_a_reason(client, action, manager):
    Action.objects.filter(pk=action.pk).update(status=ActionStatus.IN_PROGRESS, started_at=timezone.now())
    measure = action.measure
    client.force_login(manager)
    url = reverse("measure_edit", args=[action.pk])
    assert "Reason for the change" in client.get(url).content.decode()

    refused = client.post(url, measure_data(measure, target="90"))

    assert refused.status_code == 200
    assert "say why the target or direction is changing" in refused.context["form"].errors["reason"][0]
    html = refused.content.decode()
    assert html.index("say why the target") > html.index('id="id_reason"')  # beside the reason field
    measure.refresh_from_db()
    assert measure.target == 95.0

    accepted = client.post(url, measure_data(measure, target="90", reason="The audit now samples night rounds too."))

    assert accepted.status_code == 302
    measure.refresh_from_db()
    assert measure.target == 90.0
    [event] = AuditEvent.objects.filter(action="measure.changed").for_object(measure)
    assert event.data["reason"] == "The audit now samples night rounds too."
    assert event.data["changes"]["target"] == [95.0, 90.0]


def test_renaming_the_measure_after_the_start_needs_no_reason(client, action, manager):
    Action.objects.filter(pk=action.pk).update(status=ActionStatus.IN_PROGRESS, started_at=timezone.now())
    client.force_login(manager)

    response = client.post(
        reverse("measure_edit", args=[action.pk]), measure_data(action.measure, data_source="Monthly MAR audit")
    )

    assert response.status_code == 302
    action.measure.refresh_from_db()
    assert action.measure.data_source == "Monthly MAR audit"


def test_bad_measure_input_is_explained_beside_the_fields(client, plan, home, manager):
    action = make.ActionFactory(plan=plan, location=home, owner=manager, created_by=manager)
    client.force_login(manager)

    response = client.post(
        reverse("measure_edit", args=[action.pk]),
        {"name": "", "direction": "higher", "target": "lots", "frequency": "weekly", "baseline_value": "70"},
    )

    errors = response.context["form"].errors
    assert errors["name"] == ["Say what is measured."]
    assert errors["target"] == ["Give the target as a number, for example 95."]
    assert not Measure.objects.filter(action=action).exists()


@pytest.mark.parametrize(("persona", "status"), [("staff", 403), ("admin", 403), ("viewer", 404), ("outsider", 404)])
def test_only_managers_may_change_the_measure(client, action, request, persona, status):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(reverse("measure_edit", args=[action.pk]), measure_data(action.measure, target="50"))

    assert response.status_code == status
    action.measure.refresh_from_db()
    assert action.measure.target == 95.0


# --------------------------------------------------------------------------- the template tag


def test_measure_chart_tag_draws_the_chart_with_one_query_for_the_readings(action, home):
    from django.template import Context, Template

    measure = Measure.objects.select_related("action__criteria").get(pk=action.measure.pk)
    template = Template("{% load charts %}{% measure_chart measure location %}")

    queries, html = count_queries(lambda: template.render(Context({"measure": measure, "location": home})))

    assert queries == 1
    assert html.startswith("<svg") and html.count('class="point"') == 3


# --------------------------------------------------------------------------- in the browser


@pytest.mark.browser
def test_quick_entry_swaps_the_panel_in_place_under_the_content_security_policy(demo, live_server, browser):
    from qip.tests.browser import sign_in

    measure = (
        Measure.objects.filter(action__location__name="Oak House")
        .exclude(action__status=ActionStatus.CLOSED)
        .select_related("action")
        .first()
    )
    taken = set(measure.readings.values_list("period_end", flat=True))
    period_end = next(today() - timedelta(days=days) for days in range(1, 60) if today() - timedelta(days) not in taken)
    context = browser.new_context(viewport={"width": 768, "height": 1024})  # the app's own CSP applies
    page = context.new_page()
    problems = []
    page.on("console", lambda message: "Refused to" in message.text and problems.append(message.text))  # CSP
    try:
        sign_in(page, live_server, "staff@example.com")
        page.goto(f"{live_server.url}{reverse('action_detail', args=[measure.action_id])}")
        panel = page.locator("#measure")
        panel.get_by_label("Period ending").fill(period_end.isoformat())
        panel.get_by_label("Number that met the standard").fill("19")
        panel.get_by_label("Number checked").fill("20")
        with page.expect_response(lambda response: "/readings/add/" in response.url):
            panel.get_by_role("button", name="Record reading").click()

        page.locator("#measure [role=status]").wait_for()
        assert "Reading recorded for the" in page.locator("#measure [role=status]").inner_text()
        assert "19 of 20" in page.locator("#measure table").inner_text()
        assert page.url.endswith(reverse("action_detail", args=[measure.action_id]))  # no page load
        assert page.locator("#measure").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 768
        assert not problems, problems
    finally:
        context.close()
    assert measure.readings.filter(period_end=period_end, numerator=19, denominator=20, value=95.0).exists()
