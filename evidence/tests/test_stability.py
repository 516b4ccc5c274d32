"""Stability rules (DESIGN.md §4): pure functions, no database.

Dates are Sundays ("week ending"). Figures in comments are worked by hand.
"""

import json
import math
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.stability import (
    LOCKED_MIN_POINTS,
    Reading,
    Signal,
    StabilityResult,
    evaluate,
    format_date,
    format_number,
    spc_sustained,
    special_causes,
    target_held,
    xmr_limits,
)

AT = date(2026, 11, 1)  # a Sunday


def weekly(values, last=AT):
    """Readings for consecutive weeks ending on Sundays, the last one ending on `last`."""
    n = len(values)
    return [Reading(last - timedelta(weeks=n - 1 - i), v) for i, v in enumerate(values)]


def series(values, first=date(2026, 7, 12)):
    return [Reading(first + timedelta(weeks=i), v) for i, v in enumerate(values)]


def assert_json(result: StabilityResult):
    json.dumps(result.params)
    json.dumps(result.figures)


# --------------------------------------------------------------------------- formatting


def test_format_number_and_date():
    assert format_number(95.0, "%") == "95%"
    assert format_number(91.256, "%") == "91.26%"
    assert format_number(80.50) == "80.5"
    assert format_number(1234) == "1,234"
    assert format_number(3, "falls") == "3 falls"
    assert format_number(-0.0) == "0"
    assert format_number(0.0004) == "0.0004"
    assert format_date(date(2026, 11, 3)) == "3 Nov 2026"


# --------------------------------------------------------------------------- target held


def test_target_held_passes_with_four_weekly_readings_at_target():
    result = target_held(weekly([96, 97, 95.5, 98]), target=95, direction="higher", at=AT, unit="%")
    assert result.passed
    assert result.rule == "target_held"
    assert result.sentence == "Target 95% met in all 4 readings in the last 8 weeks."
    assert result.figures["readings_in_window"] == 4
    assert result.figures["met_target"] == 4
    assert result.figures["first_failing"] is None
    assert result.figures["latest_reading"] == "2026-11-01"
    assert result.params == {
        "target": 95.0,
        "direction": "higher",
        "at": "2026-11-01",
        "window_days": 56,
        "min_readings": 4,
        "max_gap_days": 14,  # 56 // 4
        "unit": "%",
    }
    assert_json(result)


def test_target_held_fails_naming_the_failing_reading():
    result = target_held(weekly([96, 97, 91, 98]), target=95, direction="higher", at=AT, unit="%")
    assert not result.passed
    assert result.sentence == "Target 95% met in 3 of the last 4 readings (week ending 25 Oct 2026: 91%)."
    assert result.figures["first_failing"] == {"period_end": "2026-10-25", "value": 91.0}
    assert result.figures["missed_target"] == 1


def test_target_held_names_the_first_of_several_misses():
    result = target_held(weekly([90, 97, 91, 98]), target=95, direction="higher", at=AT, unit="%")
    assert result.sentence == "Target 95% met in 2 of the last 4 readings (first miss week ending 11 Oct 2026: 90%)."


def test_target_held_fails_with_too_few_readings():
    result = target_held(weekly([96, 97, 98]), target=95, direction="higher", at=AT, unit="%")
    assert not result.passed
    assert "3 of the 4 readings needed" in result.sentence
    assert result.sentence == (
        "Target 95% met in all 3 readings in the last 8 weeks, but that is only 3 of the 4 readings needed."
    )


def test_target_held_fails_with_no_readings_in_window():
    old = weekly([96, 97], last=AT - timedelta(weeks=10))
    result = target_held(old, target=95, direction="higher", at=AT)
    assert not result.passed
    assert result.sentence == "No readings in the last 8 weeks (4 needed); the latest is for week ending 23 Aug 2026."
    empty = target_held([], target=95, direction="higher", at=AT)
    assert empty.sentence == "No readings in the last 8 weeks (4 needed)."


