"""Server-side SVG charts of a measure's readings (DESIGN.md §4 "Stability", §8 packs).

Pure: no database, no clock, no request. The same SVG goes on the action page
(inline, through `{% measure_chart %}`) and into the commissioner pack
(WeasyPrint), so it keeps to plain SVG 1.1 elements (svg, g, line, polyline,
circle, rect, path, text, title, desc), presentation attributes only (the
content security policy forbids inline `style=`), no scripts, and every piece
of text escaped.

Two kinds of chart, following the action's stability rule:

* ``target_held``: a run chart: the readings joined by a line, the target as a
  dashed line.
* ``spc``: an XmR chart as in NHS England's "Making Data Count": the mean and
  the upper and lower process limits from the locked baseline (the first
  ``baseline_count`` readings, shaded), and special-cause points after it
  marked by SHAPE as well as colour: improvement = a filled circle in a ring,
  concern = a square. Limits from fewer than 12 points are labelled trial
  limits. The analysis is `evidence.stability` (`xmr_limits`,
  `special_causes`), the same the closure gate runs.

`analyse()` gives the figures behind a chart (per point: meets the target, in
the baseline, special cause) so a table of the numbers can say the same thing.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import escape

from evidence import stability
from evidence.stability import Limits, Reading, Signal, format_date, format_number

NOT_ENOUGH = "Not enough readings to chart yet"

# Colours with at least 4.5:1 contrast on white; shapes and dashes carry the meaning too.
INK = "#1f2933"
MUTED = "#5f6b76"
GRID = "#e3e7eb"
DATA = "#0b3c5d"
TARGET = "#a23b12"
SPC_LINE = "#4a5560"
BASELINE_FILL = "#edf1f5"
IMPROVEMENT = "#1559a8"
CONCERN = "#b4460c"

FONT = "Arial, Helvetica, sans-serif"
FONT_SIZE = 11
CHAR_WIDTH = 6.2  # a generous average glyph width at FONT_SIZE, for laying out labels
FREQUENCY_WORDS = {"weekly": "weekly", "fortnightly": "fortnightly", "monthly": "monthly"}
RULE_WORDS = {
    "single_point": "point beyond a limit",
    "shift": "shift",
    "trend": "trend",
    "two_of_three": "2 of 3 near a limit",
}


# --------------------------------------------------------------------------- analysis


@dataclass(frozen=True)
class ChartPoint:
    period_end: date
    value: float
    meets_target: bool | None
    in_baseline: bool = False
    kinds: frozenset = frozenset()  # "improvement" and/or "concern"
    rules: tuple = ()  # the special-cause rules that flagged this point

    @property
    def marker(self):
        """The special-cause marker drawn on this point: "concern" wins over "improvement"; None for none."""
        if "concern" in self.kinds:
            return "concern"
        if "improvement" in self.kinds:
            return "improvement"
        return None

    @property
    def signal_text(self):
        """ "Improvement (shift)" / "Concern (trend, point beyond a limit)" / ""."""
        if not self.kinds:
            return ""
        kinds = " and ".join(kind.capitalize() if i == 0 else kind for i, kind in enumerate(sorted(self.kinds)))
        return f"{kinds} ({', '.join(RULE_WORDS.get(rule, rule) for rule in self.rules)})"


@dataclass(frozen=True)
class ChartAnalysis:
    points: list
    rule: str
    target: float | None
    direction: str
    limits: Limits | None = None
    baseline_count: int = 0  # the baseline the criteria ask for
    baseline_points: int = 0  # readings the limits were computed from
    signals: list = field(default_factory=list)  # stability.Signal, indices into `points`

    @property
    def is_spc(self):
        return self.limits is not None

    @property
    def baseline_complete(self):
        return self.baseline_points >= self.baseline_count


def _readings(readings: Iterable) -> list[Reading]:
    """Model readings (anything with period_end and value), stability Readings or (date, value) pairs, sorted."""
    prepared = []
    for item in readings:
        if isinstance(item, Reading):
            prepared.append(item)
        elif hasattr(item, "period_end") and hasattr(item, "value"):
            prepared.append(Reading(item.period_end, item.value))
        else:
            period_end, value = item
            prepared.append(Reading(period_end, value))
    prepared.sort(key=lambda reading: reading.period_end)
    return prepared


def _meets(value, target, direction):
    if target is None:
        return None
    return value >= target if direction == "higher" else value <= target


def analyse(
    readings,
    *,
    target,
    direction,
    rule="target_held",
    baseline_count=12,
    shift_run=7,
    trend_run=7,
) -> ChartAnalysis:
    """The figures behind a chart: each reading, and for SPC the limits and the special causes.

    SPC limits come from the first ``baseline_count`` readings; while fewer exist they come from
    all the readings so far (trial limits, and no special causes are looked for yet). Special causes
    are looked for only after the baseline, with `stability.special_causes`.
    """
    direction = "lower" if direction == "lower" else "higher"
    if target is not None:
        target = float(target)
    series = _readings(readings)
    values = [reading.value for reading in series]
    limits = None
    signals: list[Signal] = []
    baseline_points = 0
    if rule == "spc" and len(series) >= 2:
        baseline_points = min(baseline_count, len(series))
        limits = stability.xmr_limits(values[:baseline_points])
        if len(series) > baseline_count:
            found = stability.special_causes(
                values[baseline_points:], limits, direction=direction, shift_run=shift_run, trend_run=trend_run
            )
            signals = [
                Signal(s.rule, s.start + baseline_points, s.end + baseline_points, s.side, s.kind) for s in found
            ]
    kinds = [set() for _ in series]
    rules = [[] for _ in series]
    for signal in signals:
        for index in range(signal.start, signal.end + 1):
            kinds[index].add(signal.kind)
            if signal.rule not in rules[index]:
                rules[index].append(signal.rule)
    points = [
        ChartPoint(
            period_end=reading.period_end,
            value=reading.value,
            meets_target=_meets(reading.value, target, direction),
            in_baseline=limits is not None and index < baseline_points,
            kinds=frozenset(kinds[index]),
            rules=tuple(rules[index]),
        )
        for index, reading in enumerate(series)
    ]
    return ChartAnalysis(
        points=points,
        rule="spc" if rule == "spc" else "target_held",
        target=target,
        direction=direction,
        limits=limits,
        baseline_count=baseline_count if rule == "spc" else 0,
        baseline_points=baseline_points,
        signals=signals,
    )


# --------------------------------------------------------------------------- words


def _esc(text) -> str:
    return escape(str(text), {'"': "&quot;"})


def _num(value: float) -> str:
    """A coordinate: one decimal place, no trailing ".0"."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def target_words(target, direction, unit=""):
    """ "Target 95%" / "Target 5 falls or below"."""
    if target is None:
        return ""
    shown = format_number(target, unit)
    return f"Target {shown}" if direction == "higher" else f"Target {shown} or below"


