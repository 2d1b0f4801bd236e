"""Compare charts: the heatmap of 0-100 scores, municipalities x indicators."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import base_layout

# Cividis: made for colour-vision deficiencies, and its lightness rises steadily, so the scale
# also reads in greyscale. Dark = far from the target, light = at the target.
COLOURSCALE = "Cividis"
ROW_HEIGHT = 24
COLUMN_WIDTH = 22


def heatmap_figure(cells: pd.DataFrame) -> go.Figure:
    """Rows: municipalities (in the frame's order, first at the top); columns: indicator codes;
    colour: the score. Each cell carries [municipality code, hover text] as customdata and shows
    its status symbol, so that status is never colour alone.
    ``cells`` is queries.compare.heatmap_cells."""
    rows = list(dict.fromkeys(cells["municipality"]))
    columns = list(dict.fromkeys(cells["indicator"]))
    if not rows or not columns:
        fig = go.Figure()
        fig.update_layout(
            **base_layout(height=200),
            xaxis={"visible": False},
            yaxis={"visible": False},
            annotations=[{"text": "No data for this choice", "showarrow": False, "font": {"size": 16}}],
        )
        return fig

    def matrix(column: str) -> list[list]:
        table = cells.pivot(index="municipality", columns="indicator", values=column)
        return table.reindex(index=rows, columns=columns).to_numpy(dtype=object).tolist()

    z = [[None if v is None or pd.isna(v) else float(v) for v in row] for row in matrix("score")]
    text = matrix("mark")
    custom = [
        [[code, hover] for code, hover in zip(codes, hovers, strict=True)]
        for codes, hovers in zip(matrix("municipality_code"), matrix("hover"), strict=True)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=columns,
            y=rows,
            zmin=0,
            zmax=100,
            colorscale=COLOURSCALE,
            colorbar={
                "title": {"text": "Score<br>0 = worst<br>100 = target", "side": "top"},
                "thickness": 14,
            },
            text=text,
            texttemplate="%{text}",
            textfont={"size": 11},
            customdata=custom,
            hovertemplate="%{customdata[1]}<extra></extra>",
            hoverongaps=True,
            xgap=1,
            ygap=1,
        )
    )
    # Thin lines between thematic areas, so the columns read as groups.
    areas = cells.drop_duplicates("indicator").set_index("indicator").loc[columns, "area"].tolist()
    shapes = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": i - 0.5,
            "x1": i - 0.5,
            "y0": 0,
            "y1": 1,
            "line": {"color": "#1f2933", "width": 1.5},
        }
        for i in range(1, len(columns))
        if areas[i] != areas[i - 1]
    ]
    fig.update_layout(
        **base_layout(
            height=max(260, ROW_HEIGHT * len(rows) + 140),
            margin={"l": 10, "r": 10, "t": 80, "b": 20},
            plot_bgcolor="#e4e7eb",  # gaps (no score) show as light grey
            shapes=shapes,
        )
    )
    fig.update_xaxes(side="top", tickangle=-90, type="category", tickfont={"size": 11}, showgrid=False)
    fig.update_yaxes(autorange="reversed", type="category", automargin=True, showgrid=False)
    return fig
