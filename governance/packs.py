"""The commissioner pack: one PDF of the chosen plans (DESIGN.md §8), built with WeasyPrint.

`build_pack_pdf()` reads through governance.selectors_packs (each read starts from `for_user()`, a
fixed number of queries per plan), lays the records out with templates/packs/pack.html and the
static stylesheet static/packs/pack.css (DejaVu fonts from static/fonts, so the PDF looks the same on
every machine), and returns the PDF bytes and the number of pages.

Redaction (``redact=True``) leaves out the names held in the dedicated ``people_named`` fields of
evidence items and concerns: "[name withheld]" is printed instead and the template never sees those
values. Free text is never searched for names.

WeasyPrint fetches only through `static_url_fetcher`: files under the project's static/ folder and
data: URLs; anything else (the network, other files) raises ValueError.
"""

from __future__ import annotations

import inspect
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from actions.models import ActionStatus, StabilityRule
from evidence import charts, stability
from evidence.services import format_value
from governance import audit_wording
from governance import selectors_packs as selectors
from qip.models import PlanStatus

STATIC_DIR = Path(settings.BASE_DIR) / "static"
WITHHELD = "[name withheld]"
MARKING = "Contains personal information — handle in line with your data protection policy"
NO_KEY_QUESTION = "No key question linked"
CHART_WIDTH, CHART_HEIGHT = 600, 230
PACK_FONT = "DejaVu Sans"
CHART_ID = re.compile(r'id="(chart-[0-9a-f]+)-')

SECTION_HEADINGS = {
    "contents": "Contents",
    "summary": "Summary",
    "appendix": "Appendix: statistical process control rules",
}


# --------------------------------------------------------------------------- fetching