def test_target_held_fails_when_newest_reading_is_stale():
    # Four good readings, but the newest ended 3 weeks (21 days) before `at`; 14 days allowed.
    result = target_held(weekly([96, 97, 98, 99], last=AT - timedelta(days=21)), target=95, direction="higher", at=AT)
    assert not result.passed
    assert result.figures["readings_in_window"] == 4
    assert result.figures["days_since_latest"] == 21
    assert result.sentence == (
        "Target 95 met in all 4 readings in the last 8 weeks, "
        "but the latest (week ending 11 Oct 2026) is 21 days old, more than the 14 allowed."
    )


def test_target_held_staleness_boundary():
    fourteen = weekly([96, 97, 98, 99], last=AT - timedelta(days=14))
    assert target_held(fourteen, target=95, direction="higher", at=AT).passed
    fifteen = weekly([96, 97, 98, 99], last=AT - timedelta(days=15))
    assert not target_held(fifteen, target=95, direction="higher", at=AT).passed
    # An explicit max_gap_days overrides window_days // min_readings.
    assert target_held(fifteen, target=95, direction="higher", at=AT, max_gap_days=15).passed


def test_target_held_lower_is_better():
    errors = weekly([2, 1, 0, 2])
    result = target_held(errors, target=2, direction="lower", at=AT, unit="errors")
    assert result.passed
    assert result.sentence == "Target of 2 errors or below met in all 4 readings in the last 8 weeks."
    worse = target_held(weekly([2, 1, 3, 0]), target=2, direction="lower", at=AT, unit="errors")
    assert not worse.passed
    assert worse.sentence == (
        "Target of 2 errors or below met in 3 of the last 4 readings (week ending 25 Oct 2026: 3 errors)."
    )


def test_target_held_reading_exactly_at_target_passes():
    assert target_held(weekly([95, 95, 95, 95]), target=95, direction="higher", at=AT).passed
    assert target_held(weekly([2, 2, 2, 2]), target=2, direction="lower", at=AT).passed
    assert not target_held(weekly([95, 95, 95, 94.99]), target=95, direction="higher", at=AT).passed


def test_target_held_window_edge():
    # The window is (at - 56 days, at]: 6 Sep 2026 is exactly 56 days before 1 Nov, so outside.
    edge = AT - timedelta(days=56)
    recent = weekly([96, 97, 98])
    outside = target_held([Reading(edge, 96), *recent], target=95, direction="higher", at=AT)
    assert outside.figures["readings_in_window"] == 3
    assert not outside.passed
    # ... and a miss on that date does not count against the target either.
    missed_outside = target_held([Reading(edge, 10), *weekly([96, 97, 98, 99])], target=95, direction="higher", at=AT)
    assert missed_outside.passed
    # One day later is inside.
    inside = target_held([Reading(edge + timedelta(days=1), 96), *recent], target=95, direction="higher", at=AT)
    assert inside.figures["readings_in_window"] == 4
    assert inside.passed


def test_target_held_sorts_and_ignores_future_readings():
    readings = list(reversed(weekly([96, 97, 98, 99]))) + [Reading(AT + timedelta(days=7), 10)]
    result = target_held(readings, target=95, direction="higher", at=AT)
    assert result.passed
    assert result.figures["ignored_after_at"] == 1
    assert result.figures["latest_reading"] == "2026-11-01"


def test_target_held_accepts_pairs_and_labels_monthly_periods():
    months = [(date(2026, 8, 31), 96), (date(2026, 9, 30), 90), (date(2026, 10, 31), 97)]
    result = target_held(months, target=95, direction="higher", at=date(2026, 10, 31), window_days=92, min_readings=3)
    assert result.sentence == "Target 95 met in 2 of the last 3 readings (month ending 30 Sep 2026: 90)."


@pytest.mark.parametrize(
    "kwargs",
    [
        {"target": math.nan},
        {"target": math.inf},
        {"direction": "up"},
        {"window_days": 0},
        {"min_readings": 0},
        {"max_gap_days": -1},
        {"at": None},
    ],
)
def test_target_held_rejects_bad_parameters(kwargs):
    params = {"target": 95, "direction": "higher", "at": AT, **kwargs}
    with pytest.raises(ValueError):
        target_held(weekly([96, 97, 98, 99]), **params)