def _frequency_word(frequency, points):
    if frequency in FREQUENCY_WORDS:
        return FREQUENCY_WORDS[frequency]
    gaps = {(b.period_end - a.period_end).days for a, b in zip(points, points[1:], strict=False)}
    if gaps == {7}:
        return "weekly"
    if gaps == {14}:
        return "fortnightly"
    if gaps and all(28 <= gap <= 31 for gap in gaps):
        return "monthly"
    return ""


def _date_range(first: date, last: date) -> str:
    if first.year == last.year:
        return f"from {first.day} {format_date(first).split()[1]} to {format_date(last)}"
    return f"from {format_date(first)} to {format_date(last)}"


def _signal_words(signal: Signal, points) -> str:
    dates = [point.period_end for point in points]
    return stability._describe(signal, dates)  # the gate's own wording for a signal


def describe(analysis: ChartAnalysis, *, name="", unit="", frequency="") -> str:
    """The chart in words (the SVG's <desc>), e.g.
    "MAR entries signed, 12 weekly readings from 6 Oct to 22 Dec 2026; latest 96%; target 95%."
    """
    points = analysis.points
    lead = name or "Readings"
    if not points:
        return f"{lead}: no readings yet."
    target = target_words(analysis.target, analysis.direction, unit).lower()
    latest = points[-1]
    if len(points) == 1:
        text = f"{lead}: one reading so far, {format_number(latest.value, unit)} for the period ending "
        text += format_date(latest.period_end)
        return text + (f"; {target}." if target else ".")
    word = _frequency_word(frequency, points)
    count = f"{len(points)} {word} readings" if word else f"{len(points)} readings"
    parts = [
        f"{lead}, {count} {_date_range(points[0].period_end, latest.period_end)}",
        f"latest {format_number(latest.value, unit)}",
    ]
    if target:
        parts.append(target)
    limits = analysis.limits
    if limits is not None:
        kind = "trial limits" if limits.trial else "process limits"
        spc = (
            f"SPC (Making Data Count): mean {format_number(limits.mean, unit)}, {kind} "
            f"{format_number(limits.lcl, unit)} to {format_number(limits.ucl, unit)} "
            f"from a baseline of {analysis.baseline_points} readings"
        )
        if not analysis.baseline_complete:
            spc += f" ({analysis.baseline_count} needed for the baseline)"
        elif limits.trial:
            spc += f" ({stability.LOCKED_MIN_POINTS} needed for locked limits)"
        parts.append(spc)
        if analysis.baseline_complete:
            improvements = [s for s in analysis.signals if s.kind == "improvement"]
            concerns = [s for s in analysis.signals if s.kind == "concern"]
            if not analysis.signals:
                parts.append("no special causes since the baseline")
            for kind, found, shape in (
                ("improvement", improvements, "a ringed circle"),
                ("concern", concerns, "a square"),
            ):
                if found:
                    listed = ", ".join(_signal_words(s, points) for s in found[:3])
                    if len(found) > 3:
                        listed += f" and {len(found) - 3} more"
                    plural = "signal" if len(found) == 1 else "signals"
                    parts.append(f"{len(found)} {kind} {plural} marked with {shape}: {listed}")
    return "; ".join(parts) + "."


