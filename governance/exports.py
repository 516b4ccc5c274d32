"""CSV and XLSX exports of the plan and action lists: exactly the rows the filtered list shows, in its order.

Each list has one function returning (headers, rows); a row holds Python values (text, numbers,
dates), so the CSV writer can put dates as ISO text and the XLSX writer as real dates.
"""

import csv
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from governance.selectors_plans import risk_level, uk_today
from qip import audit

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A spreadsheet treats text starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UK_DATE = "dd/mm/yyyy"


def _yes_no(value):
    return "Yes" if value else "No"


def plan_rows(plans):
    """(headers, rows) for plans from selectors_plans.plans_for_list() (locations prefetched)."""
    headers = [
        "Reference",
        "Title",
        "Locations",
        "Owner",
        "Status",
        "Stalled",
        "Risk score",
        "Risk level",
        "Next review",
        "Target date",
        "Overdue",
        "Actions closed",
        "Actions total",
    ]
    rows = [
        [
            plan.reference,
            plan.title,
            "; ".join(location.name for location in plan.locations.all()),
            plan.owner.get_full_name(),
            plan.get_status_display(),
            _yes_no(plan.is_stalled),
            plan.risk_rating,
            risk_level(plan.risk_rating).capitalize(),
            plan.next_review_date,
            plan.target_date,
            _yes_no(plan.is_overdue),
            plan.actions_closed,
            plan.actions_total,
        ]
        for plan in plans
    ]
    return headers, rows


def action_rows(actions):
    """(headers, rows) for actions from selectors_action_list.actions_for_list()."""
    headers = ["Action", "Plan reference", "Plan title", "Location", "Owner", "Status", "Due", "High risk", "Overdue"]
    rows = [
        [
            action.title,
            action.plan.reference,
            action.plan.title,
            action.location.name,
            action.owner.get_full_name(),
            action.get_status_display(),
            action.due_date,
            _yes_no(action.high_risk),
            _yes_no(action.is_overdue),
        ]
        for action in actions
    ]
    return headers, rows


def neutralise(value):
    """Text a spreadsheet would run as a formula gets a leading apostrophe, so it is shown, never run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value)


def write_csv(headers, rows):
    """UTF-8 with a byte-order mark, so Excel reads names with accents and dashes correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(header) for header in headers])
    writer.writerows([_csv_value(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def write_xlsx(headers, rows, *, title):
    """One sheet: a bold, frozen header row; dates as real dates shown the UK way."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([neutralise(value) for value in row])
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, date):
                cell.number_format = UK_DATE
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(header) + 2)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(fmt, headers, rows, *, title):
    """The file's bytes in `fmt` ("csv" or "xlsx")."""
    return write_csv(headers, rows) if fmt == "csv" else write_xlsx(headers, rows, title=title)


def filename(stem, fmt):
    return f"{stem}-{uk_today().isoformat()}.{fmt}"


def applied_filters(filterset):
    """The filters (and sort) that narrowed the export, as the user gave them: kept in its audit event."""
    if not filterset.form.is_valid():
        return {}
    cleaned = filterset.form.cleaned_data
    return {
        name: filterset.form.data.get(name) for name, value in cleaned.items() if value not in (None, "", False, [])
    }


def record_export(*, what, fmt, rows, filterset, actor, organisation):
    """Who took a copy of which rows out of the system: an export is an audited event (`what` is plans or actions)."""
    audit.record(
        action=f"{what}.exported",
        organisation=organisation,
        actor=actor,
        data={"format": fmt, "rows": len(rows), "filters": applied_filters(filterset)},
    )