def test_bad_readings_rejected():
    with pytest.raises(ValueError, match="finite"):
        Reading(AT, math.nan)
    with pytest.raises(ValueError, match="finite"):
        Reading(AT, -math.inf)
    with pytest.raises(ValueError, match="number"):
        Reading(AT, True)
    with pytest.raises(ValueError, match="date"):
        Reading(None, 1)
    with pytest.raises(ValueError, match="same|two readings"):
        target_held([Reading(AT, 96), Reading(AT, 97)], target=95, direction="higher", at=AT)
    with pytest.raises(ValueError, match="finite"):
        xmr_limits([1, 2, float("inf")])


# --------------------------------------------------------------------------- XmR limits


def test_xmr_limits_worked_example():
    # values 10, 12, 11, 13, 12
    # mean = 58 / 5 = 11.6
    # moving ranges |12-10|=2, |11-12|=1, |13-11|=2, |12-13|=1 -> mR-bar = 6 / 4 = 1.5
    # 2.66 x 1.5 = 3.99 -> UCL = 15.59, LCL = 7.61
    # 2-sigma: (2/3) x 3.99 = 2.66 -> 14.26 and 8.94
    limits = xmr_limits([10, 12, 11, 13, 12])
    assert limits.mean == pytest.approx(11.6)
    assert limits.mr_bar == pytest.approx(1.5)
    assert limits.ucl == pytest.approx(15.59)
    assert limits.lcl == pytest.approx(7.61)
    assert limits.upper_two_sigma == pytest.approx(14.26)
    assert limits.lower_two_sigma == pytest.approx(8.94)
    assert limits.baseline_points == 5
    assert limits.trial


def test_xmr_limits_trial_below_twelve_locked_at_twelve():
    assert LOCKED_MIN_POINTS == 12
    assert xmr_limits([10, 12] * 5 + [11]).trial  # 11 points
    locked = xmr_limits([10, 12] * 6)  # 12 points
    assert not locked.trial
    assert locked.baseline_points == 12


def test_xmr_limits_needs_two_values():
    with pytest.raises(ValueError, match="at least 2"):
        xmr_limits([5])
    with pytest.raises(ValueError, match="at least 2"):
        xmr_limits([])


def test_constant_baseline_limits_collapse_onto_mean():
    limits = xmr_limits([0.1] * 3)  # 0.1 + 0.1 + 0.1 != 0.3 in floats; the mean is still exactly 0.1
    assert limits.mean == limits.ucl == limits.lcl == limits.upper_two_sigma == limits.lower_two_sigma == 0.1
    assert limits.mr_bar == 0
    assert special_causes([0.1] * 10, limits, direction="higher") == []


# --------------------------------------------------------------------------- special causes

# Baseline 9, 11 alternating, 12 points: mean 10, every moving range 2 so mR-bar 2,
# UCL = 10 + 2.66 x 2 = 15.32, LCL = 4.68, 2-sigma lines 10 +/- 3.5467 = 13.5467 and 6.4533.
LIMITS = xmr_limits([9, 11] * 6)


def test_reference_limits():
    assert (LIMITS.mean, LIMITS.mr_bar) == (10, 2)
    assert LIMITS.ucl == pytest.approx(15.32)
    assert LIMITS.lcl == pytest.approx(4.68)
    assert LIMITS.upper_two_sigma == pytest.approx(13.546667, abs=1e-6)
    assert LIMITS.lower_two_sigma == pytest.approx(6.453333, abs=1e-6)


def rules(signals):
    return [(s.rule, s.start, s.end, s.side, s.kind) for s in signals]


def test_single_point_above_ucl():
    values = [10, 16, 10]
    assert rules(special_causes(values, LIMITS, direction="higher")) == [("single_point", 1, 1, "high", "improvement")]
    assert rules(special_causes(values, LIMITS, direction="lower")) == [("single_point", 1, 1, "high", "concern")]


def test_single_point_below_lcl():
    values = [10, 4, 10]
    assert rules(special_causes(values, LIMITS, direction="higher")) == [("single_point", 1, 1, "low", "concern")]
    assert rules(special_causes(values, LIMITS, direction="lower")) == [("single_point", 1, 1, "low", "improvement")]


