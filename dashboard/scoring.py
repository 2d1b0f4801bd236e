"""Status (traffic light), trend (arrow), area status and 0-100 scores, as specified in
METHODOLOGY.md and explained to users in docs/methodology.md.

Everything here is a pure function of its arguments: thresholds and targets come from the
catalogue through :class:`Rule`, settings (base year, target year, staleness) are arguments, and
nothing reads a file or a database, so every number on the dashboard can be reproduced by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

DIRECTIONS = ("increase", "decrease", "parity", "none")

# Trend cut-offs on R = observed rate / required rate (METHODOLOGY.md, "Trend").
ON_TRACK_RATIO = 0.95
MODERATE_RATIO = 0.5

# A context figure's arrow is "flat" when its fitted line moves, over the observed period, by at
# most this share of the series' mean absolute value. Without it, a series of equal decimals
# (0.1, 0.1, 0.1) could show an arrow because of rounding noise in the slope, and a change of a
# few people in a population of thousands would read as a movement.
FLAT_TOLERANCE = 0.01

# Distances from parity and trend ratios are rounded before they are compared with thresholds,
# so that a hand calculation and the dashboard agree on boundaries: |1.05 - 1| is
# 0.050000000000000044 in binary floating point and would otherwise miss "green <= 0.05".
_DISTANCE_DECIMALS = 12
_RATIO_DECIMALS = 9


class Status(StrEnum):
    """Traffic light of one value against the catalogue's green and red thresholds."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    NO_DATA = "no-data"


class Trend(StrEnum):
    """Progress towards the 2030 target; UP / DOWN / FLAT only for context figures."""

    ACHIEVED = "target-achieved"
    ON_TRACK = "on-track"
    MODERATE = "moderately-improving"
    STAGNATING = "stagnating"
    DETERIORATING = "deteriorating"
    INSUFFICIENT = "insufficient-data"
    UP = "up"
    DOWN = "down"
    FLAT = "flat"


# Status is never shown by colour alone: each has a label and a symbol whose shape differs
# (tick, half-filled circle, cross, question mark), so the scorecard reads in greyscale too.
STATUS_LABELS: dict[Status, str] = {
    Status.GREEN: "Good",
    Status.AMBER: "Part way",
    Status.RED: "Far behind",
    Status.NO_DATA: "No data",
}
STATUS_SYMBOLS: dict[Status, str] = {
    Status.GREEN: "✔",
    Status.AMBER: "◐",
    Status.RED: "✖",
    Status.NO_DATA: "?",
}
# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
STATUS_COLOURS: dict[Status, str] = {
    Status.GREEN: "#009E73",
    Status.AMBER: "#E69F00",
    Status.RED: "#D55E00",
    Status.NO_DATA: "#999999",
}

TREND_LABELS: dict[Trend, str] = {
    Trend.ACHIEVED: "Target achieved",
    Trend.ON_TRACK: "On track",
    Trend.MODERATE: "Moderately improving",
    Trend.STAGNATING: "Stagnating",
    Trend.DETERIORATING: "Deteriorating",
    Trend.INSUFFICIENT: "Not enough data",
    Trend.UP: "Going up",
    Trend.DOWN: "Going down",
    Trend.FLAT: "Little change",
}
# Judgement arrows point the way of progress (up = good, also for "lower is better"
# indicators); context figures use triangles so they are never mistaken for a judgement.
TREND_SYMBOLS: dict[Trend, str] = {
    Trend.ACHIEVED: "★",
    Trend.ON_TRACK: "↑",
    Trend.MODERATE: "↗",
    Trend.STAGNATING: "→",
    Trend.DETERIORATING: "↓",
    Trend.INSUFFICIENT: "…",
    Trend.UP: "▲",
    Trend.DOWN: "▼",
    Trend.FLAT: "▬",
}

# Points of the SDSN "two worst" area rule.
STATUS_POINTS: dict[Status, int] = {Status.GREEN: 2, Status.AMBER: 1, Status.RED: 0}


