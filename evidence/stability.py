"""Stability analysis for closing an improvement (DESIGN.md §4 "Stability").

Pure functions over plain values: no Django models, no database, no clock.
Everything the closure gate needs to record a decision comes back in a
`StabilityResult`: the rule, every parameter used, pass/fail, the figures and
one plain-English sentence for a registered manager.

Two rules:

* ``target_held`` (the default): enough recent readings, every one meeting the
  target, and the newest one not stale.
* ``spc``: an XmR chart as in NHS England's "Making Data Count". Limits come
  from a locked baseline (the first ``baseline_count`` readings) and never move
  when later readings arrive. Sustained improvement means at least one
  improvement signal after the baseline and no concern signal from the start of
  the first improvement signal onwards.

Arithmetic: the baseline mean and mean moving range are computed exactly
(``fractions.Fraction``) and rounded once to float. So a constant baseline has
a mean exactly equal to its value, and "on the mean" really means on it: no
tolerance, no false signal from rounding. Signal tests are then exact float
comparisons against those limits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from numbers import Real

LOCKED_MIN_POINTS = 12
"""Baseline points needed for locked limits; fewer gives trial limits."""

LIMIT_FACTOR = Fraction(266, 100)
"""Process limits are mean ± 2.66 × mean moving range."""

TWO_SIGMA_FACTOR = LIMIT_FACTOR * Fraction(2, 3)
"""The 2-sigma lines are two thirds of the way from the mean to the limits."""

DIRECTIONS = ("higher", "lower")
RULES = ("target_held", "spc")
SIGNAL_RULES = ("shift", "trend", "single_point", "two_of_three")
"""Every special-cause rule; also the tie-break order when naming a signal in a sentence."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Reading:
    """One measurement: the end date of the period it covers and its value.

    Values must be finite real numbers (int, float, Decimal; not bool). A
    Decimal is stored as float. Dates must be `date`, not `datetime`.
    """

    period_end: date
    value: float

    def __post_init__(self):
        if isinstance(self.period_end, datetime) or not isinstance(self.period_end, date):
            raise ValueError(f"period_end must be a date (not a datetime), got {self.period_end!r}.")
        object.__setattr__(self, "value", _finite(self.value, f"value for {self.period_end.isoformat()}"))


@dataclass(frozen=True)
class Limits:
    """XmR limits computed from a baseline. `trial` when fewer than LOCKED_MIN_POINTS points."""

    mean: float
    mr_bar: float
    ucl: float
    lcl: float
    upper_two_sigma: float
    lower_two_sigma: float
    baseline_points: int
    trial: bool


@dataclass(frozen=True)
class Signal:
    """A special cause found by `special_causes`.

    `start` and `end` (inclusive) are 0-based indices into the `values` passed
    to `special_causes`. In `spc_sustained` that series is the readings *after*
    the baseline (sorted by period end), so index 0 is the first post-baseline
    reading; the figures also carry the matching dates.

    `side` is "high" or "low" (a rising trend is "high", a falling one "low");
    `kind` is "improvement" or "concern" given the direction of improvement.
    """

    rule: str
    start: int
    end: int
    side: str
    kind: str


@dataclass(frozen=True)
class StabilityResult:
    rule: str
    params: dict
    passed: bool
    figures: dict
    sentence: str


# --------------------------------------------------------------------------- validation and formatting helpers