# --------------------------------------------------------------------------- drawing helpers


def _nice_step(span: float, ticks: int = 4, *, whole=False) -> float:
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if whole and multiple * magnitude % 1:
            continue  # counts: no tick at 2.5 falls
        if multiple * magnitude >= raw:
            return multiple * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _y_scale(values, unit):
    """(low, high, ticks) for the y axis: round numbers, a little room around the data."""
    low, high = min(values), max(values)
    pad = (abs(low) * 0.1 or 1.0) if high == low else (high - low) * 0.08
    step = _nice_step(high - low + 2 * pad, whole=all(float(v).is_integer() for v in values))
    bottom = math.floor((low - pad) / step) * step
    top = math.ceil((high + pad) / step) * step
    if low >= 0 > bottom:
        bottom = 0.0
    if unit == "%" and high <= 100 < top:
        top = 100.0
    ticks = []
    tick = bottom
    while tick <= top + step * 1e-9:
        ticks.append(round(tick, 10))
        tick += step
    if ticks[-1] < top:
        ticks.append(top)
    return bottom, top, ticks


def _text_width(text: str, size: float = FONT_SIZE) -> float:
    return len(text) * CHAR_WIDTH * size / FONT_SIZE


def _spread(positions: list[float], *, gap: float, low: float, high: float) -> list[float]:
    """Move label positions (sorted top to bottom) apart by at least `gap`, keeping within [low, high]."""
    placed = list(positions)
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    if placed and placed[-1] > high:
        placed[-1] = high
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    return [max(low, position) for position in placed]


def _svg_open(width, height, chart_id, title, desc, extra=""):
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="measure-chart-svg{extra}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="{FONT}" font-size="{FONT_SIZE}" '
        f'fill="{INK}">'
        f'<title id="{chart_id}-title">{_esc(title)}</title>'
        f'<desc id="{chart_id}-desc">{_esc(desc)}</desc>'
    )


def _chart_id(*parts) -> str:
    return "chart-" + hashlib.sha256(repr(parts).encode()).hexdigest()[:10]


def _legend_symbol(key, x, y):
    """A 22-px-wide legend symbol centred vertically on y."""
    mid = x + 11
    if key == "point":
        return (
            f'<line x1="{_num(x)}" y1="{_num(y)}" x2="{_num(x + 22)}" y2="{_num(y)}" stroke="{DATA}" stroke-width="2"/>'
            f'<circle cx="{_num(mid)}" cy="{_num(y)}" r="3.5" fill="{DATA}"/>'
        )
    if key == "target":
        return (
            f'<line x1="{_num(x)}" y1="{_num(y)}" x2="{_num(x + 22)}" y2="{_num(y)}" stroke="{TARGET}" '
            'stroke-width="2" stroke-dasharray="6 3"/>'
        )
    if key == "mean":
        return f'<line x1="{_num(x)}" y1="{_num(y)}" x2="{_num(x + 22)}" y2="{_num(y)}" stroke="{SPC_LINE}"/>'
    if key == "limits":
        return (
            f'<line x1="{_num(x)}" y1="{_num(y)}" x2="{_num(x + 22)}" y2="{_num(y)}" stroke="{SPC_LINE}" '
            'stroke-width="1.5" stroke-dasharray="2 3"/>'
        )
    if key == "baseline":
        return (
            f'<rect x="{_num(x)}" y="{_num(y - 6)}" width="22" height="12" fill="{BASELINE_FILL}" '
            f'stroke="{MUTED}" stroke-width="0.5"/>'
        )
    if key == "improvement":
        return _improvement_marker(mid, y)
    if key == "concern":
        return _concern_marker(mid, y)
    raise ValueError(key)  # pragma: no cover


