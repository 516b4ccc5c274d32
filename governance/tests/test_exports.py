"""Exports of the plan and action lists: the rows the filtered list shows, on every page, as CSV and XLSX."""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from actions.models import ActionStatus
from qip.models import AuditEvent
from qip.tests import domain_factories as make

PLANS, ACTIONS = reverse("plan_list"), reverse("action_list")


def today():
    return timezone.localdate()


def read_csv(response):
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def read_xlsx(response):
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def listed(client, url, query):
    """Every object the list shows for `query`, page after page, in its order."""
    response = client.get(url, query)
    shown = list(response.context["page"].object_list)
    for number in range(2, response.context["page"].paginator.num_pages + 1):
        shown += list(client.get(url, {**query, "page": number}).context["page"].object_list)
    return shown


def export(client, name, fmt, query=None):
    return client.get(reverse(name, args=[fmt]), query or {})


@pytest.fixture
def many_plans(org, home, branch, manager, other_manager):
    """30 care-planning plans at home (two pages), 3 medicines plans, and one at the branch only."""
    for n in range(30):
        make.PlanFactory(
            organisation=org,
            reference=f"QIP-P-{n:02d}",
            locations=[home, branch],
            owner=manager,
            risk_likelihood=n % 5 + 1,
        )
    for n in range(3):
        make.PlanFactory(organisation=org, reference=f"QIP-M-{n}", locations=[home], quality_area="medicines")
    make.PlanFactory(organisation=org, reference="QIP-BRANCH", locations=[branch], owner=other_manager)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_plan_export_has_the_filtered_lists_rows_across_pages_in_its_order(client, many_plans, manager, fmt):
    client.force_login(manager)
    query = {"quality_area": "care_planning", "o": "-risk", "page": "2"}  # the page is ignored: all rows

    shown = [plan.reference for plan in listed(client, PLANS, {"quality_area": "care_planning", "o": "-risk"})]
    response = export(client, "plan_export", fmt, query)

    assert response.status_code == 200
    rows = read_csv(response) if fmt == "csv" else read_xlsx(response)
    assert rows[0][:5] == ["Reference", "Title", "Locations", "Owner", "Status"]
    assert [row[0] for row in rows[1:]] == shown and len(shown) == 30
    first = rows[1]
    assert first[2] == "Oak House; Riverside Homecare" and first[3] == "Mary Manager" and first[4] == "Open"
    assert response["Content-Disposition"] == f'attachment; filename="plans-{today().isoformat()}.{fmt}"'