def _finite(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        raise ValueError(f"{what} must be a number, got {value!r}.")
    try:
        number = float(value)
    except (OverflowError, ValueError) as exc:  # Decimal too large for a float, or a signalling NaN
        raise ValueError(f"{what} must be a finite number, got {value!r}.") from exc
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, got {value!r}.")
    return number


def _finite_values(values: Iterable) -> list[float]:
    return [_finite(v, f"value {i}") for i, v in enumerate(values)]


def _check_direction(direction: str) -> str:
    """The direction as a plain "higher"/"lower" str (a str-valued enum such as a TextChoices member is accepted)."""
    for canonical in DIRECTIONS:
        if direction == canonical:
            return canonical
    raise ValueError(f"direction must be 'higher' or 'lower', got {direction!r}.")


def _check_int(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, got {value!r}.")


def _check_run(name: str, value) -> None:
    if value is not None:
        _check_int(name, value, 2)


def _prepare(readings: Iterable) -> list[Reading]:
    """Readings (or (period_end, value) pairs) validated and sorted by period end; duplicate periods refused."""
    prepared = []
    for item in readings:
        if isinstance(item, Reading):
            prepared.append(item)
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            prepared.append(Reading(item[0], item[1]))
        else:
            raise ValueError(f"each reading must be a Reading or a (period_end, value) pair, got {item!r}.")
    prepared.sort(key=lambda r: r.period_end)
    for earlier, later in zip(prepared, prepared[1:], strict=False):
        if earlier.period_end == later.period_end:
            raise ValueError(f"two readings for the period ending {later.period_end.isoformat()}; keep one.")
    return prepared


def format_number(value: float, unit: str = "") -> str:
    """95.0 -> "95", 91.256 -> "91.26", 1234 -> "1,234"; unit "%" is appended as "95%", a word as "3 falls"."""
    if value == int(value) and abs(value) < 1e15:
        text = f"{int(value):,}"
    else:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
        if text in ("0", "-0"):  # tiny but not zero: keep it visible
            text = f"{value:.3g}"
    if text == "-0":
        text = "0"
    if not unit:
        return text
    return f"{text} {unit}" if unit[0].isalnum() else f"{text}{unit}"


def format_date(day: date) -> str:
    """date(2026, 11, 3) -> "3 Nov 2026" (no locale dependence)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _span(days: int) -> str:
    if days % 7 == 0:
        weeks = days // 7
        return "week" if weeks == 1 else f"{weeks} weeks"
    return "day" if days == 1 else f"{days} days"


def _period_label(readings: Sequence[Reading]) -> str:
    """ "week ending" when readings are weeks apart, "month ending" when about a month apart, else "period ending"."""
    gaps = [(b.period_end - a.period_end).days for a, b in zip(readings, readings[1:], strict=False)]
    if not gaps:
        return "period ending"
    if all(gap % 7 == 0 for gap in gaps):
        return "week ending"
    if all(28 <= gap <= 31 for gap in gaps):
        return "month ending"
    return "period ending"


def _meets(value: float, target: float, direction: str) -> bool:
    return value >= target if direction == "higher" else value <= target


def _target_text(target: float, direction: str, unit: str) -> str:
    shown = format_number(target, unit)
    return f"Target {shown}" if direction == "higher" else f"Target of {shown} or below"


# --------------------------------------------------------------------------- rule 1: target held


def target_held(
    readings,
    *,
    target,
    direction,
    at,
    window_days=56,
    min_readings=4,
    max_gap_days=None,
    unit="",
) -> StabilityResult:
    """Pass when the target has held over the recent window.

    The window is ``(at - window_days, at]``: a reading dated exactly
    ``window_days`` before ``at`` is outside it, one dated ``at`` is inside.
    Readings dated after ``at`` are ignored (counted in the figures). Passes when

    * at least ``min_readings`` readings fall in the window,
    * every one of them meets the target (``>=`` for "higher", ``<=`` for "lower"), and
    * the newest reading is at most ``max_gap_days`` days before ``at``
      (default ``window_days // min_readings``, 14 days for 8 weeks and 4 readings).
    """
    direction = _check_direction(direction)
    target = _finite(target, "target")
    if isinstance(at, datetime) or not isinstance(at, date):
        raise ValueError(f"at must be a date (not a datetime), got {at!r}.")
    _check_int("window_days", window_days, 1)
    _check_int("min_readings", min_readings, 1)
    if max_gap_days is None:
        max_gap_days = window_days // min_readings
    _check_int("max_gap_days", max_gap_days, 0)

    everything = _prepare(readings)
    known = [r for r in everything if r.period_end <= at]
    window_start = at - timedelta(days=window_days)  # exclusive
    in_window = [r for r in known if r.period_end > window_start]
    failing = [r for r in in_window if not _meets(r.value, target, direction)]
    latest = known[-1] if known else None
    days_since_latest = (at - latest.period_end).days if latest else None

    enough = len(in_window) >= min_readings
    fresh = latest is not None and days_since_latest <= max_gap_days
    passed = enough and not failing and fresh

    params = {
        "target": target,
        "direction": direction,
        "at": at.isoformat(),
        "window_days": window_days,
        "min_readings": min_readings,
        "max_gap_days": max_gap_days,
        "unit": unit,
    }
    figures = {
        "window_start_exclusive": window_start.isoformat(),
        "readings_in_window": len(in_window),
        "readings_needed": min_readings,
        "met_target": len(in_window) - len(failing),
        "missed_target": len(failing),
        "first_failing": (
            {"period_end": failing[0].period_end.isoformat(), "value": failing[0].value} if failing else None
        ),
        "latest_reading": latest.period_end.isoformat() if latest else None,
        "latest_value": latest.value if latest else None,
        "days_since_latest": days_since_latest,
        "ignored_after_at": len(everything) - len(known),
    }

    label = _period_label(everything)
    span = _span(window_days)
    target_text = _target_text(target, direction, unit)
    if not in_window:
        sentence = f"No readings in the last {span} ({min_readings} needed)"
        if latest:
            sentence += f"; the latest is for {label} {format_date(latest.period_end)}"
        sentence += "."
    else:
        n = len(in_window)
        if not failing:
            main = (
                f"{target_text} met in the only reading in the last {span}"
                if n == 1
                else f"{target_text} met in all {n} readings in the last {span}"
            )
        else:
            first = failing[0]
            lead = "" if len(failing) == 1 else "first miss "
            detail = f"({lead}{label} {format_date(first.period_end)}: {format_number(first.value, unit)})"
            if n == 1:
                main = f"{target_text} not met in the only reading in the last {span} {detail}"
            else:
                main = f"{target_text} met in {n - len(failing)} of the last {n} readings {detail}"
        problems = []
        if not enough:
            problems.append(f"that is only {n} of the {min_readings} readings needed")
        if not fresh:
            problems.append(
                f"the latest ({label} {format_date(latest.period_end)}) is {days_since_latest} days old, "
                f"more than the {max_gap_days} allowed"
            )
        if problems:
            main += (", but " if not failing else ", and ") + " and ".join(problems)
        sentence = main + "."

    return StabilityResult(rule="target_held", params=params, passed=passed, figures=figures, sentence=sentence)


# --------------------------------------------------------------------------- rule 2: SPC (XmR)


def xmr_limits(values) -> Limits:
    """XmR limits from baseline values (Making Data Count).

    mean = average value; mR-bar = average absolute difference between
    consecutive values; limits = mean ± 2.66 × mR-bar; 2-sigma lines =
    mean ± (2/3) × 2.66 × mR-bar. Limits are not clipped (an LCL below 0 is
    reported as computed). ``trial`` is True below LOCKED_MIN_POINTS values.
    With a constant baseline mR-bar is 0 and every line equals the mean.
    """
    numbers = _finite_values(values)
    n = len(numbers)
    if n < 2:
        raise ValueError(
            f"XmR limits need at least 2 baseline values (a moving range needs two points); got {n}. "
            f"Locked limits need {LOCKED_MIN_POINTS}."
        )
    exact = [Fraction(v) for v in numbers]
    mean = sum(exact, Fraction(0)) / n
    mr_bar = sum((abs(b - a) for a, b in zip(exact, exact[1:], strict=False)), Fraction(0)) / (n - 1)
    width = LIMIT_FACTOR * mr_bar
    two_sigma = TWO_SIGMA_FACTOR * mr_bar
    try:
        return Limits(
            mean=float(mean),
            mr_bar=float(mr_bar),
            ucl=float(mean + width),
            lcl=float(mean - width),
            upper_two_sigma=float(mean + two_sigma),
            lower_two_sigma=float(mean - two_sigma),
            baseline_points=n,
            trial=n < LOCKED_MIN_POINTS,
        )
    except OverflowError as exc:
        raise ValueError("baseline values are too large for XmR limits to be represented.") from exc


def _kind(side: str, direction: str) -> str:
    return "improvement" if (side == "high") == (direction == "higher") else "concern"


def _runs(keys: Sequence) -> Iterable[tuple[int, int, object]]:
    """Maximal runs of equal keys as (start, end inclusive, key)."""
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            yield start, i - 1, keys[start]
            start = i


def special_causes(
    values,
    limits: Limits,
    *,
    direction,
    shift_run=7,
    trend_run=7,
    two_of_three=True,
    single_point=True,
) -> list[Signal]:
    """Special-cause signals in `values` against fixed `limits`; indices refer to `values`.

    * single_point: a point strictly above the UCL or below the LCL (one signal per point).
    * shift: ``shift_run`` or more consecutive points strictly on one side of the
      mean; a point exactly on the mean breaks the run. One signal per maximal run.
    * trend: ``trend_run`` or more consecutive points each strictly higher (or
      lower) than the one before; an equal value breaks it. One signal per maximal run.
    * two_of_three: 2 of 3 consecutive points strictly beyond the same 2-sigma
      line (points beyond the limit count too). Overlapping windows that share a
      flagged point merge into one signal, spanning first to last flagged point.

    ``shift_run``/``trend_run`` = None switches that rule off, as do
    ``two_of_three=False``/``single_point=False``. Sorted by start, then rule.
    """
    numbers = _finite_values(values)
    direction = _check_direction(direction)
    _check_run("shift_run", shift_run)
    _check_run("trend_run", trend_run)
    signals: list[Signal] = []

    def add(rule, start, end, side):
        signals.append(Signal(rule=rule, start=start, end=end, side=side, kind=_kind(side, direction)))

    if single_point:
        for i, v in enumerate(numbers):
            if v > limits.ucl:
                add("single_point", i, i, "high")
            elif v < limits.lcl:
                add("single_point", i, i, "low")

    if shift_run is not None:
        sides = ["high" if v > limits.mean else "low" if v < limits.mean else None for v in numbers]
        for start, end, side in _runs(sides):
            if side is not None and end - start + 1 >= shift_run:
                add("shift", start, end, side)

    if trend_run is not None and len(numbers) >= 2:
        # steps[k] compares point k+1 with point k; a run of m equal steps covers m + 1 points.
        steps = ["high" if b > a else "low" if b < a else None for a, b in zip(numbers, numbers[1:], strict=False)]
        for start, end, side in _runs(steps):
            if side is not None and end - start + 2 >= trend_run:
                add("trend", start, end + 1, side)

    if two_of_three:
        for side, beyond in (
            ("high", [v > limits.upper_two_sigma for v in numbers]),
            ("low", [v < limits.lower_two_sigma for v in numbers]),
        ):
            current = None  # [first flagged, last flagged]
            for i in range(len(numbers) - 2):
                flagged = [j for j in range(i, i + 3) if beyond[j]]
                if len(flagged) < 2:
                    continue
                if current is not None and flagged[0] <= current[1]:
                    current[1] = max(current[1], flagged[-1])
                else:
                    if current is not None:
                        add("two_of_three", current[0], current[1], side)
                    current = [flagged[0], flagged[-1]]
            if current is not None:
                add("two_of_three", current[0], current[1], side)

    signals.sort(key=lambda s: (s.start, SIGNAL_RULES.index(s.rule), s.end, s.side))
    return signals


def _describe(signal: Signal, dates: Sequence[date]) -> str:
    start = format_date(dates[signal.start])
    length = signal.end - signal.start + 1
    above = signal.side == "high"
    if signal.rule == "single_point":
        return f"point {'above the upper' if above else 'below the lower'} limit on {start}"
    if signal.rule == "shift":
        return f"run of {length} {'above' if above else 'below'} the mean from {start}"
    if signal.rule == "trend":
        return f"{length} points {'rising' if above else 'falling'} in a row from {start}"
    return f"2 of 3 points near or beyond the {'upper' if above else 'lower'} limit from {start}"


def spc_sustained(
    readings,
    *,
    baseline_count,
    direction,
    target=None,
    shift_run=7,
    trend_run=7,
    two_of_three=True,
    single_point=True,
    at=None,
    unit="",
) -> StabilityResult:
    """Sustained improvement on an XmR chart with a locked baseline.

    Readings are sorted by period end (readings after ``at``, when given, are
    ignored). The first ``baseline_count`` are the baseline: limits come from
    them alone. Signals are looked for only in the readings after the baseline
    (Signal indices are 0-based into those). Passes when there is at least one
    improvement signal and no concern signal ending at or after the start of
    the first improvement signal. Fewer than LOCKED_MIN_POINTS baseline points
    gives trial limits: still evaluated, but the sentence and figures say so.
    ``target`` is reported for the latest reading, never a pass condition.
    """
    direction = _check_direction(direction)
    _check_int("baseline_count", baseline_count, 2)
    _check_run("shift_run", shift_run)
    _check_run("trend_run", trend_run)
    if target is not None:
        target = _finite(target, "target")
    if at is not None and (isinstance(at, datetime) or not isinstance(at, date)):
        raise ValueError(f"at must be a date (not a datetime), got {at!r}.")

    everything = _prepare(readings)
    series = [r for r in everything if at is None or r.period_end <= at]
    params = {
        "method": "XmR (Making Data Count)",
        "baseline_count": baseline_count,
        "direction": direction,
        "target": target,
        "shift_run": shift_run,
        "trend_run": trend_run,
        "two_of_three": bool(two_of_three),
        "single_point": bool(single_point),
        "limit_factor": float(LIMIT_FACTOR),
        "locked_min_points": LOCKED_MIN_POINTS,
        "at": at.isoformat() if at else None,
        "unit": unit,
    }

    def result(passed, figures, sentence):
        return StabilityResult(rule="spc", params=params, passed=passed, figures=figures, sentence=sentence)

    if len(series) < baseline_count:
        return result(
            False,
            {
                "readings": len(series),
                "baseline_points": baseline_count,
                "ignored_after_at": len(everything) - len(series),
            },
            f"SPC: the baseline needs {baseline_count} readings; only {len(series)} recorded so far.",
        )

    baseline, after = series[:baseline_count], series[baseline_count:]
    limits = xmr_limits([r.value for r in baseline])
    signals = special_causes(
        [r.value for r in after],
        limits,
        direction=direction,
        shift_run=shift_run,
        trend_run=trend_run,
        two_of_three=two_of_three,
        single_point=single_point,
    )
    dates = [r.period_end for r in after]

    def as_dict(s: Signal | None):
        if s is None:
            return None
        return {
            "rule": s.rule,
            "start": s.start,
            "end": s.end,
            "side": s.side,
            "kind": s.kind,
            "start_date": dates[s.start].isoformat(),
            "end_date": dates[s.end].isoformat(),
        }

    improvements = [s for s in signals if s.kind == "improvement"]
    first_improvement = improvements[0] if improvements else None  # sorted by start, then rule order
    concern = None
    if first_improvement is not None:
        concern = next((s for s in signals if s.kind == "concern" and s.end >= first_improvement.start), None)
    passed = first_improvement is not None and concern is None

    latest = series[-1]
    figures = {
        "mean": limits.mean,
        "mr_bar": limits.mr_bar,
        "ucl": limits.ucl,
        "lcl": limits.lcl,
        "upper_two_sigma": limits.upper_two_sigma,
        "lower_two_sigma": limits.lower_two_sigma,
        "baseline_points": limits.baseline_points,
        "trial": limits.trial,
        "baseline_start": baseline[0].period_end.isoformat(),
        "baseline_end": baseline[-1].period_end.isoformat(),
        "readings_after_baseline": len(after),
        "signals": [as_dict(s) for s in signals],
        "first_improvement": as_dict(first_improvement),
        "concern_since_improvement": as_dict(concern),
        "latest_reading": latest.period_end.isoformat(),
        "latest_value": latest.value,
        "latest_meets_target": _meets(latest.value, target, direction) if target is not None else None,
        "ignored_after_at": len(everything) - len(series),
    }

    prefix = f"SPC: trial limits from {limits.baseline_points} baseline points; " if limits.trial else "SPC: "
    if not after:
        body = "no readings since the baseline yet"
    elif first_improvement is None:
        body = "no improvement signal yet"
    elif concern is None:
        body = f"improvement signal ({_describe(first_improvement, dates)}) and no concern signal since"
    else:
        body = (
            f"improvement signal ({_describe(first_improvement, dates)}), "
            f"but a concern signal since ({_describe(concern, dates)})"
        )
    if target is not None:
        verdict = "meets" if figures["latest_meets_target"] else "does not meet"
        shown, goal = format_number(latest.value, unit), format_number(target, unit)
        body += f"; latest reading {shown} {verdict} the target of {goal}"
    return result(passed, figures, prefix + body + ".")


# --------------------------------------------------------------------------- dispatch


def evaluate(rule, readings, **params) -> StabilityResult:
    """Run a stability rule by name: "target_held" or "spc"."""
    if rule == "target_held":
        return target_held(readings, **params)
    if rule == "spc":
        return spc_sustained(readings, **params)
    raise ValueError(f"unknown stability rule {rule!r}; expected one of {', '.join(RULES)}.")
