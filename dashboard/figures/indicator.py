"""The indicator chart: one line per municipality over the years, the 2030 target as a line, and
the traffic light's green and red zones as shaded bands labelled in words (never colour alone)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import GRAPH_CONFIG, LINE_COLOURS, base_layout
from dashboard.queries.scorecard import format_value
from dashboard.scoring import STATUS_COLOURS, Status
from data_ingest.catalog import Indicator

# Yellow is hard to see as a thin line on white: keep it out of the line colours.
COLOURS = [c for c in LINE_COLOURS if c.upper() != "#F0E442"]
DASHES = ["solid", "dash", "dot", "dashdot"]
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "triangle-down", "star", "cross"]
BAND_OPACITY = 0.13
CHART_CONFIG = {
    **GRAPH_CONFIG,
    "toImageButtonOptions": {**GRAPH_CONFIG["toImageButtonOptions"], "filename": "indicator"},
}


def bands(ind: Indicator) -> list[dict]:
    """The green and red zones as (status, low, high, label) in the indicator's unit; low/high None
    means open-ended. Parity: around the parity value at the green/red distances; decrease: green
    below. Context figures have none."""
    if not ind.scored or ind.green is None or ind.red is None:
        return []

    def fmt(x: float) -> str:
        return format_value(ind, x)

    if ind.direction == "parity":
        assert ind.parity is not None
        p, g, r = ind.parity, ind.green, ind.red
        return [
            {"status": Status.GREEN, "low": p - g, "high": p + g, "label": f"Good: within {g:g} of {fmt(p)}"},
            {
                "status": Status.RED,
                "low": p + r,
                "high": None,
                "label": f"Far behind: more than {r:g} from {fmt(p)}",
            },
            {"status": Status.RED, "low": None, "high": p - r, "label": ""},
        ]
    if ind.kind == "yes-no":
        return [
            {"status": Status.GREEN, "low": ind.green, "high": None, "label": "Good: Yes"},
            {"status": Status.RED, "low": None, "high": ind.red, "label": "Far behind: No"},
        ]
    if ind.kind == "maturity":
        return [
            {"status": Status.GREEN, "low": ind.green, "high": None, "label": f"Good: level {ind.green:g}"},
            {
                "status": Status.RED,
                "low": None,
                "high": ind.red,
                "label": f"Far behind: below level {ind.red:g}",
            },
        ]
    if ind.direction == "increase":
        return [
            {
                "status": Status.GREEN,
                "low": ind.green,
                "high": None,
                "label": f"Good: {fmt(ind.green)} or more",
            },
            {
                "status": Status.RED,
                "low": None,
                "high": ind.red,
                "label": f"Far behind: below {fmt(ind.red)}",
            },
        ]
    return [
        {"status": Status.GREEN, "low": None, "high": ind.green, "label": f"Good: {fmt(ind.green)} or less"},
        {"status": Status.RED, "low": ind.red, "high": None, "label": f"Far behind: above {fmt(ind.red)}"},
    ]


def target_value(ind: Indicator) -> float | None:
    """Where the 2030 target line is drawn (the parity value for parity indicators)."""
    if not ind.scored:
        return None
    if ind.direction == "parity":
        return ind.parity
    return ind.target


def y_range(ind: Indicator, values: Sequence[float]) -> tuple[float, float]:
    """A range showing the data, the target and the thresholds, within the indicator's bounds."""
    points = [float(v) for v in values if v is not None and not pd.isna(v)]
    for band in bands(ind):
        points += [x for x in (band["low"], band["high"]) if x is not None]
    target = target_value(ind)
    if target is not None:
        points.append(target)
    if not points:
        return (0.0, 1.0)
    low, high = min(points), max(points)
    pad = (high - low) * 0.08 or max(abs(high) * 0.1, 1.0)
    low, high = low - pad, high + pad
    if ind.bounds:
        low, high = max(low, ind.bounds[0]), min(high, ind.bounds[1])
        if low >= high:
            low, high = ind.bounds
        # A little room past a bound, so that points on it (100%, "yes", level 3) are not cut in
        # half and a green zone that starts at the bound still shows.
        edge = (high - low) * 0.05
        low -= edge if low == ind.bounds[0] else 0
        high += edge if high == ind.bounds[1] else 0
    return (low, high)


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    return f"rgba({int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha})"