def _improvement_marker(x, y, css=""):
    klass = f' class="{css}"' if css else ""
    return (
        f"<g{klass}>"
        f'<circle cx="{_num(x)}" cy="{_num(y)}" r="7.5" fill="none" stroke="{IMPROVEMENT}" stroke-width="1.5"/>'
        f'<circle cx="{_num(x)}" cy="{_num(y)}" r="4" fill="{IMPROVEMENT}"/>'
        "</g>"
    )


def _concern_marker(x, y, css=""):
    klass = f' class="{css}"' if css else ""
    return (
        f'<rect{klass} x="{_num(x - 5.5)}" y="{_num(y - 5.5)}" width="11" height="11" fill="{CONCERN}" '
        'stroke="#ffffff" stroke-width="1"/>'
    )


def _legend_layout(items, *, left, right):
    """[(key, label, x, row)] flowing left to right, wrapping at `right`."""
    placed, x, row = [], left, 0
    for key, label in items:
        width = 22 + 5 + _text_width(label)
        if x > left and x + width > right:
            x, row = left, row + 1
        placed.append((key, label, x, row))
        x += width + 16
    return placed


# --------------------------------------------------------------------------- the chart


def not_enough_svg(*, name="", desc="", width=640, height=48) -> str:
    chart_id = _chart_id("empty", name, desc, width)
    return (
        _svg_open(width, height, chart_id, name or "Measure chart", desc or NOT_ENOUGH, " measure-chart-empty")
        + f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#ffffff" stroke="{GRID}"/>'
        + f'<text x="12" y="{_num(height / 2 + 4)}" fill="{MUTED}">{_esc(NOT_ENOUGH)}</text>'
        + "</svg>"
    )


def build_chart(
    readings,
    *,
    target,
    direction,
    unit="",
    rule="target_held",
    baseline_count=12,
    shift_run=7,
    trend_run=7,
    width=640,
    height=260,
    name="",
    frequency="",
) -> str:
    """A complete standalone <svg> of the readings: a run chart with the target, or an XmR chart (rule "spc").

    `readings`: MeasureReadings (anything with period_end and value), stability Readings or
    (date, value) pairs, in any order. `name` titles the chart; `frequency` ("weekly", ...) words
    its description (inferred from the dates when not given). Zero or one reading gives a short
    "Not enough readings to chart yet" SVG.
    """
    analysis = analyse(
        readings,
        target=target,
        direction=direction,
        rule=rule,
        baseline_count=baseline_count,
        shift_run=shift_run,
        trend_run=trend_run,
    )
    desc = describe(analysis, name=name, unit=unit, frequency=frequency)
    points = analysis.points
    if len(points) < 2:
        return not_enough_svg(name=name, desc=desc, width=width)
    return _draw(analysis, desc=desc, name=name, unit=unit, width=width, height=height)