def static_url_fetcher(url, *args, **kwargs):
    """WeasyPrint's url_fetcher: data: URLs and files under static/ only; everything else raises ValueError."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "data":
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url)
    if scheme != "file":
        raise ValueError(f"The pack may not fetch {url!r}: only files under static/ and data: URLs.")
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValueError(f"The pack may not fetch {url!r}: only files under static/ and data: URLs.")
    root = STATIC_DIR.resolve()
    path = Path(unquote(parts.path)).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise ValueError(f"The pack may not fetch {url!r}: only files under static/ and data: URLs.")
    mime_type, _ = mimetypes.guess_type(path.name)
    return {
        "string": path.read_bytes(),
        "mime_type": mime_type or "application/octet-stream",
        "redirected_url": path.as_uri(),
        "filename": path.name,
    }


# --------------------------------------------------------------------------- preparing what is printed


@dataclass
class PlanSection:
    plan: object
    number: int
    key_questions: list
    actions: list
    evidence_groups: list
    reviews: list
    cadence_changes: list
    closure_requests: list
    checks: list
    reopenings: list
    criteria_changes: list
    concerns: list = field(default_factory=list)

    @property
    def anchor(self):
        return f"plan-{self.plan.pk}"


def _people(value, redact):
    """What is printed for a people_named field: the names, "[name withheld]", or "" when none recorded."""
    if not value:
        return ""
    return WITHHELD if redact else value


def _chart(action):
    """The measure's SVG chart (evidence.charts, as on screen), drawn in the pack's font."""
    measure = action.measure
    readings = [reading for reading in measure.readings.all() if reading.location_id == action.location_id]
    options = {"rule": "target_held"}
    criteria = action.criteria if selectors.has_related(action, "criteria") else None
    if criteria is not None and criteria.stability_rule == StabilityRule.SPC:
        options = {"rule": "spc", **criteria.stability_params}
    svg = charts.build_chart(
        readings,
        target=measure.target,
        direction=measure.direction,
        unit=measure.unit,
        name=measure.name,
        frequency=measure.frequency,
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        **options,
    )
    svg = svg.replace(f'font-family="{charts.FONT}"', f'font-family="{PACK_FONT}"', 1)
    # Two charts of the same readings get the same ids; one pack needs them unique.
    for chart_id in set(CHART_ID.findall(svg)):
        svg = svg.replace(chart_id, f"{chart_id}-a{action.pk}")
    return mark_safe(svg), readings  # noqa: S308 - every piece of text in it is escaped by evidence.charts


def _criteria_words(criteria):
    if criteria is None:
        return "No closure criteria recorded"
    if criteria.stability_rule == StabilityRule.SPC:
        rule = (
            f"SPC (Making Data Count): baseline of {criteria.spc_baseline_points} readings, "
            f"shift run {criteria.spc_shift_run}, trend run {criteria.spc_trend_run}"
        )
    else:
        rule = f"target held: at least {criteria.min_readings} readings in {criteria.window_days} days, all on target"
    return (
        f"{rule}; evidence in at least {criteria.min_evidence_categories} categories; "
        f"approval by {criteria.get_approval_level_display().lower()}"
    )


def _prepare_action(action, *, redact, today):
    action.has_measure = selectors.has_related(action, "measure")
    criteria = action.criteria if selectors.has_related(action, "criteria") else None
    action.criteria_text = _criteria_words(criteria)
    action.is_overdue = bool(action.due_date and action.due_date < today and action.status != ActionStatus.CLOSED)
    action.step_list = list(action.steps.all())
    action.concern_list = list(action.concerns.all())
    for concern in action.concern_list:
        concern.people_text = _people(concern.people_named, redact)
    if action.has_measure:
        measure = action.measure
        action.chart, readings = _chart(action)
        action.target_text = charts.target_words(measure.target, measure.direction, measure.unit)
        action.baseline_text = (
            "" if measure.baseline_value is None else format_value(measure.baseline_value, measure.unit)
        )
        action.latest_text = format_value(readings[-1].value, measure.unit) if readings else ""
        action.latest_date = readings[-1].period_end if readings else None
    return action


def _evidence_groups(items, categories, *, redact):
    by_category = {}
    for item in items:
        item.people_text = _people(item.people_named, redact)
        by_category.setdefault(item.category_id, []).append(item)
    groups = [{"category": category, "items": by_category.pop(category.pk, [])} for category in categories]
    for category_items in by_category.values():  # a category of an earlier framework
        groups.append({"category": category_items[0].category, "items": category_items})
    return groups


def _key_questions(plan):
    names = []
    for statement in plan.quality_statements.all():
        name = statement.key_question.name
        if name not in names:
            names.append(name)
    return names


def _in_period(moment, date_from, date_to):
    return moment is not None and date_from <= timezone.localtime(moment).date() <= date_to


def _summary(sections, *, date_from, date_to):
    plan_status = {label: 0 for _, label in PlanStatus.choices}
    action_status = {label: 0 for _, label in ActionStatus.choices}
    by_key_question = {}
    plans_overdue = actions_overdue = 0
    closed_actions, closed_plans, reopened = [], [], []
    for section in sections:
        plan = section.plan
        plan_status[plan.get_status_display()] += 1
        plans_overdue += bool(plan.is_overdue)
        if plan.status == PlanStatus.CLOSED and _in_period(plan.closed_at, date_from, date_to):
            closed_plans.append(plan)
        for name in section.key_questions or [NO_KEY_QUESTION]:
            row = by_key_question.setdefault(name, {"plans": 0, "actions": 0, "open": 0, "closed": 0})
            row["plans"] += 1
            row["actions"] += len(section.actions)
            row["closed"] += sum(action.status == ActionStatus.CLOSED for action in section.actions)
            row["open"] += sum(action.status != ActionStatus.CLOSED for action in section.actions)
        for action in section.actions:
            action_status[action.get_status_display()] += 1
            actions_overdue += action.is_overdue
            if action.status == ActionStatus.CLOSED and _in_period(action.closed_at, date_from, date_to):
                closed_actions.append(action)
        reopened += [r for r in section.reopenings if _in_period(r.reopened_at, date_from, date_to)]
    order = {name: index for index, name in enumerate(KEY_QUESTION_ORDER)}
    return {
        "plan_status": list(plan_status.items()),
        "action_status": list(action_status.items()),
        "by_key_question": sorted(by_key_question.items(), key=lambda item: (order.get(item[0], 99), item[0])),
        "plans_total": len(sections),
        "actions_total": sum(len(section.actions) for section in sections),
        "plans_overdue": plans_overdue,
        "actions_overdue": actions_overdue,
        "closed_actions": closed_actions,
        "closed_plans": closed_plans,
        "reopened": reopened,
    }


KEY_QUESTION_ORDER = ("Safe", "Effective", "Caring", "Responsive", "Well-led", NO_KEY_QUESTION)


def _default(function, name):
    return inspect.signature(function).parameters[name].default


def spc_rules():
    """The SPC rule set the app runs (evidence.stability), in words and figures, for the appendix."""
    limit = float(stability.LIMIT_FACTOR)
    shift_run = _default(stability.special_causes, "shift_run")
    trend_run = _default(stability.special_causes, "trend_run")
    return {
        "limit_factor": f"{limit:g}",
        "two_sigma_factor": f"{float(stability.TWO_SIGMA_FACTOR):.4g}",
        "locked_min_points": stability.LOCKED_MIN_POINTS,
        "shift_run": shift_run,
        "trend_run": trend_run,
        "rules": [
            ("Point beyond a limit", "A single point strictly above the upper or below the lower process limit."),
            (
                "Shift",
                f"{shift_run} or more consecutive points strictly on one side of the mean "
                "(a point exactly on the mean breaks the run).",
            ),
            (
                "Trend",
                f"{trend_run} or more consecutive points each strictly higher, or each strictly lower, "
                "than the one before (an equal value breaks the run).",
            ),
            (
                "Two of three",
                "2 of 3 consecutive points strictly beyond the same 2-sigma line "
                f"(mean ± {float(stability.TWO_SIGMA_FACTOR):.4g} × mean moving range).",
            ),
        ],
    }


# --------------------------------------------------------------------------- building


def pack_context(
    *,
    user,
    organisation,
    plans,
    date_from,
    date_to,
    include_closed,
    redact,
    reference,
    locations=None,
    scope_text="",
    progress=None,
    now=None,
):
    """Everything templates/packs/pack.html needs. `progress(done, total)` is called once per plan.

    `locations`: a pack for some locations holds only their actions (see selectors_packs.plan_records).
    `scope_text`: the scope in words for the cover; the plans' references are printed as well.
    """
    now = timezone.localtime(now or timezone.now())
    today = now.date()
    chosen = selectors.pack_plans(
        user=user,
        organisation=organisation,
        plans=plans,
        date_from=date_from,
        date_to=date_to,
        include_closed=include_closed,
        locations=locations,
        today=today,
    )
    categories = selectors.evidence_categories()
    sections = []
    for number, plan in enumerate(chosen, start=1):
        records = selectors.plan_records(user=user, organisation=organisation, plan=plan, locations=locations)
        actions = [_prepare_action(action, redact=redact, today=today) for action in records["actions"]]
        for request in records["closure_requests"]:
            request.signoff_list = list(request.signoffs.all())
        for event in records["criteria_changes"]:
            event.change_text = audit_wording.change_list((event.data or {}).get("changes"))
            event.reason_text = (event.data or {}).get("reason", "")
        sections.append(
            PlanSection(
                plan=plan,
                number=number,
                key_questions=_key_questions(plan),
                actions=actions,
                evidence_groups=_evidence_groups(records["evidence"], categories, redact=redact),
                reviews=records["reviews"],
                cadence_changes=records["cadence_changes"],
                closure_requests=records["closure_requests"],
                checks=records["checks"],
                reopenings=records["reopenings"],
                criteria_changes=records["criteria_changes"],
            )
        )
        if progress is not None:
            progress(number, len(chosen))
    return {
        "organisation": organisation,
        "reference": reference,
        "scope_text": scope_text,
        "generated_by": user,
        "generated_at": now,
        "date_from": date_from,
        "date_to": date_to,
        "include_closed": include_closed,
        "redact": redact,
        "withheld": WITHHELD,
        "marking": MARKING,
        "sections": sections,
        "summary": _summary(sections, date_from=date_from, date_to=date_to),
        "spc": spc_rules(),
        "headings": SECTION_HEADINGS,
    }


def render_pack_html(**kwargs):
    return render_to_string("packs/pack.html", pack_context(**kwargs))


def build_pack_pdf(*, stage=None, **kwargs):
    """(pdf_bytes, page_count) for the pack of `plans` the user may see in `organisation`.

    Takes pack_context's arguments. Plans the user cannot see there (another organisation's, say)
    are left out even when passed in. `stage(words)` is told when laying out pages and writing the
    file begin (the long parts of a big pack), after `progress` has counted every plan.
    """
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    html = render_pack_html(**kwargs)
    if stage is not None:
        stage("layout")
    font_config = FontConfiguration()
    document = HTML(string=html, base_url=STATIC_DIR.resolve().as_uri() + "/", url_fetcher=static_url_fetcher).render(
        font_config=font_config
    )
    if stage is not None:
        stage("writing")
    return document.write_pdf(), len(document.pages)
