"""Reporting coverage, for programme staff: who reported which year (a table, each cell a link to
the submission's validation report), the reporting rate per year and country, and who to chase."""

from __future__ import annotations

import calendar
import functools
from typing import Any

import dash
import pandas as pd
from dash import dcc, html

from dashboard.components.downloads import download_controls, register_download
from dashboard.components.filters import choice_links, href
from dashboard.context import get_context, get_snapshot
from dashboard.figures import GRAPH_CONFIG
from dashboard.figures.coverage import rate_figure
from dashboard.queries.coverage import (
    MISSING,
    REJECTED,
    STATE_DESCRIPTIONS,
    STATE_LABELS,
    STATE_SYMBOLS,
    STATES,
    chase_list,
    countries,
    coverage_cells,
    coverage_matrix,
    coverage_years,
    reporting_rates,
)

dash.register_page(__name__, path="/coverage", name="Coverage", title="Reporting coverage", nav_order=40)

PATH = "/coverage"
STATE = "coverage-state"
FILTERS = "coverage-filters"
HEADLINE = "coverage-headline"
MATRIX = "coverage-matrix-table"
RATES = "coverage-rates-table"
RATE_GRAPH = "coverage-rate-graph"
CHASE = "coverage-chase-table"
MATRIX_DOWNLOAD = "coverage-matrix"
RATES_DOWNLOAD = "coverage-rates"
CHASE_DOWNLOAD = "coverage-chase"
# Beyond this many municipalities the matrix on the page is cut (the download has every row).
MAX_MATRIX_ROWS = 400


def submission_href(submission_id: object) -> str:
    return f"/coverage/submission/{int(submission_id)}"


def _date(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%d %b %Y}"


def _state_view(snapshot: Any, settings: Any, country: str | None, year: str | None) -> dict:
    """The valid filter values for the query-string parameters (unknown values are ignored)."""
    codes = {c for c, _ in countries(snapshot)}
    years = coverage_years(snapshot, settings.base_year)
    chosen = int(year) if year and year.isdigit() and int(year) in years else (years[-1] if years else None)
    return {"country": country if country in codes else "", "year": chosen, "years": years}


_frames_cache: dict[tuple, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]] = {}