def test_single_point_near_miss_and_switch_off():
    assert special_causes([10, 15.3, 10, 4.7], LIMITS, direction="higher") == []  # inside 15.32 / 4.68
    assert special_causes([10, 15.32, 10], LIMITS, direction="higher") == []  # on the limit is not beyond it
    assert special_causes([10, 16, 10], LIMITS, direction="higher", single_point=False) == []


def test_shift_of_seven_above_mean():
    values = [11] * 7  # above the mean, inside the 2-sigma line
    assert rules(special_causes(values, LIMITS, direction="higher")) == [("shift", 0, 6, "high", "improvement")]
    assert rules(special_causes(values, LIMITS, direction="lower")) == [("shift", 0, 6, "high", "concern")]


def test_shift_of_seven_below_mean():
    values = [12, 9, 9, 8, 9, 9, 8, 9]
    assert rules(special_causes(values, LIMITS, direction="higher")) == [("shift", 1, 7, "low", "concern")]
    assert rules(special_causes(values, LIMITS, direction="lower")) == [("shift", 1, 7, "low", "improvement")]


def test_shift_near_misses():
    assert special_causes([11] * 6, LIMITS, direction="higher") == []  # a run of 6
    assert special_causes([11] * 6 + [10] + [11] * 6, LIMITS, direction="higher") == []  # on the mean breaks it
    assert special_causes([11] * 7, LIMITS, direction="higher", shift_run=8) == []  # configurable
    assert special_causes([11] * 7, LIMITS, direction="higher", shift_run=None) == []  # switched off


def test_trend_rising():
    values = [8, 8.5, 9, 9.5, 10.5, 11, 11.5]  # crosses the mean, so no shift; inside the 2-sigma lines
    assert rules(special_causes(values, LIMITS, direction="higher")) == [("trend", 0, 6, "high", "improvement")]
    assert rules(special_causes(values, LIMITS, direction="lower")) == [("trend", 0, 6, "high", "concern")]


def test_trend_falling():
    values = [11.5, 11, 10.5, 9.5, 9, 8.5, 8]
    assert rules(special_causes(values, LIMITS, direction="higher")) == [("trend", 0, 6, "low", "concern")]
    assert rules(special_causes(values, LIMITS, direction="lower")) == [("trend", 0, 6, "low", "improvement")]


def test_trend_near_misses():
    assert special_causes([8, 8.5, 9, 9.5, 10.5, 11], LIMITS, direction="higher") == []  # 6 rising points
    assert special_causes([8, 8.5, 9, 9, 9.5, 10.5, 11], LIMITS, direction="higher") == []  # equal value breaks it
    rising = [8, 8.5, 9, 9.5, 10.5, 11, 11.5]
    assert special_causes(rising, LIMITS, direction="higher", trend_run=8) == []


def test_two_of_three_beyond_upper_two_sigma():
    values = [10, 14, 10, 14, 10]  # 14 is beyond 13.55 but inside the UCL 15.32
    assert rules(special_causes(values, LIMITS, direction="higher")) == [("two_of_three", 1, 3, "high", "improvement")]
    assert rules(special_causes(values, LIMITS, direction="lower")) == [("two_of_three", 1, 3, "high", "concern")]


def test_two_of_three_beyond_lower_two_sigma():
    values = [10, 6, 6, 10]
    assert rules(special_causes(values, LIMITS, direction="higher")) == [("two_of_three", 1, 2, "low", "concern")]
    assert rules(special_causes(values, LIMITS, direction="lower")) == [("two_of_three", 1, 2, "low", "improvement")]


def test_two_of_three_near_misses():
    assert special_causes([10, 14, 10, 10, 14, 10], LIMITS, direction="higher") == []  # never 2 in any 3
    assert special_causes([10, 14, 10], LIMITS, direction="higher") == []  # one point beyond 2-sigma
    assert special_causes([14, 6, 10], LIMITS, direction="higher") == []  # opposite sides do not pair
    assert special_causes([14, 14], LIMITS, direction="higher", two_of_three=False) == []


def test_two_of_three_separate_episodes_are_separate_signals():
    values = [14, 14, 10, 10, 10, 14, 14]
    assert rules(special_causes(values, LIMITS, direction="higher")) == [
        ("two_of_three", 0, 1, "high", "improvement"),
        ("two_of_three", 5, 6, "high", "improvement"),
    ]


