"""Scorecard figures: the small sparkline next to each indicator.

Sparklines take plain lists and return plain figure dicts, not DataFrames and graph objects: a
scorecard draws about fifty of them, and building fifty of those would cost more than the page's data.
"""

from __future__ import annotations

from collections.abc import Sequence

from dashboard.figures import LINE_COLOURS
from dashboard.queries.scorecard import format_value
from data_ingest.catalog import Indicator

SPARKLINE_CONFIG = {"staticPlot": True, "displayModeBar": False}
SPARKLINE_STYLE = {"height": "36px", "width": "130px"}


def sparkline(years: Sequence[int], values: Sequence[float], *, colour: str = LINE_COLOURS[0]) -> dict:
    """A compact line of values over years: no axes, no margins, the last point marked."""
    years = [int(y) for y in years]
    values = [float(v) for v in values]
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers" if len(years) < 3 else "lines",
            "x": years,
            "y": values,
            "line": {"color": colour, "width": 2},
            "marker": {"size": 4, "color": colour},
            "hoverinfo": "skip",
        }
    ]
    if years:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": years[-1:],
                "y": values[-1:],
                "marker": {"size": 6, "color": colour},
                "hoverinfo": "skip",
            }
        )
    return {
        "data": data,
        "layout": {
            "margin": {"l": 4, "r": 4, "t": 4, "b": 4},
            "height": 36,
            "width": 130,
            "showlegend": False,
            "xaxis": {"visible": False, "fixedrange": True},
            "yaxis": {"visible": False, "fixedrange": True},
            "plot_bgcolor": "rgba(0,0,0,0)",
            "paper_bgcolor": "rgba(0,0,0,0)",
        },
    }


def sparkline_description(ind: Indicator, years: Sequence[int], values: Sequence[float]) -> str:
    """What the sparkline shows, for screen readers and as a tooltip."""
    if not years:
        return f"{ind.code}: no values over time"
    if len(years) == 1:
        return f"{ind.code}: one value, {format_value(ind, values[0])} in {years[0]}"
    return (
        f"{ind.code} over time: {format_value(ind, values[0])} in {years[0]} to "
        f"{format_value(ind, values[-1])} in {years[-1]}, {len(years)} values"
    )
