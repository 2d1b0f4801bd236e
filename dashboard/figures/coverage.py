"""The reporting rate over the years, one line per country (and all countries together).

Returns a plain figure dict (what dcc.Graph takes): building plotly.graph_objects would cost more
than the page's data."""

from __future__ import annotations

import pandas as pd

from dashboard.figures import LINE_COLOURS, base_layout

SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "triangle-down", "star", "hexagon"]


def rate_figure(rates: pd.DataFrame) -> dict:
    """Reporting rate (%) by year: a line per country, markers of different shapes (not colour
    alone), and a thick dark dashed line for all countries together; a year where nothing is
    expected is a gap, not a zero."""
    if rates.empty:
        layout = base_layout(height=320)
        layout["annotations"] = [
            {
                "text": "No returns yet",
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
            }
        ]
        layout["xaxis"] = {"visible": False}
        layout["yaxis"] = {"visible": False}
        return {"data": [], "layout": layout}
    data = []
    countries = rates[rates["country_code"] != ""][["country_code", "country"]].drop_duplicates()
    for i, (code, name) in enumerate(countries.itertuples(index=False, name=None)):
        part = rates[rates["country_code"] == code]
        data.append(_trace(part, f"{name} ({code})", LINE_COLOURS[i % len(LINE_COLOURS)], SYMBOLS[i % 8]))
    total = rates[rates["country_code"] == ""]
    if len(countries) > 1 and not total.empty:
        trace = _trace(total, "All countries", "#000000", "circle-open")
        trace["line"].update(width=3, dash="dash")
        data.append(trace)
    layout = base_layout(height=400)
    layout["margin"] = {**layout["margin"], "b": 130}
    layout.update(
        title={"text": "Reporting rate: accepted returns / active municipalities", "font": {"size": 15}},
        yaxis={
            "title": {"text": "Reporting rate (%)"},
            "range": [0, 105],
            "gridcolor": "#e5e5e5",
            "ticksuffix": " %",
        },
        xaxis={"title": {"text": "Reporting year"}, "dtick": 1, "gridcolor": "#f0f0f0"},
        legend={"orientation": "h", "y": -0.3, "yanchor": "top"},
        hovermode="closest",
    )
    return {"data": data, "layout": layout}


def _trace(part: pd.DataFrame, name: str, colour: str, symbol: str) -> dict:
    part = part.sort_values("year")
    text = [
        f"{name}, {y}: " + (f"{r:.0f} % ({n} of {e} reported, {t} on time)" if e else "none expected")
        for y, r, n, e, t in zip(
            part["year"], part["rate"], part["reported"], part["expected"], part["on_time"], strict=True
        )
    ]
    return {
        "type": "scatter",
        "x": [int(y) for y in part["year"]],
        "y": [None if pd.isna(v) else round(float(v), 2) for v in part["rate"]],
        "name": name,
        "mode": "lines+markers",
        "line": {"color": colour, "width": 2},
        "marker": {"symbol": symbol, "size": 8, "color": colour},
        "text": text,
        "hovertemplate": "%{text}<extra></extra>",
        "connectgaps": False,
    }