def test_csv_dates_are_iso_and_xlsx_dates_are_real_dates(client, org, home, manager):
    make.PlanFactory(organisation=org, locations=[home], owner=manager, target_date=date(2027, 3, 31))
    client.force_login(manager)

    csv_row = read_csv(export(client, "plan_export", "csv"))[1]
    xlsx_response = export(client, "plan_export", "xlsx")

    assert csv_row[9] == "2027-03-31"
    cell = load_workbook(io.BytesIO(xlsx_response.content)).active["J2"]
    assert cell.value == datetime(2027, 3, 31) and cell.is_date and cell.number_format == "dd/mm/yyyy"
    assert xlsx_response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert export(client, "plan_export", "csv")["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_action_export_has_the_filtered_lists_rows_across_pages(client, org, home, branch, manager, quality, fmt):
    plan = make.PlanFactory(organisation=org, reference="QIP-ACT", locations=[home, branch], owner=manager)
    for n in range(28):
        make.ActionFactory(
            plan=plan,
            location=home if n % 3 else branch,
            owner=manager,
            title=f"Action {n:02d}",
            status=ActionStatus.IN_PROGRESS if n % 2 else ActionStatus.OPEN,
            due_date=today() + timedelta(days=n % 7),
        )
    client.force_login(quality)
    query = {"status": "open", "o": "-location"}

    shown = [action.title for action in listed(client, ACTIONS, query)]
    rows = (read_csv if fmt == "csv" else read_xlsx)(export(client, "action_export", fmt, query))

    assert rows[0] == [
        "Action",
        "Plan reference",
        "Plan title",
        "Location",
        "Owner",
        "Status",
        "Due",
        "High risk",
        "Overdue",
    ]
    assert [row[0] for row in rows[1:]] == shown and len(shown) == 14
    assert rows[1][1:6] == ["QIP-ACT", plan.title, "Riverside Homecare", "Mary Manager", "Open"]
    assert rows[1][7:] == ["No", "No"]


def test_no_other_organisations_or_locations_rows_are_exported(client, many_plans, manager, outsider, foreign_org):
    foreign_plan = make.PlanFactory(organisation=foreign_org, reference="QIP-FOREIGN", owner=outsider)
    make.ActionFactory(plan=foreign_plan, owner=outsider, title="Foreign action")
    client.force_login(manager)

    plans = [row[0] for row in read_csv(export(client, "plan_export", "csv"))[1:]]
    actions = [row[0] for row in read_csv(export(client, "action_export", "csv"))[1:]]

    assert "QIP-FOREIGN" not in plans and "QIP-BRANCH" not in plans and len(plans) == 33
    assert "Foreign action" not in actions


def test_a_manager_at_home_never_exports_the_branchs_actions(client, org, home, branch, manager, other_manager):
    plan = make.PlanFactory(organisation=org, locations=[home, branch], owner=manager)
    make.ActionFactory(plan=plan, location=home, owner=manager, title="At home")
    make.ActionFactory(plan=plan, location=branch, owner=other_manager, title="At the branch")
    client.force_login(manager)

    rows = read_xlsx(export(client, "action_export", "xlsx", {"q": plan.reference}))

    assert [row[0] for row in rows[1:]] == ["At home"]


def test_text_a_spreadsheet_would_run_as_a_formula_is_neutralised(client, org, home, manager):
    plan = make.PlanFactory(organisation=org, locations=[home], owner=manager, title='=HYPERLINK("http://x","y")')
    for title in ("+1 call", "-2 visits", "@SUM(A1)", "Plain - title"):
        make.ActionFactory(plan=plan, location=home, owner=manager, title=title)
    client.force_login(manager)

    plan_csv = read_csv(export(client, "plan_export", "csv"))
    plan_sheet = load_workbook(io.BytesIO(export(client, "plan_export", "xlsx").content)).active
    action_csv = read_csv(export(client, "action_export", "csv", {"o": "plan"}))

    assert plan_csv[1][1] == '\'=HYPERLINK("http://x","y")'
    assert plan_sheet["B2"].value == '\'=HYPERLINK("http://x","y")' and plan_sheet["B2"].data_type == "s"
    assert sorted(row[0] for row in action_csv[1:]) == ["'+1 call", "'-2 visits", "'@SUM(A1)", "Plain - title"]
    assert {row[2] for row in action_csv[1:]} == {'\'=HYPERLINK("http://x","y")'}


def test_each_export_is_audited_with_format_rows_and_filters(client, many_plans, org, manager):
    client.force_login(manager)

    export(client, "plan_export", "xlsx", {"quality_area": "medicines", "o": "title", "page": "3", "risk": ""})
    export(client, "action_export", "csv")

    plans_event = AuditEvent.objects.get(action="plans.exported")
    assert plans_event.organisation == org and plans_event.actor == manager
    assert plans_event.data == {"format": "xlsx", "rows": 3, "filters": {"quality_area": "medicines", "o": "title"}}
    actions_event = AuditEvent.objects.get(action="actions.exported")
    assert actions_event.data == {"format": "csv", "rows": 0, "filters": {}}


def test_an_unknown_format_is_not_found_and_nothing_is_audited(client, many_plans, manager):
    client.force_login(manager)

    assert export(client, "plan_export", "pdf").status_code == 404
    assert export(client, "action_export", "json").status_code == 404
    assert not AuditEvent.objects.filter(action__endswith=".exported").exists()


def test_the_lists_link_to_downloads_carrying_the_current_filters(client, many_plans, org, home, manager):
    make.ActionFactory(plan=make.PlanFactory(organisation=org, locations=[home], owner=manager), location=home)
    client.force_login(manager)

    plans = client.get(PLANS, {"quality_area": "care_planning", "page": "2"}).content.decode()
    actions = client.get(ACTIONS, {"status": "open", "o": "-due"}).content.decode()

    assert 'href="/plans/export/csv/?quality_area=care_planning"' in plans
    assert 'href="/plans/export/xlsx/?quality_area=care_planning"' in plans
    assert ">Download CSV<" in plans and ">Download XLSX<" in plans
    assert 'href="/actions/export/csv/?status=open&amp;o=-due"' in actions
    assert 'href="/actions/export/xlsx/?status=open&amp;o=-due"' in actions


@pytest.mark.parametrize(("name", "fmt"), [("plan_export", "csv"), ("plan_export", "xlsx"), ("action_export", "xlsx")])
def test_an_export_costs_the_same_queries_for_5_and_50_rows(client, org, home, branch, manager, quality, name, fmt):
    client.force_login(quality)

    def count_queries(number):
        for _ in range(number):
            plan = make.PlanFactory(organisation=org, locations=[home, branch], owner=manager)
            make.ActionFactory(plan=plan, location=home, owner=make.member(org, locations=[home]))
        with CaptureQueriesContext(connection) as queries:
            response = export(client, name, fmt, {"o": "-risk" if name == "plan_export" else "-status"})
        assert response.status_code == 200
        return len(queries)

    five = count_queries(5)
    fifty = count_queries(45)
    assert five == fifty, f"{five} queries for 5 rows, {fifty} for 50"