def indicator_chart(
    frame: pd.DataFrame, ind: Indicator, *, title: str = "", target_year: int = 2030, base_year: int = 2015
) -> go.Figure:
    """Lines of ``value`` over ``year`` per ``municipality_code`` (named by ``municipality``), in the
    order they appear; the target as a dashed line to ``target_year``; green/red bands as shapes."""
    years = [int(y) for y in frame["year"]] if not frame.empty else []
    first_year = min([*years, base_year]) if years else base_year
    x_range = [first_year - 0.5, target_year + 0.5]
    low, high = y_range(ind, list(frame["value"]) if not frame.empty else [])
    traces = []
    for i, (code, group) in enumerate(frame.groupby("municipality_code", sort=False)):
        colour = COLOURS[i % len(COLOURS)]
        values = [None if pd.isna(v) else float(v) for v in group["value"]]
        traces.append(
            go.Scatter(
                x=[int(y) for y in group["year"]],
                y=values,
                name=f"{group['municipality'].iloc[0]} ({code})",
                mode="lines+markers",
                line={"color": colour, "width": 2.5, "dash": DASHES[(i // len(COLOURS)) % len(DASHES)]},
                marker={"symbol": SYMBOLS[i % len(SYMBOLS)], "size": 8, "color": colour},
                customdata=[[t] for t in group["value_text"]],
                hovertemplate="%{fullData.name}<br>%{x}: %{customdata[0]}<extra></extra>",
                connectgaps=False,
            )
        )
    target = target_value(ind)
    if target is not None:
        label = "parity" if ind.direction == "parity" else f"{target_year} target"
        traces.append(
            go.Scatter(
                x=[first_year, target_year],
                y=[target, target],
                name=f"{label}: {format_value(ind, target)}",
                mode="lines",
                line={"color": "#000000", "width": 1.5, "dash": "dash"},
                hoverinfo="skip",
            )
        )
    shapes = []
    for band in bands(ind):
        y0 = low if band["low"] is None else max(band["low"], low)
        y1 = high if band["high"] is None else min(band["high"], high)
        if y1 <= y0:
            continue
        colour = STATUS_COLOURS[band["status"]]
        shapes.append(
            {
                "type": "rect",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": y0,
                "y1": y1,
                "fillcolor": _rgba(colour, BAND_OPACITY),
                "line": {"width": 0},
                "layer": "below",
            }
        )
        if band["label"]:
            # The zone's meaning goes in the legend, in words, next to a swatch of its colour.
            traces.append(
                go.Scatter(
                    x=[None],
                    y=[None],
                    name=band["label"],
                    mode="markers",
                    marker={"symbol": "square", "size": 14, "color": _rgba(colour, 0.35)},
                    hoverinfo="skip",
                )
            )
    fig = go.Figure(traces)
    fig.update_layout(
        **base_layout(
            title={"text": title or ind.name.en, "x": 0, "xanchor": "left", "font": {"size": 15}},
            shapes=shapes,
            xaxis={
                "title": "Year",
                "range": x_range,
                "dtick": 1 if target_year - first_year <= 12 else 2,
                "gridcolor": "#e4e7eb",
            },
            yaxis={"title": ind.unit, "range": [low, high], "gridcolor": "#e4e7eb", "zeroline": False},
            legend={"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
            margin={"l": 60, "r": 20, "t": 50, "b": 40},
            height=460,
            hovermode="closest",
        )
    )
    return fig


def chart_summary(frame: pd.DataFrame, ind: Indicator, target_year: int = 2030) -> str:
    """The chart in one sentence, for screen readers (its figcaption)."""
    if frame.empty:
        return "No values to draw for this selection."
    parts = []
    for _, group in frame.groupby("municipality_code", sort=False):
        present = group[group["value"].notna()]
        if present.empty:
            parts.append(f"{group['municipality'].iloc[0]}: no data")
            continue
        last = present.iloc[-1]
        parts.append(f"{group['municipality'].iloc[0]}: {last['value_text']} in {int(last['year'])}")
    target = target_value(ind)
    tail = f" Target line at {format_value(ind, target)} by {target_year}." if target is not None else ""
    return f"Latest values. {'; '.join(parts)}.{tail}"


__all__ = ["CHART_CONFIG", "bands", "chart_summary", "indicator_chart", "target_value", "y_range"]