def _frames(state: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Cells, rates and chase list of a view; kept per snapshot (they only change with the data)."""
    snapshot = get_snapshot()
    key = (snapshot.version, id(snapshot), tuple(state["years"]), state["country"], state["year"])
    frames = _frames_cache.get(key)
    if frames is None:
        cells = coverage_cells(snapshot, state["years"], state["country"] or None)
        frames = (cells, reporting_rates(cells), chase_list(snapshot, cells, state["year"]))
        if len(_frames_cache) > 64:
            _frames_cache.clear()
        _frames_cache[key] = frames
    return frames


def layout(country: str | None = None, year: str | None = None, **_: str) -> html.Div:
    context = get_context()
    snapshot = get_snapshot()
    state = _state_view(snapshot, context.settings, country, year)
    intro = html.P(
        "Who reported which year, how (on time, late, revised or rejected), the reporting rate, and the "
        "municipalities to chase. Each cell of the table links to the submission's validation report.",
        className="lead",
    )
    if not state["years"]:
        return html.Div(
            [
                html.H1("Reporting coverage"),
                intro,
                html.P(
                    ["No return has been accepted yet. ", dcc.Link("Upload a return", href="/upload"), "."],
                    className="empty",
                ),
            ]
        )
    cells, rates, chase = _frames(state)
    params = {"country": state["country"], "year": state["year"]}
    country_options = [("", "All countries")] + [(c, f"{name} ({c})") for c, name in countries(snapshot)]
    return html.Div(
        [
            html.H1("Reporting coverage"),
            intro,
            html.Div(
                [
                    choice_links(
                        "Country", "country", country_options, state["country"], path=PATH, params=params
                    ),
                    choice_links(
                        "Year to chase",
                        "year",
                        [(str(y), str(y)) for y in reversed(state["years"])],
                        str(state["year"]),
                        path=PATH,
                        params=params,
                    ),
                ],
                id=FILTERS,
                className="filters",
            ),
            dcc.Store(
                id=STATE, data={"country": state["country"], "year": state["year"], "years": state["years"]}
            ),
            html.P(_headline(rates, chase, state["year"]), id=HEADLINE, className="coverage-headline"),
            html.Section(
                [
                    html.H2("Returns by municipality and year", id="coverage-matrix-heading"),
                    _legend(context.settings),
                    _matrix(cells, state["years"]),
                    download_controls(MATRIX_DOWNLOAD, "the coverage table"),
                ],
                className="coverage-section",
            ),
            html.Section(
                [
                    html.H2("Reporting rate", id="coverage-rates-heading"),
                    html.P(
                        "Reporting rate = municipalities with an accepted return for the year / active "
                        "municipalities (the returns expected). On time = the first accepted return arrived "
                        f"by {_deadline_text(context.settings)}. Municipalities no longer active are not "
                        "expected and not counted."
                    ),
                    _rates_table(rates),
                    dcc.Graph(
                        id=RATE_GRAPH,
                        figure=rate_figure(rates),
                        config=GRAPH_CONFIG,
                        className="coverage-graph",
                    ),
                    download_controls(RATES_DOWNLOAD, "the reporting rates"),
                ],
                className="coverage-section",
            ),
            html.Section(
                [
                    html.H2(f"Who to chase for {state['year']}", id="coverage-chase-heading"),
                    _chase_table(chase, state["year"]),
                    download_controls(CHASE_DOWNLOAD, "the chase list"),
                ],
                className="coverage-section",
                id="chase",
            ),
        ],
        className="coverage-page",
    )


def _deadline_text(settings: Any) -> str:
    return f"{settings.deadline_day} {calendar.month_name[settings.deadline_month]} of the following year"


def _headline(rates: pd.DataFrame, chase: pd.DataFrame, year: int) -> str:
    total = rates[(rates["year"] == year) & (rates["country_code"] == "")]
    if total.empty:
        return f"{year}: no active municipality is expected to report."
    row = total.iloc[0]
    rate = "no data" if pd.isna(row["rate"]) else f"{row['rate']:.0f} %"
    chase_text = "nobody to chase" if chase.empty else f"{len(chase)} to chase (list below)"
    return (
        f"{year}: {row['reported']} of {row['expected']} active municipalities sent an accepted return "
        f"({rate}), {row['on_time']} on time; {chase_text}."
    )


def _legend(settings: Any) -> html.Ul:
    return html.Ul(
        [
            html.Li(
                [
                    html.Span(
                        [
                            html.Span(STATE_SYMBOLS[s], className="state-symbol", **{"aria-hidden": "true"}),
                            STATE_LABELS[s],
                        ],
                        className=f"state-chip state-{s}",
                    ),
                    f" {STATE_DESCRIPTIONS[s]}"
                    + (f" ({_deadline_text(settings)})" if s in ("accepted", "late") else ""),
                ]
            )
            for s in STATES
        ],
        className="coverage-legend",
        **{"aria-label": "What the cells mean"},
    )


def _cell(row: dict) -> html.Td:
    state = row["state"]
    content = [
        html.Span(STATE_SYMBOLS[state], className="state-symbol", **{"aria-hidden": "true"}),
        STATE_LABELS[state],
    ]
    if state == MISSING or pd.isna(row["submission_id"]):
        return html.Td(html.Span(content, className="state-chip"), className=f"state-cell state-{state}")
    received = _date(row["received_at"])
    title = f"{row['name']} {row['year']}: {STATE_LABELS[state].lower()}, submission {row['submission_id']}"
    if received:
        title += f", received {received}"
    if state not in (MISSING, REJECTED) and row["n_returns"] > 1:
        title += f"; first return received {_date(row['first_received_at'])}"
        title += " (on time)" if row["on_time"] else " (late)"
    return html.Td(
        html.A(content, href=submission_href(row["submission_id"]), title=title, className="state-chip"),
        className=f"state-cell state-{state}",
    )


def _matrix(cells: pd.DataFrame, years: list[int]) -> html.Div:
    by_muni: dict[int, list[dict]] = {}
    for record in cells.sort_values(["municipality_id", "year"], kind="stable").to_dict("records"):
        by_muni.setdefault(record["municipality_id"], []).append(record)
    order = cells.drop_duplicates("municipality_id")["municipality_id"].tolist()
    cut = len(order) > MAX_MATRIX_ROWS
    rows = []
    for mid in order[:MAX_MATRIX_ROWS]:
        group = by_muni[mid]
        first = group[0]
        name = [
            dcc.Link(first["name"], href=href("/scorecard", {"municipality": first["code"]})),
            " ",
            html.Span(first["code"], className="muni-code"),
        ]
        if not first["active"]:
            name += [" ", html.Span("inactive", className="muni-inactive")]
        rows.append(
            html.Tr(
                [html.Th(name, scope="row", className="muni-cell")] + [_cell(r) for r in group],
                className="" if first["active"] else "inactive-row",
            )
        )
    table = html.Table(
        [
            html.Caption(
                "Returns by municipality and reporting year; each cell links to the submission's "
                "validation report"
            ),
            html.Thead(
                html.Tr(
                    [html.Th("Municipality", scope="col")] + [html.Th(str(y), scope="col") for y in years]
                )
            ),
            html.Tbody(rows),
        ],
        id=MATRIX,
        className="data-table coverage-matrix",
    )
    children: list = [
        html.Div(
            table,
            className="table-scroll",
            tabIndex=0,
            role="region",
            **{"aria-labelledby": "coverage-matrix-heading"},
        )
    ]
    if cut:
        children.insert(
            0,
            html.P(
                f"Showing the first {MAX_MATRIX_ROWS} of {len(order)} municipalities: choose a country, or "
                "download the full table.",
                className="note",
            ),
        )
    return html.Div(children)


def _percent(value: object) -> str:
    return "no data" if value is None or pd.isna(value) else f"{value:.0f} %"


def _rates_table(rates: pd.DataFrame) -> html.Div:
    columns = rates[["country_code", "country"]].drop_duplicates()
    # With one country, the "all countries" column repeats it.
    if len(columns) == 2:
        columns = columns[columns["country_code"] != ""]
    head = [html.Th("Year", scope="col")] + [
        html.Th(code or name, scope="col", title=name)
        for code, name in columns.itertuples(index=False, name=None)
    ]
    body = []
    for year, group in rates.groupby("year"):
        by_code = {r.country_code: r for r in group.itertuples()}
        cells = []
        for code in columns["country_code"]:
            r = by_code.get(code)
            if r is None or not r.expected:
                cells.append(html.Td("none expected", className="rate-cell"))
                continue
            cells.append(
                html.Td(
                    [
                        html.Span(_percent(r.rate), className="rate-value"),
                        html.Span(
                            f"{r.reported} of {r.expected}, {r.on_time} on time", className="rate-detail"
                        ),
                    ],
                    className="rate-cell",
                )
            )
        body.append(html.Tr([html.Th(str(year), scope="row")] + cells))
    return html.Div(
        html.Table(
            [
                html.Caption(
                    "Reporting rate by year and country (accepted returns of active municipalities)"
                ),
                html.Thead(html.Tr(head)),
                html.Tbody(body),
            ],
            id=RATES,
            className="data-table coverage-rates",
        ),
        className="table-scroll",
        tabIndex=0,
        role="region",
        **{"aria-labelledby": "coverage-rates-heading"},
    )


def _chase_table(chase: pd.DataFrame, year: int) -> html.Div:
    if chase.empty:
        return html.Div(
            html.P(f"Every active municipality has an accepted return for {year}.", className="empty"),
            id=CHASE,
        )
    rows = []
    for r in chase.itertuples():
        state_text = [
            html.Span(STATE_SYMBOLS[r.state], className="state-symbol", **{"aria-hidden": "true"}),
            STATE_LABELS[r.state],
        ]
        rows.append(
            html.Tr(
                [
                    html.Th(
                        [r.municipality_name, " ", html.Span(r.municipality_code, className="muni-code")],
                        scope="row",
                    ),
                    html.Td(r.region),
                    html.Td(r.country),
                    html.Td(
                        html.Span(state_text, className="state-chip"), className=f"state-cell state-{r.state}"
                    ),
                    html.Td("never" if pd.isna(r.last_year) else str(r.last_year)),
                    html.Td(_date(r.last_received) or "—"),
                    html.Td(
                        dcc.Link(
                            "Template to send",
                            href=href("/upload", {"municipality": r.municipality_code, "year": year}),
                            title=f"Prefilled return template of {r.municipality_name} for {year}",
                        )
                    ),
                ]
            )
        )
    return html.Div(
        [
            html.P(
                f"{len(chase)} active municipalities have no accepted return for {year}; those silent "
                "longest come first."
            ),
            html.Table(
                [
                    html.Caption(f"Active municipalities without an accepted return for {year}"),
                    html.Thead(
                        html.Tr(
                            [
                                html.Th("Municipality", scope="col"),
                                html.Th("Region", scope="col"),
                                html.Th("Country", scope="col"),
                                html.Th(str(year), scope="col"),
                                html.Th("Last year reported", scope="col"),
                                html.Th("Last return received", scope="col"),
                                html.Th("Template", scope="col"),
                            ]
                        )
                    ),
                    html.Tbody(rows),
                ],
                className="data-table coverage-chase",
            ),
        ],
        id=CHASE,
    )


def download_frame(which: str, state: dict) -> tuple[pd.DataFrame, str]:
    """The table behind one download button, for the view in ``state``."""
    cells, rates, chase = _frames(state)
    suffix = f"-{state['country']}" if state["country"] else ""
    if which == MATRIX_DOWNLOAD:
        return coverage_matrix(cells), f"coverage{suffix}"
    if which == RATES_DOWNLOAD:
        out = rates.copy()
        out["rate"] = out["rate"].round(1)
        out["on_time_rate"] = out["on_time_rate"].round(1)
        return out, f"reporting-rates{suffix}"
    out = chase.copy()
    out["state"] = out["state"].map(STATE_LABELS)
    return out, f"chase-list-{state['year']}{suffix}"


for _prefix in (MATRIX_DOWNLOAD, RATES_DOWNLOAD, CHASE_DOWNLOAD):
    register_download(_prefix, STATE, functools.partial(download_frame, _prefix))
