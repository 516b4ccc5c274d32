"""The SVG chart (evidence/charts.py): pure, no database. Dates are Sundays ("week ending")."""

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from evidence.charts import NOT_ENOUGH, analyse, build_chart
from evidence.stability import spc_sustained

SVG = "{http://www.w3.org/2000/svg}"
ALLOWED = {"svg", "g", "line", "polyline", "circle", "rect", "path", "text", "title", "desc"}
FIRST = date(2026, 10, 11)

BASELINE = [80, 82, 79, 84, 81, 83, 80, 78, 82, 85, 81, 80]  # mean 81.25, limits about 73.5 to 89.0
IMPROVED = [86, 88, 87, 89, 90, 91, 89]  # a shift of 7 above the mean
DROP = [60]  # below the lower limit: a concern


def weekly(values, first=FIRST):
    return [(first + timedelta(weeks=i), v) for i, v in enumerate(values)]


def parse(svg):
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def elements(root, tag):
    return list(root.iter(f"{SVG}{tag}"))


def with_class(root, name):
    return [el for el in root.iter() if name in (el.get("class") or "").split()]


def texts(root):
    return [el.text for el in elements(root, "text")]


def test_a_run_chart_is_standalone_accessible_svg_with_the_target_line_and_every_point():
    svg = build_chart(
        weekly([90, 92, 94, 96, 93, 95, 97, 96, 95, 94, 96, 96]),
        target=95,
        direction="higher",
        unit="%",
        name="MAR entries signed",
        frequency="weekly",
    )
    root = parse(svg)

    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 640 260"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "MAR entries signed"
    assert desc.text == "MAR entries signed, 12 weekly readings from 11 Oct to 27 Dec 2026; latest 96%; target 95%."
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    [target] = with_class(root, "line-target")
    assert target.find(f"{SVG}line").get("stroke-dasharray")
    assert target.find(f"{SVG}text").text == "Target 95%"
    assert len(with_class(root, "point")) == 12
    assert len(elements(root, "polyline")[0].get("points").split()) == 12
    assert not with_class(root, "line-mean") and not with_class(root, "line-ucl") and not with_class(root, "signal")
    assert "11 Oct 2026" in texts(root) and "27 Dec" in texts(root)
    assert "100%" in texts(root)  # labelled y ticks


def test_the_svg_keeps_to_plain_svg_11_with_no_inline_style_and_no_script():
    svg = build_chart(weekly(BASELINE + IMPROVED + DROP), target=95, direction="higher", unit="%", rule="spc")
    root = parse(svg)

    assert {el.tag.removeprefix(SVG) for el in root.iter()} <= ALLOWED
    assert not any("style" in el.attrib for el in root.iter())
    assert "<script" not in svg and "style=" not in svg and "on" not in {a[:2] for el in root.iter() for a in el.attrib}


def test_spc_draws_the_mean_and_limits_the_baseline_and_marks_special_causes_by_shape():
    readings = weekly(BASELINE + IMPROVED + DROP)
    svg = build_chart(readings, target=95, direction="higher", unit="%", rule="spc", name="MAR entries signed")
    root = parse(svg)

    labels = texts(root)
    assert "Mean 81.25%" in labels
    assert any(label.startswith("Upper limit ") for label in labels)
    assert any(label.startswith("Lower limit ") for label in labels)
    assert "Baseline (12 readings)" in labels
    assert with_class(root, "baseline")
    # Markers go exactly where stability finds special causes after the baseline (a concern wins a tie).
    result = spc_sustained(readings, baseline_count=12, direction="higher")
    flagged = {"improvement": set(), "concern": set()}
    for signal in result.figures["signals"]:
        flagged[signal["kind"]].update(range(12 + signal["start"], 12 + signal["end"] + 1))
    assert flagged["concern"] == {19}  # the drop to 60%
    assert flagged["improvement"] == set(range(12, 19))
    xs = [float(c.get("cx")) for c in with_class(root, "point")]
    improvements = with_class(root, "signal-improvement")
    assert {xs.index(float(g.find(f"{SVG}circle").get("cx"))) for g in improvements} == flagged["improvement"]
    [concern] = with_class(root, "signal-concern")
    assert concern.tag == f"{SVG}rect"  # a square, not only another colour
    assert all(len(el.findall(f"{SVG}circle")) == 2 for el in improvements)  # a dot in a ring
    legend = " ".join(text for el in with_class(root, "legend") for text in texts(el))
    assert "Special cause: improvement" in legend and "Special cause: concern" in legend and "Process limits" in legend
    desc = root.find(f"{SVG}desc").text
    assert "improvement signals marked with a ringed circle: run of 7 above the mean from 3 Jan 2027" in desc
    assert "1 concern signal marked with a square: point below the lower limit on 21 Feb 2027" in desc


