"""Home page: what this is and where to go (the board overview replaces it later)."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.context import get_context

dash.register_page(__name__, path="/", name="Home", title="migdash", nav_order=0)


def layout(**_: str) -> html.Div:
    catalog = get_context().catalog
    counts = catalog.counts()
    scored = sum(s for s, _ in counts.values())
    return html.Div(
        [
            html.H1("Making migration work for the SDGs at local level"),
            html.P(
                "This dashboard follows how municipalities make migration work for sustainable "
                "development: yearly returns become indicators linked to the Sustainable Development "
                "Goals, with a traffic light (where are we?) and a trend (are we moving fast enough?)."
            ),
            html.P(
                [
                    f"The catalogue holds {scored} scored indicators in {len(catalog.areas) - 1} "
                    "thematic areas, plus context figures. ",
                    dcc.Link("Browse the indicator catalogue", href="/catalogue"),
                    ".",
                ]
            ),
        ]
    )