@dataclass(frozen=True)
class Rule:
    """The catalogue fields the rules need, decoupled from the catalogue model.

    For ``parity``, ``target``, ``green``, ``red`` and ``worst`` are distances from ``parity``.
    A scored rule (direction other than ``none``) is checked here as ``catalog check`` does, so
    a rule that reaches the functions below is always complete.
    """

    direction: str
    target: float | None = None
    green: float | None = None
    red: float | None = None
    parity: float | None = None
    worst: float | None = None

    @classmethod
    def of(cls, indicator: object) -> Rule:
        """The rule of a catalogue indicator (anything with these six attributes)."""
        return cls(
            **{
                name: getattr(indicator, name)
                for name in ("direction", "target", "green", "red", "parity", "worst")
            }
        )

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction {self.direction!r} is not one of {', '.join(DIRECTIONS)}")
        if self.direction == "none":
            return
        missing = [k for k in ("target", "green", "red") if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a scored rule (direction {self.direction}) needs {', '.join(missing)}")
        if self.direction == "parity" and self.parity is None:
            raise ValueError("direction parity needs a parity value (1.0 for a ratio, 0 for a difference)")
        assert self.green is not None and self.red is not None
        reversed_ = self.green < self.red if self.higher_is_better else self.green > self.red
        if reversed_:
            side = "at least" if self.higher_is_better else "at most"
            raise ValueError(f"green {self.green:g} must be {side} red {self.red:g}")

    @property
    def scored(self) -> bool:
        """Context figures (direction ``none``) are shown but never scored."""
        return self.direction != "none"

    @property
    def higher_is_better(self) -> bool:
        """True for ``increase``; ``decrease`` and ``parity`` (on the distance) are lower-is-better."""
        return self.direction == "increase"


@dataclass(frozen=True)
class TrendResult:
    """A trend and the numbers behind it, so the page can show "o = 2.2 / year, needed 2.0".

    For ``parity`` the rates are rates of change of the distance from parity.
    ``ratio`` is None when R is undefined (insufficient data, context figure, or a base value
    that already met the target, see :func:`trend`).
    """

    trend: Trend
    observed_rate: float | None
    required_rate: float | None
    ratio: float | None
    base_year: int | None
    n_points: int


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # not a scalar: let the comparison fail loudly later
        return False


def _require_scored(rule: Rule) -> None:
    if not rule.scored:
        raise ValueError("context figures (direction none) are not scored")


def _distance(values: np.ndarray, parity: float) -> np.ndarray:
    # Overflow only happens for absurd values (~1e296); their distance becomes inf, still "far".
    with np.errstate(over="ignore", invalid="ignore"):
        return np.round(np.abs(values - parity), _DISTANCE_DECIMALS)


def distance_from_parity(value: float, parity: float) -> float:
    """``|value - parity|``, rounded to 12 decimals so that 1.05 is 0.05 away from 1, not a hair more."""
    return float(_distance(np.float64(value), parity))


def _on_scale(value: float, rule: Rule) -> float:
    """The number the thresholds apply to: the value itself, or its distance from parity."""
    if rule.direction == "parity":
        assert rule.parity is not None
        return distance_from_parity(value, rule.parity)
    return float(value)


def status(value: float | None, rule: Rule) -> Status:
    """Traffic light of one value: green if at least as good as ``green``, red if worse than
    ``red``, amber in between, no data if the value is missing (None or NaN).

    Raises ValueError for a context figure: it has no thresholds, and "no data" would wrongly
    suggest that a figure is missing.
    """
    _require_scored(rule)
    if _is_missing(value):
        return Status.NO_DATA
    assert value is not None and rule.green is not None and rule.red is not None
    x = _on_scale(value, rule)
    if rule.higher_is_better:
        if x >= rule.green:
            return Status.GREEN
        return Status.RED if x < rule.red else Status.AMBER
    if x <= rule.green:
        return Status.GREEN
    return Status.RED if x > rule.red else Status.AMBER


def _as_float_array(values: np.ndarray | pd.Series | Sequence[float | None]) -> np.ndarray:
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=float, na_value=np.nan)
    arr = np.asarray(values)
    if arr.dtype.kind in "biuf":
        return arr.astype(float)
    # Object arrays may hold None or pd.NA next to numbers.
    flat = [np.nan if _is_missing(v) else float(v) for v in arr.ravel()]
    return np.asarray(flat, dtype=float).reshape(arr.shape)


def status_array(values: np.ndarray | pd.Series, rule: Rule) -> np.ndarray:
    """:func:`status` for many values at once (None, NaN and pd.NA are missing).

    Returns a numpy array of the same shape holding the Status string values ("green", ...);
    they compare equal to the :class:`Status` members, and ``Status(x)`` turns one back.
    """
    _require_scored(rule)
    assert rule.green is not None and rule.red is not None
    x = _as_float_array(values)
    missing = np.isnan(x)
    if rule.direction == "parity":
        assert rule.parity is not None
        x = _distance(x, rule.parity)
    with np.errstate(invalid="ignore"):  # NaN comparisons are False and masked by `missing`
        if rule.higher_is_better:
            green, red = x >= rule.green, x < rule.red
        else:
            green, red = x <= rule.green, x > rule.red
    return np.select(
        [missing, green, red],
        [Status.NO_DATA.value, Status.GREEN.value, Status.RED.value],
        default=Status.AMBER.value,
    )