def test_spc_without_signals_marks_none():
    root = parse(build_chart(weekly(BASELINE + [81, 82, 80]), target=95, direction="higher", unit="%", rule="spc"))

    assert not with_class(root, "signal")
    assert len(with_class(root, "point")) == 15
    assert "no special causes since the baseline" in root.find(f"{SVG}desc").text


def test_limits_from_fewer_than_12_points_are_labelled_trial_limits():
    root = parse(build_chart(weekly(BASELINE[:8]), target=95, direction="higher", unit="%", rule="spc"))

    labels = texts(root)
    assert any(label.startswith("Trial upper limit") for label in labels)
    assert "Baseline so far (8 of 12, trial limits)" in labels
    assert "Trial limits" in labels
    assert "trial limits" in root.find(f"{SVG}desc").text
    assert not with_class(root, "signal")  # no special causes before the baseline is complete


def test_a_short_baseline_set_in_the_criteria_still_says_trial():
    readings = weekly(BASELINE[:6] + [90, 91, 92, 93, 94, 95, 96])
    root = parse(build_chart(readings, target=95, direction="higher", unit="%", rule="spc", baseline_count=6))

    assert "Baseline (6 readings, trial limits)" in texts(root)
    assert with_class(root, "signal-improvement")


def test_lower_is_better_says_so_and_a_word_unit_labels_the_axis_once():
    readings = weekly([5, 6, 4, 7, 5, 3, 2, 2, 1, 2])
    root = parse(build_chart(readings, target=2, direction="lower", unit="falls", name="Falls"))

    labels = texts(root)
    assert "Target 2 falls or below" in labels
    assert "falls" in labels  # the axis caption
    assert "latest 2 falls; target 2 falls or below." in root.find(f"{SVG}desc").text


@pytest.mark.parametrize("values", [[], [96]])
def test_zero_or_one_reading_says_there_is_not_enough_to_chart(values):
    root = parse(build_chart(weekly(values), target=95, direction="higher", unit="%", name="MAR"))

    assert NOT_ENOUGH in texts(root)
    assert not with_class(root, "point")
    desc = root.find(f"{SVG}desc").text
    assert desc == (
        "MAR: no readings yet."
        if not values
        else "MAR: one reading so far, 96% for the period ending 11 Oct 2026; target 95%."
    )


def test_a_name_with_markup_is_escaped():
    name = 'Falls <script>alert("x")</script> & "near misses"'
    svg = build_chart(weekly([3, 2, 1]), target=2, direction="lower", name=name, unit="<&>")

    root = parse(svg)
    assert root.find(f"{SVG}title").text == name
    assert root.find(f"{SVG}desc").text.startswith(name)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_readings_may_be_models_in_any_order_and_the_id_is_stable():
    objects = [SimpleNamespace(period_end=day, value=value) for day, value in reversed(weekly([90, 96, 97]))]

    first = build_chart(objects, target=95, direction="higher", unit="%")
    again = build_chart(weekly([90, 96, 97]), target=95, direction="higher", unit="%")

    assert first == again
    root = parse(first)
    xs = [float(c.get("cx")) for c in with_class(root, "point")]
    assert xs == sorted(xs)
    ids = re.findall(r'id="([^"]+)"', first)
    assert len(ids) == len(set(ids)) == 2


def test_analyse_gives_the_table_the_same_figures_as_the_chart():
    analysis = analyse(weekly(BASELINE + IMPROVED + DROP), target=95, direction="higher", rule="spc")

    assert [p.in_baseline for p in analysis.points] == [True] * 12 + [False] * 8
    assert analysis.points[12].signal_text == "Improvement (shift)"
    assert analysis.points[-1].marker == "concern"
    assert analysis.points[-1].signal_text == "Concern (point beyond a limit)"
    assert analysis.points[0].meets_target is False
    assert analysis.baseline_complete and not analysis.limits.trial


def test_dates_are_spaced_by_time_and_the_year_shown_where_it_changes():
    readings = [(date(2026, 12, 6), 90), (date(2026, 12, 13), 91), (date(2027, 1, 31), 92)]
    root = parse(build_chart(readings, target=95, direction="higher", unit="%"))

    xs = [float(c.get("cx")) for c in with_class(root, "point")]
    assert (xs[2] - xs[1]) > 5 * (xs[1] - xs[0])  # a seven-week gap looks like one
    labels = texts(root)
    assert "6 Dec 2026" in labels and "31 Jan 2027" in labels
