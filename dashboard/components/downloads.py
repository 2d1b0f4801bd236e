"""CSV and XLSX downloads of the data behind a table or chart (formula prefixes escaped)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from data_ingest.export import escape_frame


def download_controls(prefix: str, what: str = "data") -> html.Div:
    """Two buttons and a dcc.Download with ids PREFIX-csv, PREFIX-xlsx and PREFIX-download."""
    return html.Div(
        [
            html.Button(
                f"Download {what} (CSV)", id=f"{prefix}-csv", className="download-button", n_clicks=0
            ),
            html.Button(
                f"Download {what} (XLSX)", id=f"{prefix}-xlsx", className="download-button", n_clicks=0
            ),
            dcc.Download(id=f"{prefix}-download"),
        ],
        className="downloads",
    )


def send_frame(frame: pd.DataFrame, basename: str, fmt: str) -> dict:
    """The dcc.Download payload for a table, as CSV (UTF-8 with BOM, for Excel) or XLSX."""
    safe = escape_frame(frame)
    if fmt == "xlsx":
        buffer = io.BytesIO()
        safe.to_excel(buffer, index=False, engine="openpyxl", sheet_name="data")
        return dcc.send_bytes(buffer.getvalue(), f"{basename}.xlsx")
    return dcc.send_bytes(safe.to_csv(index=False).encode("utf-8-sig"), f"{basename}.csv")


def register_download(
    prefix: str, state_id: str, build: Callable[[Any], tuple[pd.DataFrame, str] | None]
) -> None:
    """Wire the buttons of download_controls(prefix): ``build(state)`` gives the table and its file
    name (without extension) from the page's state store, or None when there is nothing to send."""

    def download(_csv: int | None, _xlsx: int | None, state: Any) -> dict:
        built = build(state)
        if built is None:
            return no_update
        frame, basename = built
        return send_frame(frame, basename, "xlsx" if ctx.triggered_id == f"{prefix}-xlsx" else "csv")

    callback(
        Output(f"{prefix}-download", "data"),
        Input(f"{prefix}-csv", "n_clicks"),
        Input(f"{prefix}-xlsx", "n_clicks"),
        State(state_id, "data"),
        prevent_initial_call=True,
    )(download)
