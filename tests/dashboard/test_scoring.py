"""The rules of METHODOLOGY.md, checked against numbers worked out by hand (never by the code)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.scoring import (
    STATUS_COLOURS,
    STATUS_LABELS,
    STATUS_SYMBOLS,
    TREND_LABELS,
    TREND_SYMBOLS,
    Rule,
    Status,
    Trend,
    area_status,
    default_worst,
    distance_from_parity,
    is_stale,
    mean_score,
    overall_score,
    reporting_rate,
    score,
    status,
    status_array,
    trend,
)

G, A, R, N = Status.GREEN, Status.AMBER, Status.RED, Status.NO_DATA

ENROLMENT = Rule(direction="increase", target=100, green=95, red=80)
REMITTANCE_COST = Rule(direction="decrease", target=3, green=3, red=6)
EMPLOYMENT_PARITY = Rule(direction="parity", target=0, green=0.05, red=0.15, parity=1.0)
YES_NO = Rule(direction="increase", target=1, green=1, red=1)
MATURITY = Rule(direction="increase", target=3, green=3, red=2)
CONTEXT = Rule(direction="none")


# --- The five worked examples ------------------------------------------------------------------


def test_example_1_enrolment_red_but_on_track():
    # x = 2015..2019, mean 2017, dx = -2, -1, 0, 1, 2, sum(dx^2) = 10
    # y = 70, 72, 75, 76, 79, mean 372 / 5 = 74.4, dy = -4.4, -2.4, 0.6, 1.6, 4.6
    # sum(dx*dy) = 8.8 + 2.4 + 0 + 1.6 + 9.2 = 22  ->  o = 22 / 10 = 2.2
    # q = (100 - 70) / (2030 - 2015) = 30 / 15 = 2.0  ->  R = 2.2 / 2.0 = 1.1 >= 0.95
    result = trend([2015, 2016, 2017, 2018, 2019], [70, 72, 75, 76, 79], ENROLMENT)
    assert result.trend is Trend.ON_TRACK
    assert result.observed_rate == pytest.approx(2.2)
    assert result.required_rate == pytest.approx(2.0)
    assert result.ratio == pytest.approx(1.1)
    assert (result.base_year, result.n_points) == (2015, 5)
    # latest 79 < red 80
    assert status(79, ENROLMENT) is Status.RED


def test_example_2_remittance_cost_stagnating_and_red():
    # two points: o = (7.6 - 8.0) / (2020 - 2016) = -0.1
    # q = (3 - 8) / (2030 - 2016) = -5 / 14 = -0.357142...; R = -0.1 / (-5/14) = 1.4 / 5 = 0.28
    result = trend([2016, 2020], [8.0, 7.6], REMITTANCE_COST)
    assert result.trend is Trend.STAGNATING
    assert result.observed_rate == pytest.approx(-0.1)
    assert result.required_rate == pytest.approx(-0.357142857)
    assert result.ratio == pytest.approx(0.28)
    assert result.base_year == 2016
    assert status(7.6, REMITTANCE_COST) is Status.RED  # 7.6 > 6


def test_example_3_employment_parity():
    assert status(0.82, EMPLOYMENT_PARITY) is Status.RED  # d = 0.18 > 0.15
    assert status(1.03, EMPLOYMENT_PARITY) is Status.GREEN  # d = 0.03 <= 0.05
    assert distance_from_parity(0.82, 1.0) == pytest.approx(0.18)
    assert distance_from_parity(1.03, 1.0) == pytest.approx(0.03)


def test_example_4_yes_no():
    assert status(0, YES_NO) is Status.RED
    assert status(1, YES_NO) is Status.GREEN


def test_example_5_one_year_insufficient_but_status_computed():
    result = trend([2019], [79], ENROLMENT)
    assert result.trend is Trend.INSUFFICIENT
    assert (result.observed_rate, result.required_rate, result.ratio) == (None, None, None)
    assert (result.base_year, result.n_points) == (2019, 1)
    assert status(79, ENROLMENT) is Status.RED


# --- Status ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(95, G), (100, G), (94.9, A), (80, A), (79.9, R)])
def test_increase_thresholds_are_inclusive_for_green_and_strict_for_red(value, expected):
    assert status(value, ENROLMENT) is expected


@pytest.mark.parametrize(("value", "expected"), [(2.5, G), (3, G), (3.01, A), (6, A), (6.01, R), (12, R)])
def test_decrease_thresholds(value, expected):
    assert status(value, REMITTANCE_COST) is expected


@pytest.mark.parametrize(("value", "expected"), [(0, R), (1, R), (2, A), (3, G)])
def test_maturity_levels(value, expected):
    assert status(value, MATURITY) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, G),  # d = 0
        (0.95, G),  # d = 0.05, below parity, on the green boundary
        (1.05, G),  # d = 0.05 above parity (0.050000000000000044 before rounding)
        (1.10, A),  # d = 0.10
        (0.85, A),  # d = 0.15, on the red boundary (0.15000000000000002 before rounding)
        (1.16, R),  # d = 0.16
        (0.70, R),  # d = 0.30
    ],
)
def test_parity_on_both_sides_of_one(value, expected):
    assert status(value, EMPLOYMENT_PARITY) is expected


def test_parity_as_a_difference_around_zero():
    gap = Rule(direction="parity", target=0, green=2, red=5, parity=0)
    assert [status(v, gap) for v in (-1.5, 1.5, -3, 4, -6, 6)] == [G, G, A, A, R, R]


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA])
def test_missing_value_is_no_data(missing):
    assert status(missing, ENROLMENT) is Status.NO_DATA
    assert status(missing, EMPLOYMENT_PARITY) is Status.NO_DATA


def test_context_figures_are_not_scored():
    with pytest.raises(ValueError, match="not scored"):
        status(10, CONTEXT)
    with pytest.raises(ValueError, match="not scored"):
        status_array(np.array([10.0]), CONTEXT)
    with pytest.raises(ValueError, match="not scored"):
        score(10, CONTEXT, worst=0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"direction": "up", "target": 1, "green": 1, "red": 0},
        {"direction": "increase", "green": 95, "red": 80},  # no target
        {"direction": "increase", "target": 100, "green": 80, "red": 95},  # reversed
        {"direction": "decrease", "target": 3, "green": 6, "red": 3},  # reversed
        {"direction": "parity", "target": 0, "green": 0.05, "red": 0.15},  # no parity value
    ],
)
def test_incomplete_or_reversed_rules_are_rejected(kwargs):
    with pytest.raises(ValueError):
        Rule(**kwargs)


# --- status_array agrees with status -------------------------------------------------------------


def test_status_array_on_a_series_with_missing_values():
    values = pd.Series([79, None, 95, 85, np.nan], dtype=object)
    assert status_array(values, ENROLMENT).tolist() == ["red", "no-data", "green", "amber", "no-data"]
    nullable = pd.Series([0.82, pd.NA, 1.03], dtype="Float64")
    assert status_array(nullable, EMPLOYMENT_PARITY).tolist() == ["red", "no-data", "green"]
    assert list(status_array(np.array([0.0, 1.0]), YES_NO)) == [Status.RED, Status.GREEN]


def _rules() -> st.SearchStrategy[Rule]:
    thresholds = st.floats(-1e6, 1e6, allow_nan=False)

    @st.composite
    def build(draw):
        direction = draw(st.sampled_from(["increase", "decrease", "parity"]))
        a, b = sorted([draw(thresholds), draw(thresholds)])
        if direction == "parity":
            a, b = abs(a), abs(b)
            a, b = min(a, b), max(a, b)
            parity = draw(st.sampled_from([0.0, 1.0]))
            return Rule(direction, target=0, green=a, red=b, parity=parity)
        green, red = (b, a) if direction == "increase" else (a, b)
        return Rule(direction, target=green, green=green, red=red)

    return build()


@given(
    rule=_rules(),
    values=st.lists(
        st.one_of(
            st.none(),
            st.just(float("nan")),
            st.floats(-1e7, 1e7, allow_nan=False),
            st.sampled_from([0.0, 0.95, 1.05, 0.85, 1.15, 3.0, 6.0]),
        ),
        max_size=30,
    ),
)
def test_status_array_agrees_with_status(rule, values):
    expected = [status(v, rule).value for v in values]
    assert status_array(np.array(values, dtype=object), rule).tolist() == expected
    assert status_array(pd.Series(values, dtype=object), rule).tolist() == expected
    numeric = [np.nan if v is None else v for v in values]
    assert status_array(np.array(numeric, dtype=float), rule).tolist() == expected


# --- Staleness ---------------------------------------------------------------------------------


def test_staleness_boundary():
    assert not is_stale(2024, 2024)
    assert not is_stale(2021, 2024)  # exactly 3 years older: still current
    assert is_stale(2020, 2024)  # 4 years older: stale
    assert is_stale(2022, 2024, stale_after_years=1)
    assert not is_stale(2024, 2024, stale_after_years=0)
    assert is_stale(2023, 2024, stale_after_years=0)


# --- Trend -------------------------------------------------------------------------------------


def test_two_years_one_apart_is_insufficient():
    result = trend([2018, 2019], [70, 80], ENROLMENT)
    assert result.trend is Trend.INSUFFICIENT
    assert (result.base_year, result.n_points) == (2018, 2)


def test_two_years_two_apart_is_enough():
    # o = (54 - 50) / 2 = 2; q = (100 - 50) / (2030 - 2017) = 50 / 13; R = 2 * 13 / 50 = 0.52
    result = trend([2017, 2019], [50, 54], ENROLMENT)
    assert result.trend is Trend.MODERATE
    assert result.observed_rate == pytest.approx(2.0)
    assert result.required_rate == pytest.approx(50 / 13)
    assert result.ratio == pytest.approx(0.52)


def test_no_values_at_all_is_insufficient():
    result = trend([2016, 2018], [None, float("nan")], ENROLMENT)
    assert result == type(result)(Trend.INSUFFICIENT, None, None, None, None, 0)


def test_missing_values_are_dropped():
    # points (2015, 70), (2018, 76), (2019, 79); x - 2015 = 0, 3, 4, mean 7/3
    # dx = -7/3, 2/3, 5/3; y mean 225/3 = 75, dy = -5, 1, 4
    # sum(dx*dy) = 35/3 + 2/3 + 20/3 = 19; sum(dx^2) = (49 + 4 + 25) / 9 = 26/3
    # o = 19 / (26/3) = 57/26 = 2.1923...; q = 30 / 15 = 2; R = 57/52 = 1.0961...
    result = trend([2015, 2016, 2017, 2018, 2019], [70, None, float("nan"), 76, 79], ENROLMENT)
    assert result.trend is Trend.ON_TRACK
    assert result.n_points == 3
    assert result.observed_rate == pytest.approx(57 / 26)
    assert result.required_rate == pytest.approx(2.0)
    assert result.ratio == pytest.approx(57 / 52)


def test_missing_base_year_moves_the_base_to_the_first_reported_year():
    # points 2016-2019: 72, 75, 76, 79; dx = -1.5, -0.5, 0.5, 1.5, sum(dx^2) = 5
    # y mean 75.5, dy = -3.5, -0.5, 0.5, 3.5; sum(dx*dy) = 5.25 + 0.25 + 0.25 + 5.25 = 11
    # o = 11 / 5 = 2.2; q = (100 - 72) / (2030 - 2016) = 28 / 14 = 2.0; R = 1.1
    result = trend([2015, 2016, 2017, 2018, 2019], [None, 72, 75, 76, 79], ENROLMENT)
    assert result.base_year == 2016
    assert result.observed_rate == pytest.approx(2.2)
    assert result.required_rate == pytest.approx(2.0)
    assert result.ratio == pytest.approx(1.1)


def test_values_before_the_base_year_are_ignored():
    years = [2010, 2012, 2014, 2015, 2016, 2017, 2018, 2019]
    values = [10, 200, -50, 70, 72, 75, 76, 79]  # the first three would wreck the slope
    result = trend(years, values, ENROLMENT)
    assert (result.trend, result.base_year, result.n_points) == (Trend.ON_TRACK, 2015, 5)
    assert result.observed_rate == pytest.approx(2.2)
    assert result.required_rate == pytest.approx(2.0)


def test_a_later_base_year_setting():
    # base 2017: points 75, 76, 79; dx = -1, 0, 1; y mean 230/3, dy = -5/3, -2/3, 7/3
    # sum(dx*dy) = 5/3 + 7/3 = 4; sum(dx^2) = 2; o = 2
    # q = (100 - 75) / (2030 - 2017) = 25/13; R = 2 * 13 / 25 = 1.04
    result = trend([2015, 2016, 2017, 2018, 2019], [70, 72, 75, 76, 79], ENROLMENT, base_year=2017)
    assert result.base_year == 2017
    assert result.observed_rate == pytest.approx(2.0)
    assert result.required_rate == pytest.approx(25 / 13)
    assert result.ratio == pytest.approx(1.04)
    assert result.trend is Trend.ON_TRACK


def test_unsorted_input_is_sorted_by_year():
    result = trend([2019, 2015, 2017, 2016, 2018], [79, 70, 75, 72, 76], ENROLMENT)
    assert result.observed_rate == pytest.approx(2.2)
    assert result.base_year == 2015


@pytest.mark.parametrize(
    ("end_value", "expected"),
    [
        # q = (100 - 70) / 15 = 2 per year; over 2015-2017 o = (end - 70) / 2, R = o / 2
        (73.8, Trend.ON_TRACK),  # o = 1.9, R = 0.95: the boundary is on track
        (73.79, Trend.MODERATE),  # o = 1.895, R = 0.9475
        (72.0, Trend.MODERATE),  # o = 1, R = 0.5: the boundary is moderately improving
        (71.99, Trend.STAGNATING),  # o = 0.995, R = 0.4975
        (70.0, Trend.STAGNATING),  # o = 0, R = 0
        (69.99, Trend.DETERIORATING),  # o = -0.005, R = -0.0025
    ],
)
def test_ratio_boundaries(end_value, expected):
    assert trend([2015, 2017], [70, end_value], ENROLMENT).trend is expected


def test_deteriorating():
    # o = (66 - 70) / 2 = -2; q = 2; R = -1
    result = trend([2015, 2016, 2017], [70, 68, 66], ENROLMENT)
    assert result.trend is Trend.DETERIORATING
    assert result.observed_rate == pytest.approx(-2.0)
    assert result.ratio == pytest.approx(-1.0)


def test_target_achieved_comes_first():
    # latest 100 >= 100 although R = 5 / (30/15) = 2.5 would say "on track"
    result = trend([2015, 2016, 2017], [90, 95, 100], ENROLMENT)
    assert result.trend is Trend.ACHIEVED
    assert result.observed_rate == pytest.approx(5.0)
    assert result.required_rate == pytest.approx(10 / 15)


def test_target_achieved_needs_a_sufficient_series():
    assert trend([2019], [100], ENROLMENT).trend is Trend.INSUFFICIENT


def test_decrease_target_achieved_and_deteriorating():
    # latest 3.0 <= 3
    assert trend([2016, 2018, 2020], [5.0, 4.0, 3.0], REMITTANCE_COST).trend is Trend.ACHIEVED
    # o = (9 - 8) / 4 = 0.25; q = -5/14; R = -0.7 < 0
    result = trend([2016, 2020], [8.0, 9.0], REMITTANCE_COST)
    assert result.trend is Trend.DETERIORATING
    assert result.ratio == pytest.approx(-0.7)


def test_decrease_on_track():
    # o = (5 - 8) / 4 = -0.75; q = -5/14; R = 0.75 * 14 / 5 = 2.1
    result = trend([2016, 2020], [8.0, 5.0], REMITTANCE_COST)
    assert result.trend is Trend.ON_TRACK
    assert result.ratio == pytest.approx(2.1)


def test_parity_trend_works_on_the_distance_with_values_on_both_sides():
    # values 0.70, 1.20, 0.90 -> d = 0.30, 0.20, 0.10 over 2015, 2017, 2019
    # dx = -2, 0, 2; dy = 0.1, 0, -0.1; sum(dx*dy) = -0.4; sum(dx^2) = 8; o = -0.05
    # q = (0 - 0.30) / 15 = -0.02; R = 2.5; latest d = 0.10 > target 0
    result = trend([2015, 2017, 2019], [0.70, 1.20, 0.90], EMPLOYMENT_PARITY)
    assert result.trend is Trend.ON_TRACK
    assert result.observed_rate == pytest.approx(-0.05)
    assert result.required_rate == pytest.approx(-0.02)
    assert result.ratio == pytest.approx(2.5)
    assert status(0.90, EMPLOYMENT_PARITY) is Status.AMBER  # d = 0.10


def test_parity_target_achieved_on_the_distance():
    tolerant = Rule(direction="parity", target=0.02, green=0.05, red=0.15, parity=1.0)
    # d = 0.20, 0.10, 0.01 -> latest 0.01 <= 0.02
    assert trend([2015, 2017, 2019], [0.8, 1.1, 0.99], tolerant).trend is Trend.ACHIEVED


# Zero required rate: the base value already met the target, the latest no longer does.
# R = o / q is undefined; the trend follows the direction of o (the limit of R).


def test_zero_required_rate_moving_away_is_deteriorating():
    # base 100 = target; o = (90 - 100) / 2 = -5
    result = trend([2015, 2016, 2017], [100, 95, 90], ENROLMENT)
    assert result.trend is Trend.DETERIORATING
    assert result.required_rate == 0.0
    assert result.ratio is None
    assert result.observed_rate == pytest.approx(-5.0)


def test_zero_required_rate_recovering_is_on_track():
    # 100, 90, 95, 99 over 2015-2018: dx = -1.5, -0.5, 0.5, 1.5; mean 96, dy = 4, -6, -1, 3
    # sum(dx*dy) = -6 + 3 - 0.5 + 4.5 = 1; sum(dx^2) = 5; o = 0.2 > 0; latest 99 < 100
    result = trend([2015, 2016, 2017, 2018], [100, 90, 95, 99], ENROLMENT)
    assert result.trend is Trend.ON_TRACK
    assert result.observed_rate == pytest.approx(0.2)
    assert (result.required_rate, result.ratio) == (0.0, None)


def test_zero_required_rate_without_movement_is_stagnating():
    # 100, 94, 100, 98: mean 98, dy = 2, -4, 2, 0; sum(dx*dy) = -3 + 2 + 1 + 0 = 0; o = 0
    result = trend([2015, 2016, 2017, 2018], [100, 94, 100, 98], ENROLMENT)
    assert result.trend is Trend.STAGNATING
    assert result.observed_rate == pytest.approx(0.0)
    assert result.ratio is None


def test_zero_required_rate_for_parity():
    # d = 0, 0.05, 0.10: at parity in the base year, drifting away; o = +0.05 on the distance
    result = trend([2015, 2016, 2017], [1.0, 0.95, 1.10], EMPLOYMENT_PARITY)
    assert result.trend is Trend.DETERIORATING
    assert result.required_rate == 0.0
    assert result.observed_rate == pytest.approx(0.05)


def test_base_beyond_the_target_falling_below_is_deteriorating():
    # base 110 > target 100: q = (100 - 110) / 15 < 0 and o = (99 - 110) / 2 = -5.5;
    # the bare ratio o / q = 8.25 would call this fall "on track"
    result = trend([2015, 2016, 2017], [110, 105, 99], ENROLMENT)
    assert result.trend is Trend.DETERIORATING
    assert result.required_rate == pytest.approx(-10 / 15)
    assert result.ratio is None


@pytest.mark.parametrize(
    ("values", "expected", "slope"),
    [
        ([100, 110, 120], Trend.UP, 10.0),
        ([120, 110, 100], Trend.DOWN, -10.0),
        ([0, 0, 0], Trend.FLAT, 0.0),
        ([0.1, 0.1, 0.1], Trend.FLAT, 0.0),
        # fitted change 0.4 over the period, 1% of the mean 100.2 is 1.002
        ([100, 100.2, 100.4], Trend.FLAT, 0.2),
        # change 1.0 = 1% of the mean 100.0: flat (the boundary)
        ([99.5, 100.0, 100.5], Trend.FLAT, 0.5),
        # change 2.0 > 1% of the mean 100.0
        ([99, 100, 101], Trend.UP, 1.0),
        # change -2.0, mean |value| = (1 + 0 + 1) / 3: down
        ([1, 0, -1], Trend.DOWN, -1.0),
    ],
)
def test_context_figures_get_a_plain_direction(values, expected, slope):
    result = trend([2015, 2016, 2017], values, CONTEXT)
    assert result.trend is expected
    assert result.observed_rate == pytest.approx(slope, abs=1e-12)
    assert (result.required_rate, result.ratio) == (None, None)


def test_context_figures_need_enough_data_too():
    assert trend([2018, 2019], [1, 2], CONTEXT).trend is Trend.INSUFFICIENT


def test_trend_rejects_malformed_input():
    with pytest.raises(ValueError, match="years but"):
        trend([2015, 2016], [1], ENROLMENT)
    with pytest.raises(ValueError, match="twice"):
        trend([2015, 2015, 2017], [1, 2, 3], ENROLMENT)
    with pytest.raises(ValueError, match="before target year"):
        trend([2015, 2017], [1, 2], ENROLMENT, base_year=2030)


def test_a_base_at_the_target_year_has_no_required_rate():
    result = trend([2030, 2032], [70, 80], ENROLMENT, base_year=2015, target_year=2030)
    assert result.trend is Trend.INSUFFICIENT


# --- Area status -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([G, G, G, G], G),  # (2 + 2) / 2 = 2
        ([G, G, A, G], A),  # (1 + 2) / 2 = 1.5
        ([G, R, G, R], R),  # (0 + 0) / 2 = 0
        ([G, R, G, G], A),  # (0 + 2) / 2 = 1: one red alone does not make the area red
        ([A, A, G], A),  # (1 + 1) / 2 = 1
        ([R, A, G], A),  # (0 + 1) / 2 = 0.5
        ([A], A),  # one indicator: its own status
        ([R], R),
        ([G], G),
        ([N], N),
        ([G, N, N, N], N),  # 1 of 4 with data: fewer than half
        ([G, R, N, N], A),  # 2 of 4: exactly half is enough, (0 + 2) / 2 = 1
        ([G, G, N, N], G),  # 2 of 4, both green
        ([R, N], R),  # 1 of 2, the only lowest score is 0
        ([G, G, N, N, N], N),  # 2 of 5
        ([], N),
    ],
)
def test_area_status_two_worst_rule(statuses, expected):
    assert area_status(statuses) is expected


def test_area_status_accepts_plain_strings():
    assert area_status(["green", "amber", "no-data"]) is Status.AMBER
    assert area_status(status_array(np.array([96.0, 97.0]), ENROLMENT)) is Status.GREEN


# --- 0-100 score -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(70, 50.0), (40, 0.0), (30, 0.0), (100, 100.0), (110, 100.0), (85, 75.0)],
)
def test_increase_score_is_clipped(value, expected):
    # 100 * (x - 40) / (100 - 40)
    assert score(value, ENROLMENT, worst=40) == pytest.approx(expected)


def test_decrease_score():
    # 100 * (7.6 - 10) / (3 - 10) = 100 * 2.4 / 7 = 34.2857...
    assert score(7.6, REMITTANCE_COST, worst=10) == pytest.approx(240 / 7)
    assert score(12, REMITTANCE_COST, worst=10) == 0.0
    assert score(2, REMITTANCE_COST, worst=10) == 100.0


def test_parity_score_is_on_the_distance():
    # 0.82 -> d = 0.18: 100 * (0.18 - 0.5) / (0 - 0.5) = 64
    assert score(0.82, EMPLOYMENT_PARITY, worst=0.5) == pytest.approx(64.0)
    # 1.18 -> same distance, same score
    assert score(1.18, EMPLOYMENT_PARITY, worst=0.5) == pytest.approx(64.0)
    assert score(1.6, EMPLOYMENT_PARITY, worst=0.5) == 0.0  # d = 0.6 beyond worst
    assert score(1.0, EMPLOYMENT_PARITY, worst=0.5) == 100.0


def test_yes_no_score():
    assert score(1, YES_NO, worst=0) == 100.0
    assert score(0, YES_NO, worst=0) == 0.0


def test_score_is_missing_when_it_cannot_rank():
    assert score(None, ENROLMENT, worst=40) is None
    assert score(float("nan"), ENROLMENT, worst=40) is None
    assert score(70, ENROLMENT, worst=100) is None  # target == worst
    assert score(70, ENROLMENT, worst=120) is None  # worst on the better side
    assert score(5, REMITTANCE_COST, worst=1) is None
    assert score(70, ENROLMENT, worst=None) is None


def test_default_worst_uses_the_catalogue_value_first():
    rule = Rule(direction="increase", target=100, green=95, red=80, worst=20)
    assert default_worst([50, 60, 70], rule) == 20


def test_default_worst_percentiles():
    # linear interpolation on sorted values, position p/100 * (n - 1)
    values = [30, 10, 50, 20, 40]
    # increase, 2.5th: position 0.1 -> 10 + 0.1 * (20 - 10) = 11
    assert default_worst(values, ENROLMENT) == pytest.approx(11.0)
    # decrease, 97.5th: position 3.9 -> 40 + 0.9 * (50 - 40) = 49
    assert default_worst(values, REMITTANCE_COST) == pytest.approx(49.0)
    # parity: distances of 0.5, 0.9, 1.0, 1.1, 1.3 are 0.5, 0.1, 0, 0.1, 0.3
    # sorted 0, 0.1, 0.1, 0.3, 0.5; 97.5th at position 3.9 -> 0.3 + 0.9 * 0.2 = 0.48
    assert default_worst([0.5, 0.9, 1.0, 1.1, 1.3], EMPLOYMENT_PARITY) == pytest.approx(0.48)


def test_default_worst_skips_missing_values():
    # 10, 20 -> position 0.025 * 1 -> 10 + 0.025 * 10 = 10.25
    assert default_worst([None, 10, float("nan"), 20], ENROLMENT) == pytest.approx(10.25)
    assert default_worst([], ENROLMENT) is None
    assert default_worst([None, float("nan")], ENROLMENT) is None


def test_mean_score():
    assert mean_score([50, None, 70, float("nan")]) == pytest.approx(60.0)
    assert mean_score([]) is None
    assert mean_score([None]) is None


def test_overall_score_twenty_percent_rule():
    areas = {"work": 50.0, "education": 70.0, "health": None}
    assert overall_score(areas, n_scored=10, n_missing=2) == pytest.approx(60.0)  # 20%: shown
    assert overall_score(areas, n_scored=10, n_missing=3) is None  # 30%
    assert overall_score(areas, n_scored=15, n_missing=3) == pytest.approx(60.0)  # 20% exactly
    assert overall_score(areas, n_scored=14, n_missing=3) is None  # 21.4%
    assert overall_score(areas, n_scored=0, n_missing=0) is None
    assert overall_score({}, n_scored=5, n_missing=0) is None


# --- Reporting rate ----------------------------------------------------------------------------


def test_reporting_rate():
    assert reporting_rate(3, 4) == 0.75
    assert reporting_rate(0, 4) == 0.0
    assert reporting_rate(0, 0) is None
    with pytest.raises(ValueError):
        reporting_rate(-1, 4)
    with pytest.raises(ValueError):
        reporting_rate(5, 4)


# --- Labels and symbols ------------------------------------------------------------------------


def test_every_status_and_trend_has_a_distinct_label_and_symbol():
    for mapping, enum in [
        (STATUS_LABELS, Status),
        (STATUS_SYMBOLS, Status),
        (STATUS_COLOURS, Status),
        (TREND_LABELS, Trend),
        (TREND_SYMBOLS, Trend),
    ]:
        assert set(mapping) == set(enum)
        assert len(set(mapping.values())) == len(enum)