def _draw(analysis: ChartAnalysis, *, desc, name, unit, width, height) -> str:  # noqa: C901 - one drawing, top to bottom
    points = analysis.points
    limits = analysis.limits
    target = analysis.target
    chart_id = _chart_id(name, unit, target, analysis.rule, [(p.period_end, p.value) for p in points], width, height)

    # What the legend holds decides how much room the plot has.
    legend = [("point", "Reading")]
    if target is not None:
        legend.append(("target", "Target"))
    if limits is not None:
        legend += [
            ("mean", "Mean"),
            ("limits", "Trial limits" if limits.trial else "Process limits"),
            ("baseline", "Baseline" if analysis.baseline_complete else "Baseline so far"),
        ]
        markers = {point.marker for point in points}
        if "improvement" in markers:
            legend.append(("improvement", "Special cause: improvement"))
        if "concern" in markers:
            legend.append(("concern", "Special cause: concern"))

    # Lines labelled at the right-hand edge.
    lines = []  # (key, value, label)
    if target is not None:
        lines.append(("target", target, target_words(target, analysis.direction, unit)))
    if limits is not None:
        prefix = "Trial " if limits.trial else ""
        lines += [
            ("ucl", limits.ucl, f"{prefix}{'upper' if prefix else 'Upper'} limit {format_number(limits.ucl, unit)}"),
            ("mean", limits.mean, f"Mean {format_number(limits.mean, unit)}"),
            ("lcl", limits.lcl, f"{prefix}{'lower' if prefix else 'Lower'} limit {format_number(limits.lcl, unit)}"),
        ]

    values = [point.value for point in points] + [value for _, value, _ in lines]
    bottom, top, y_ticks = _y_scale(values, unit)
    # A symbol unit ("%") goes on every tick; a word ("falls") once, above the axis.
    tick_unit = unit if unit and not unit[0].isalnum() else ""
    axis_caption = unit if unit and not tick_unit else ""
    tick_labels = [format_number(tick, tick_unit) for tick in y_ticks]

    left = 10 + max(_text_width(label) for label in tick_labels)
    label_room = max((_text_width(label) for _, _, label in lines), default=0)
    right = width - min(max(label_room + 12, 16), width * 0.3)
    legend_placed = _legend_layout(legend, left=left, right=width - 8)
    legend_rows = legend_placed[-1][3] + 1
    plot_top = 26.0 if axis_caption else 16.0
    plot_bottom = height - 24 - legend_rows * 18 - 4
    inner_left, inner_right = left + 10, right - 10

    first_day = points[0].period_end.toordinal()
    span_days = max(points[-1].period_end.toordinal() - first_day, 1)

    def x_of(day: date) -> float:
        return inner_left + (day.toordinal() - first_day) / span_days * (inner_right - inner_left)

    def y_of(value: float) -> float:
        return plot_bottom - (value - bottom) / (top - bottom) * (plot_bottom - plot_top)

    out = [_svg_open(width, height, chart_id, name or "Measure chart", desc)]

    # Baseline shading (SPC), behind everything else.
    if limits is not None:
        last_base = analysis.baseline_points - 1
        x0 = left + 1
        if last_base + 1 < len(points):
            x1 = (x_of(points[last_base].period_end) + x_of(points[last_base + 1].period_end)) / 2
        else:
            x1 = right
        out.append(
            f'<rect class="baseline" x="{_num(x0)}" y="{_num(plot_top)}" width="{_num(x1 - x0)}" '
            f'height="{_num(plot_bottom - plot_top)}" fill="{BASELINE_FILL}"/>'
        )
        if last_base + 1 < len(points):
            out.append(
                f'<line x1="{_num(x1)}" y1="{_num(plot_top)}" x2="{_num(x1)}" y2="{_num(plot_bottom)}" '
                f'stroke="{MUTED}" stroke-width="1" stroke-dasharray="3 3"/>'
            )
        label = f"Baseline ({analysis.baseline_points} readings"
        label += ", trial limits)" if limits.trial else ")"
        if not analysis.baseline_complete:
            label = f"Baseline so far ({analysis.baseline_points} of {analysis.baseline_count}, trial limits)"
        out.append(
            f'<text x="{_num(x0 + 4)}" y="{_num(plot_top + 11)}" font-size="10" fill="{MUTED}">{_esc(label)}</text>'
        )

    # Grid and y axis labels.
    out.append('<g class="y-axis">')
    if axis_caption:
        out.append(f'<text x="4" y="12" fill="{MUTED}">{_esc(axis_caption)}</text>')
    for tick, label in zip(y_ticks, tick_labels, strict=True):
        y = y_of(tick)
        out.append(
            f'<line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(right)}" y2="{_num(y)}" stroke="{GRID}" '
            'stroke-width="1"/>'
        )
        out.append(
            f'<text x="{_num(left - 5)}" y="{_num(y + 4)}" text-anchor="end" fill="{MUTED}">{_esc(label)}</text>'
        )
    out.append("</g>")

    # Axes.
    out.append(
        f'<line x1="{_num(left)}" y1="{_num(plot_top)}" x2="{_num(left)}" y2="{_num(plot_bottom)}" stroke="{MUTED}"/>'
        f'<line x1="{_num(left)}" y1="{_num(plot_bottom)}" x2="{_num(right)}" y2="{_num(plot_bottom)}" '
        f'stroke="{MUTED}"/>'
    )

    # X axis: a few dates, the year on the first and where it changes; labels kept apart.
    def x_label(index, previous_year):
        day = points[index].period_end
        text = f"{day.day} {format_date(day).split()[1]}"
        return text + f" {day.year}" if day.year != previous_year else text

    max_labels = max(2, int((inner_right - inner_left) // 78) + 1)
    step = max(1, math.ceil((len(points) - 1) / (max_labels - 1)))
    indices = [0]
    last = len(points) - 1

    def extent(index):
        """(left, right) of a date label, with its year: the first starts at its point, the last ends there."""
        x, width = x_of(points[index].period_end), _text_width(x_label(index, None))
        if index == 0:
            return x - 4, x - 4 + width
        if index == last:
            return x + 4 - width, x + 4
        return x - width / 2, x + width / 2

    def too_close(a, b):
        return extent(b)[0] < extent(a)[1] + 8

    for index in [*range(step, last, step), last]:
        if index == last:  # the latest date is always labelled
            while len(indices) > 1 and too_close(indices[-1], index):
                indices.pop()
            indices.append(index)
        elif not too_close(indices[-1], index):
            indices.append(index)
    out.append('<g class="x-axis">')
    previous_year = None
    for position, index in enumerate(indices):
        day = points[index].period_end
        x = x_of(day)
        text = x_label(index, previous_year)
        previous_year = day.year
        anchor = "start" if position == 0 else "end" if position == len(indices) - 1 else "middle"
        shift = -4 if anchor == "start" else 4 if anchor == "end" else 0
        out.append(
            f'<line x1="{_num(x)}" y1="{_num(plot_bottom)}" x2="{_num(x)}" y2="{_num(plot_bottom + 4)}" '
            f'stroke="{MUTED}"/>'
        )
        out.append(
            f'<text x="{_num(x + shift)}" y="{_num(plot_bottom + 16)}" text-anchor="{anchor}" fill="{MUTED}">'
            f"{_esc(text)}</text>"
        )
    out.append("</g>")

    # Horizontal lines: target, mean, limits; labels spread apart at the right.
    styles = {
        "target": f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="6 3"',
        "mean": f'stroke="{SPC_LINE}" stroke-width="1"',
        "ucl": f'stroke="{SPC_LINE}" stroke-width="1.5" stroke-dasharray="2 3"',
        "lcl": f'stroke="{SPC_LINE}" stroke-width="1.5" stroke-dasharray="2 3"',
    }
    colours = {"target": TARGET, "mean": SPC_LINE, "ucl": SPC_LINE, "lcl": SPC_LINE}
    ordered = sorted(lines, key=lambda line: y_of(line[1]))
    label_ys = _spread([y_of(value) + 4 for _, value, _ in ordered], gap=12, low=plot_top + 4, high=plot_bottom + 4)
    for (key, value, label), label_y in zip(ordered, label_ys, strict=True):
        y = y_of(value)
        out.append(
            f'<g class="line-{key}"><line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(right)}" y2="{_num(y)}" '
            f'{styles[key]}/><text x="{_num(right + 4)}" y="{_num(label_y)}" fill="{colours[key]}">{_esc(label)}</text>'
            "</g>"
        )

    # The data: line, points, then special-cause markers on top.
    coordinates = [(x_of(point.period_end), y_of(point.value)) for point in points]
    out.append(
        '<polyline class="data-line" fill="none" stroke="'
        + DATA
        + '" stroke-width="2" stroke-linejoin="round" points="'
        + " ".join(f"{_num(x)},{_num(y)}" for x, y in coordinates)
        + '"/>'
    )
    out.append('<g class="points">')
    for x, y in coordinates:
        out.append(f'<circle class="point" cx="{_num(x)}" cy="{_num(y)}" r="3.5" fill="{DATA}"/>')
    out.append("</g>")
    for (x, y), point in zip(coordinates, points, strict=True):
        if point.marker == "improvement":
            out.append(_improvement_marker(x, y, "signal signal-improvement"))
        elif point.marker == "concern":
            out.append(_concern_marker(x, y, "signal signal-concern"))

    # Legend.
    out.append('<g class="legend">')
    legend_top = height - legend_rows * 18 - 2
    for key, label, x, row in legend_placed:
        y = legend_top + row * 18 + 6
        out.append(_legend_symbol(key, x, y))
        out.append(f'<text x="{_num(x + 27)}" y="{_num(y + 4)}">{_esc(label)}</text>')
    out.append("</g>")

    out.append("</svg>")
    return "".join(out)