def test_signals_sorted_by_start_then_rule():
    values = [16] * 7  # every point beyond the UCL
    found = special_causes(values, LIMITS, direction="higher")
    assert [s.rule for s in found[:3]] == ["shift", "single_point", "two_of_three"]
    assert all(isinstance(s, Signal) for s in found)


# --------------------------------------------------------------------------- SPC sustained improvement

# Medicines: weekly % of MAR charts complete. Baseline of 12 weeks around 80:
# sum 960 -> mean 80; moving ranges 4,2,1,2,2,6,3,2,3,2,3 = 30 -> mR-bar 30/11 = 2.727;
# UCL = 80 + 2.66 x 2.727 = 87.25, LCL = 72.75. Then 8 weeks around 96 (from week ending 4 Oct 2026).
MAR_BASELINE = [78, 82, 80, 79, 81, 83, 77, 80, 82, 79, 81, 78]
MAR_AFTER = [95, 97, 96, 98, 95, 96, 97, 96]


def test_spc_medicines_example_passes():
    result = spc_sustained(series(MAR_BASELINE + MAR_AFTER), baseline_count=12, direction="higher", unit="%")
    assert result.passed
    assert result.rule == "spc"
    assert result.sentence == (
        "SPC: improvement signal (run of 8 above the mean from 4 Oct 2026) and no concern signal since."
    )
    assert result.figures["mean"] == 80
    assert result.figures["mr_bar"] == pytest.approx(30 / 11)
    assert result.figures["ucl"] == pytest.approx(87.2545, abs=1e-4)
    assert result.figures["lcl"] == pytest.approx(72.7455, abs=1e-4)
    assert result.figures["trial"] is False
    assert result.figures["baseline_end"] == "2026-09-27"
    assert result.figures["first_improvement"]["start_date"] == "2026-10-04"
    assert result.figures["concern_since_improvement"] is None
    assert result.params["baseline_count"] == 12
    assert result.params["shift_run"] == 7
    assert_json(result)


def test_spc_drop_below_lcl_after_improvement_fails():
    readings = series(MAR_BASELINE + MAR_AFTER + [70])  # week ending 29 Nov 2026
    result = spc_sustained(readings, baseline_count=12, direction="higher", unit="%")
    assert not result.passed
    assert result.sentence == (
        "SPC: improvement signal (run of 8 above the mean from 4 Oct 2026), "
        "but a concern signal since (point below the lower limit on 29 Nov 2026)."
    )
    assert result.figures["concern_since_improvement"]["start_date"] == "2026-11-29"


def test_spc_concern_before_the_improvement_does_not_block():
    result = spc_sustained(series(MAR_BASELINE + [70] + MAR_AFTER[:7]), baseline_count=12, direction="higher")
    assert result.passed
    assert result.sentence == (
        "SPC: improvement signal (run of 7 above the mean from 11 Oct 2026) and no concern signal since."
    )


def test_spc_lower_is_better():
    # Falls per week: baseline around 6, then a drop to 1-2; reading the chart the other way up.
    base = [6, 7, 5, 6, 8, 5, 6, 7, 6, 5, 7, 6]
    result = spc_sustained(series(base + [2, 1, 2, 1, 2, 1, 2]), baseline_count=12, direction="lower", unit="falls")
    assert result.passed
    assert result.figures["first_improvement"]["side"] == "low"
    rising = spc_sustained(series(base + [12, 13]), baseline_count=12, direction="lower")
    assert not rising.passed
    assert rising.sentence == "SPC: no improvement signal yet."


def test_spc_trial_limits_are_said():
    result = spc_sustained(series(MAR_BASELINE[:10]), baseline_count=8, direction="higher")
    assert not result.passed
    assert result.figures["trial"] is True
    assert result.sentence == "SPC: trial limits from 8 baseline points; no improvement signal yet."
    improved = spc_sustained(series(MAR_BASELINE[:8] + MAR_AFTER), baseline_count=8, direction="higher")
    assert improved.passed
    assert improved.sentence.startswith("SPC: trial limits from 8 baseline points; improvement signal (")


