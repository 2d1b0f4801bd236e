"""Overview charts: how many municipalities are in each status, per thematic area."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import STATUS_ORDER, base_layout
from dashboard.scoring import STATUS_COLOURS, STATUS_LABELS, STATUS_SYMBOLS, Status

# Bars are filled with the Okabe-Ito colours; a hatching pattern per status keeps them apart in
# greyscale print too (no data stays plain grey).
PATTERNS = {Status.GREEN: "", Status.AMBER: "/", Status.RED: "x", Status.NO_DATA: "."}


def status_legend_name(status: Status) -> str:
    """E.g. "✔ Good": symbol and label, never colour alone."""
    return f"{STATUS_SYMBOLS[status]} {STATUS_LABELS[status]}"


def area_status_figure(
    table: pd.DataFrame, *, width: int | None = None, height: int | None = None, font_size: int = 13
) -> go.Figure:
    """Stacked horizontal bars: one bar per thematic area, one segment per status, counting
    municipalities. ``table`` is queries.overview.area_status_table; ``width`` and ``height``
    fix the size in pixels (the print copy, with a smaller ``font_size``), else the chart fills
    its container."""
    fig = go.Figure()
    # First area at the top: plotly draws the first category at the bottom.
    areas = list(reversed(table["area_name"].tolist()))
    rows = table.set_index("area_name").loc[areas] if not table.empty else table
    for status in STATUS_ORDER:
        counts = rows[status.value].tolist() if not table.empty else []
        fig.add_trace(
            go.Bar(
                y=areas,
                x=counts,
                orientation="h",
                name=status_legend_name(status),
                marker={
                    "color": STATUS_COLOURS[status],
                    "line": {"color": "#ffffff", "width": 1},
                    "pattern": {"shape": PATTERNS[status], "fgcolor": "rgba(0,0,0,0.35)", "size": 6},
                },
                text=[str(c) if c else "" for c in counts],
                textposition="inside",
                textangle=0,
                insidetextanchor="middle",
                textfont={"color": "#000000", "size": font_size - 2},
                hovertemplate="%{y}<br>"
                + status_legend_name(status)
                + ": %{x} municipalities<extra></extra>",
            )
        )
    n = int(table["municipalities"].iloc[0]) if not table.empty else 0
    layout = base_layout(
        barmode="stack",
        height=height or max(260, 46 * len(areas) + 110),
        width=width,
        margin={"l": 10, "r": 20, "t": 30, "b": 50} if width is None else {"l": 5, "r": 10, "t": 25, "b": 35},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "traceorder": "normal"},
    )
    layout["font"] = {**layout["font"], "size": font_size}
    fig.update_layout(**layout)
    fig.update_xaxes(
        title_text=f"Municipalities (of {n} active)",
        range=[0, max(n, 1)],
        dtick=max(1, round(n / 8)) if n else 1,
        gridcolor="#e4e7eb",
    )
    fig.update_yaxes(automargin=True)
    return fig