def is_stale(year: int, latest_reporting_year: int, stale_after_years: int = 3) -> bool:
    """True when the value is more than ``stale_after_years`` older than the latest reporting
    year: with the default 3, a 2021 value is current in 2024 and stale in 2025."""
    return latest_reporting_year - year > stale_after_years


def _ols_slope(years: np.ndarray, values: np.ndarray) -> float:
    # Years are centred so that squares of ~2000 do not eat the precision of the slope.
    dx = years - years.mean()
    dy = values - values.mean()
    return float(np.sum(dx * dy) / np.sum(dx * dx))


def _ratio_trend(ratio: float) -> Trend:
    r = round(ratio, _RATIO_DECIMALS)
    if r >= ON_TRACK_RATIO:
        return Trend.ON_TRACK
    if r >= MODERATE_RATIO:
        return Trend.MODERATE
    if r >= 0:
        return Trend.STAGNATING
    return Trend.DETERIORATING


def _context_trend(span: float, slope: float, values: np.ndarray) -> Trend:
    if abs(slope) * span <= FLAT_TOLERANCE * float(np.mean(np.abs(values))):
        return Trend.FLAT
    return Trend.UP if slope > 0 else Trend.DOWN


def trend(
    years: Sequence[int],
    values: Sequence[float | None],
    rule: Rule,
    *,
    base_year: int = 2015,
    target_year: int = 2030,
) -> TrendResult:
    """Progress of a series towards its target (METHODOLOGY.md, "Trend").

    Missing values and years before ``base_year`` are dropped; the base is the first remaining
    year. Fewer than two observations, or a first-to-last span under two years, is
    insufficient data (so is a base at or after ``target_year``, where no rate is required).
    Otherwise ``o`` is the OLS slope, ``q = (target - value at base) / (target_year - base)``,
    and the trend is, in this order: target achieved (latest value meets the target), on track
    (R >= 0.95), moderately improving (0.5 <= R < 0.95), stagnating (0 <= R < 0.5),
    deteriorating (R < 0). ``parity`` works on the distance from parity, lower is better.

    When the base value already met the target (q = 0, or q pointing away from progress) and the
    latest value no longer does, R is undefined: dividing by a zero requirement says nothing, and
    a negative q would turn a fall into "on track". The trend then follows the direction of
    ``o`` alone, as the limit of R would: improving -> on track (any progress beats a zero
    requirement), no change -> stagnating, worsening -> deteriorating; ``ratio`` is None.

    Context figures (direction ``none``) get up / down / flat from the OLS slope, flat when
    the fitted line moves by at most ``FLAT_TOLERANCE`` (1%) of the mean absolute value.
    """
    if len(years) != len(values):
        raise ValueError(f"{len(years)} years but {len(values)} values")
    if base_year >= target_year:
        raise ValueError(f"base year {base_year} must be before target year {target_year}")
    points = sorted((int(y), float(v)) for y, v in zip(years, values, strict=True) if not _is_missing(v))
    points = [(y, v) for y, v in points if y >= base_year]
    seen = [y for y, _ in points]
    if len(set(seen)) != len(seen):
        raise ValueError(f"a year appears twice in the series: {seen}")
    n = len(points)
    first = points[0][0] if points else None
    if n < 2 or points[-1][0] - points[0][0] < 2 or (first is not None and first >= target_year):
        return TrendResult(Trend.INSUFFICIENT, None, None, None, first, n)
    assert first is not None

    x = np.array([y for y, _ in points], dtype=float)
    y = np.array([v for _, v in points], dtype=float)
    if rule.direction == "none":
        slope = _ols_slope(x, y)
        return TrendResult(_context_trend(x[-1] - x[0], slope, y), slope, None, None, first, n)

    assert rule.target is not None
    if rule.direction == "parity":
        assert rule.parity is not None
        y = _distance(y, rule.parity)
    o = _ols_slope(x, y)
    q = (rule.target - float(y[0])) / (target_year - first)
    sign = 1.0 if rule.higher_is_better else -1.0  # > 0 once multiplied: a move towards better
    ratio = o / q if sign * q > 0 else None

    latest = float(y[-1])
    met = latest >= rule.target if rule.higher_is_better else latest <= rule.target
    if met:
        result = Trend.ACHIEVED
    elif ratio is not None:
        result = _ratio_trend(ratio)
    else:
        progress = round(sign * o, _RATIO_DECIMALS)
        if progress > 0:
            result = Trend.ON_TRACK
        elif progress == 0:
            result = Trend.STAGNATING
        else:
            result = Trend.DETERIORATING
    return TrendResult(result, o, q, ratio, first, n)