def test_spc_incomplete_baseline_and_no_readings_after():
    short = spc_sustained(series(MAR_BASELINE[:8]), baseline_count=12, direction="higher")
    assert not short.passed
    assert short.sentence == "SPC: the baseline needs 12 readings; only 8 recorded so far."
    assert_json(short)
    none_after = spc_sustained(series(MAR_BASELINE), baseline_count=12, direction="higher")
    assert not none_after.passed
    assert none_after.sentence == "SPC: no readings since the baseline yet."
    with pytest.raises(ValueError, match="baseline_count"):
        spc_sustained(series(MAR_BASELINE), baseline_count=1, direction="higher")


def test_spc_target_is_a_figure_not_a_condition():
    readings = series(MAR_BASELINE + MAR_AFTER)
    met = spc_sustained(readings, baseline_count=12, direction="higher", target=95, unit="%")
    assert met.passed
    assert met.figures["latest_meets_target"] is True
    assert met.sentence.endswith("; latest reading 96% meets the target of 95%.")
    missed = spc_sustained(readings, baseline_count=12, direction="higher", target=99, unit="%")
    assert missed.passed
    assert missed.figures["latest_meets_target"] is False
    assert missed.sentence.endswith("; latest reading 96% does not meet the target of 99%.")


def test_spc_sorts_readings_and_respects_at():
    readings = series(MAR_BASELINE + MAR_AFTER + [70])
    shuffled = readings[::2] + readings[1::2]
    assert spc_sustained(shuffled, baseline_count=12, direction="higher") == spc_sustained(
        readings, baseline_count=12, direction="higher"
    )
    before_drop = spc_sustained(readings, baseline_count=12, direction="higher", at=date(2026, 11, 22))
    assert before_drop.passed
    assert before_drop.figures["ignored_after_at"] == 1


def test_evaluate_dispatches():
    readings = weekly([96, 97, 95.5, 98])
    assert evaluate("target_held", readings, target=95, direction="higher", at=AT) == target_held(
        readings, target=95, direction="higher", at=AT
    )
    mar = series(MAR_BASELINE + MAR_AFTER)
    assert evaluate("spc", mar, baseline_count=12, direction="higher") == spc_sustained(
        mar, baseline_count=12, direction="higher"
    )
    with pytest.raises(ValueError, match="unknown stability rule"):
        evaluate("vibes", readings)


# --------------------------------------------------------------------------- properties

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
whole = st.integers(min_value=-1000, max_value=1000)
fast = settings(max_examples=60, database=None, deadline=None)


@fast
@given(
    value=st.floats(allow_nan=False, allow_infinity=False),
    n=st.integers(2, 30),
    direction=st.sampled_from(["higher", "lower"]),
)
def test_constant_series_raises_no_signal(value, n, direction):
    limits = xmr_limits([value] * n)
    assert limits.mr_bar == 0
    assert limits.mean == limits.ucl == limits.lcl == value
    assert special_causes([value] * n, limits, direction=direction) == []
    result = spc_sustained(series([value] * (n + 10)), baseline_count=n, direction=direction)
    assert not result.passed
    assert result.figures["signals"] == []


@fast
@given(baseline=st.lists(finite, min_size=2, max_size=20), later=st.lists(finite, max_size=20))
def test_points_after_the_baseline_never_move_the_limits(baseline, later):
    limits = xmr_limits(baseline)
    figures = spc_sustained(series(baseline + later), baseline_count=len(baseline), direction="higher").figures
    for name in ("mean", "mr_bar", "ucl", "lcl", "upper_two_sigma", "lower_two_sigma"):
        assert figures[name] == getattr(limits, name)
    assert xmr_limits((baseline + later)[: len(baseline)]) == limits


