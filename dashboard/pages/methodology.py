"""How status, trend and scores are computed: docs/methodology.md, shown inside the app."""

from __future__ import annotations

import dash
from dash import dcc, html

from data_ingest.settings import PROJECT_ROOT

dash.register_page(__name__, path="/methodology", name="Methodology", title="How the figures are computed")

METHODOLOGY = PROJECT_ROOT / "docs" / "methodology.md"


def layout(**_: str) -> html.Div:
    text = METHODOLOGY.read_text(encoding="utf-8") if METHODOLOGY.exists() else "The methodology is missing."
    # Links between docs pages do not exist in the app: point them at the catalogue instead.
    text = text.replace("(catalogue.md)", "(/catalogue)").replace(
        "[editing-the-catalogue.md](editing-the-catalogue.md)", "docs/editing-the-catalogue.md"
    )
    return html.Div(dcc.Markdown(text, className="prose", link_target="_self"), className="methodology-page")