def area_status(statuses: Iterable[Status | str]) -> Status:
    """Status of a thematic area from its scored indicators' current statuses (SDSN "two worst").

    Pass one status per scored indicator of the area, NO_DATA for those without a current
    (non-stale) value. Fewer than half with data -> NO_DATA; exactly half is enough. Otherwise
    the mean of the two lowest points (green 2, amber 1, red 0) gives 2 -> green, 0 -> red,
    else amber; with a single indicator that is its own status.
    """
    all_statuses = [Status(s) for s in statuses]
    with_data = [s for s in all_statuses if s is not Status.NO_DATA]
    if not with_data or 2 * len(with_data) < len(all_statuses):
        return Status.NO_DATA
    lowest = sorted(STATUS_POINTS[s] for s in with_data)[:2]
    mean = sum(lowest) / len(lowest)
    if mean == 2:
        return Status.GREEN
    if mean == 0:
        return Status.RED
    return Status.AMBER


def score(value: float | None, rule: Rule, worst: float | None) -> float | None:
    """0-100 score: ``100 * clip((x - worst) / (target - worst), 0, 1)``; for ``parity``, x is
    the distance from parity and ``worst`` a distance too.

    None when the value is missing, or when the scale is empty or upside down (``worst`` missing,
    equal to the target, or on the better side of it): such a score would rank nothing.
    """
    _require_scored(rule)
    if _is_missing(value) or worst is None or _is_missing(worst):
        return None
    assert value is not None and rule.target is not None
    if rule.target == worst or (rule.target < worst) == rule.higher_is_better:
        return None
    x = _on_scale(value, rule)
    share = (x - worst) / (rule.target - worst)
    return 100.0 * min(max(share, 0.0), 1.0)


def default_worst(latest_values: Sequence[float | None], rule: Rule) -> float | None:
    """The catalogue's ``worst`` if set; otherwise the 2.5th percentile of the municipalities'
    latest values (97.5th for ``decrease``; for ``parity`` the 97.5th percentile of their
    distances from parity), with numpy's linear interpolation. None when there is no value."""
    _require_scored(rule)
    if rule.worst is not None:
        return rule.worst
    x = _as_float_array(np.asarray(list(latest_values), dtype=object))
    x = x[~np.isnan(x)]
    if x.size == 0:
        return None
    if rule.direction == "parity":
        assert rule.parity is not None
        x = _distance(x, rule.parity)
    return float(np.percentile(x, 2.5 if rule.higher_is_better else 97.5, method="linear"))


def mean_score(scores: Iterable[float | None]) -> float | None:
    """Mean of the scores that are present (None and NaN skipped); None if there is none."""
    present = [float(s) for s in scores if not _is_missing(s)]
    return sum(present) / len(present) if present else None


def overall_score(area_scores: Mapping[str, float | None], n_scored: int, n_missing: int) -> float | None:
    """Mean of the area scores, or None when more than 20% of the municipality's ``n_scored``
    scored indicators are missing (``n_missing`` of them): exactly 20% is still shown."""
    # Integer comparison: 0.2 * n_scored is not exact in floating point.
    if n_scored <= 0 or 5 * n_missing > n_scored:
        return None
    return mean_score(area_scores.values())


def reporting_rate(accepted: int, expected: int) -> float | None:
    """Share of the expected returns (active municipalities) with an accepted submission;
    None when no return was expected."""
    if accepted < 0 or expected < 0:
        raise ValueError(f"counts cannot be negative (accepted {accepted}, expected {expected})")
    if accepted > expected:
        raise ValueError(f"{accepted} accepted returns but only {expected} expected")
    if expected == 0:
        return None
    return accepted / expected


__all__ = [
    "FLAT_TOLERANCE",
    "MODERATE_RATIO",
    "ON_TRACK_RATIO",
    "STATUS_COLOURS",
    "STATUS_LABELS",
    "STATUS_POINTS",
    "STATUS_SYMBOLS",
    "TREND_LABELS",
    "TREND_SYMBOLS",
    "Rule",
    "Status",
    "Trend",
    "TrendResult",
    "area_status",
    "default_worst",
    "distance_from_parity",
    "is_stale",
    "mean_score",
    "overall_score",
    "reporting_rate",
    "score",
    "status",
    "status_array",
    "trend",
]