@fast
@given(values=st.lists(finite, min_size=2, max_size=40))
def test_limits_symmetric_and_ordered(values):
    limits = xmr_limits(values)
    assert limits.ucl >= limits.upper_two_sigma >= limits.mean >= limits.lower_two_sigma >= limits.lcl
    scale = 1e-9 * (abs(limits.mean) + limits.ucl - limits.lcl + 1)
    assert math.isclose(limits.ucl - limits.mean, limits.mean - limits.lcl, abs_tol=scale)
    assert math.isclose(limits.upper_two_sigma - limits.mean, limits.mean - limits.lower_two_sigma, abs_tol=scale)
    assert math.isclose(limits.ucl - limits.mean, 2.66 * limits.mr_bar, abs_tol=scale)


# Whole numbers and whole shifts, so shifting is exact in floating point too.
@fast
@given(
    baseline=st.lists(whole, min_size=2, max_size=20),
    later=st.lists(whole, max_size=30),
    shift=st.integers(-(10**6), 10**6),
    direction=st.sampled_from(["higher", "lower"]),
)
def test_shifting_every_value_shifts_limits_and_keeps_signals(baseline, later, shift, direction):
    values = baseline + later
    limits = xmr_limits(baseline)
    moved = xmr_limits([v + shift for v in baseline])
    for name in ("mean", "ucl", "lcl", "upper_two_sigma", "lower_two_sigma"):
        assert math.isclose(getattr(moved, name), getattr(limits, name) + shift, rel_tol=1e-12, abs_tol=1e-6)
    assert moved.mr_bar == limits.mr_bar
    assert special_causes([v + shift for v in values], moved, direction=direction) == special_causes(
        values, limits, direction=direction
    )


@fast
@given(baseline=st.lists(whole, min_size=2, max_size=20), later=st.lists(whole, max_size=30))
def test_reversing_direction_swaps_every_classification(baseline, later):
    values = baseline + later
    limits = xmr_limits(baseline)
    up = special_causes(values, limits, direction="higher")
    down = special_causes(values, limits, direction="lower")
    swap = {"improvement": "concern", "concern": "improvement"}
    assert [(s.rule, s.start, s.end, s.side) for s in up] == [(s.rule, s.start, s.end, s.side) for s in down]
    assert [swap[s.kind] for s in up] == [s.kind for s in down]
    for s in up:
        assert 0 <= s.start <= s.end < len(values)
        assert s.kind == ("improvement" if s.side == "high" else "concern")


def test_spc_sentences_for_each_kind_of_signal():
    base = [9, 11] * 6  # mean 10, UCL 15.32, 2-sigma 13.55 (see LIMITS); post-baseline weeks start 4 Oct 2026

    def sentence(after, direction="higher"):
        return spc_sustained(series(base + after), baseline_count=12, direction=direction).sentence

    assert sentence([10, 14, 10, 14]) == (
        "SPC: improvement signal (2 of 3 points near or beyond the upper limit from 11 Oct 2026) "
        "and no concern signal since."
    )
    assert sentence([8, 8.5, 9, 9.5, 10.5, 11, 11.5]) == (
        "SPC: improvement signal (7 points rising in a row from 4 Oct 2026) and no concern signal since."
    )
    assert sentence([11.5, 11, 10.5, 9.5, 9, 8.5, 8], direction="lower") == (
        "SPC: improvement signal (7 points falling in a row from 4 Oct 2026) and no concern signal since."
    )
    assert sentence([10, 4], direction="lower") == (
        "SPC: improvement signal (point below the lower limit on 11 Oct 2026) and no concern signal since."
    )


def test_str_enum_direction_is_recorded_as_plain_text():
    from enum import StrEnum

    class Direction(StrEnum):
        HIGHER = "higher"

    result = target_held(weekly([96, 97, 95.5, 98]), target=95, direction=Direction.HIGHER, at=AT)
    assert result.passed
    assert type(result.params["direction"]) is str
    assert result.params["direction"] == "higher"


def test_target_held_single_reading_sentences():
    one_good = target_held(weekly([96]), target=95, direction="higher", at=AT, min_readings=1, unit="%")
    assert one_good.passed
    assert one_good.sentence == "Target 95% met in the only reading in the last 8 weeks."
    one_bad = target_held(weekly([91]), target=95, direction="higher", at=AT, unit="%")
    assert one_bad.sentence == (
        "Target 95% not met in the only reading in the last 8 weeks (period ending 1 Nov 2026: 91%), "
        "and that is only 1 of the 4 readings needed."
    )
