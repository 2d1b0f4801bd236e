"""One municipality's scorecard: every indicator's latest value, status, trend and target, by
thematic area, with context figures, the reporting history and a peer to compare with.

The whole view comes from the URL (?municipality=XAA-001&compare=XAA-003), so it can be sent as a
link; the data come from the cached snapshot (statuses, trends and scores are computed there once).
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, callback, dcc, html, no_update

from dashboard.components.catalogue import indicator_link
from dashboard.components.downloads import download_controls, register_download
from dashboard.components.filters import choice_links, href, search_input
from dashboard.components.status import status_badge, trend_badge
from dashboard.context import get_context, get_snapshot
from dashboard.figures import LINE_COLOURS
from dashboard.figures.scorecard import SPARKLINE_CONFIG, SPARKLINE_STYLE, sparkline, sparkline_description
from dashboard.queries import scorecard as q
from dashboard.queries.snapshot import area_statuses
from data_ingest.catalog import AREA_CONTEXT, Catalog

dash.register_page(
    __name__, path="/scorecard", name="Scorecard", title="Municipality scorecard", nav_order=10
)

PATH = "/scorecard"
SEARCH = "scorecard-search"
SEARCH_STATUS = "scorecard-search-status"
LOCATION = "scorecard-location"
STATE = "scorecard-state"
TABLE_DOWNLOAD = "scorecard-table"
HISTORY_DOWNLOAD = "scorecard-history"
HEADER = "scorecard-header"
AREAS = "scorecard-areas"
CONTEXT = "scorecard-context"
HISTORY = "scorecard-history-section"
MUNICIPALITY_LIST = "scorecard-municipality-list"


def layout(municipality: str | None = None, compare: str | None = None, **_: str) -> html.Div:
    snapshot = get_snapshot()
    code = (municipality or "").strip().upper() or None
    found = code is not None and snapshot.municipality(code) is not None
    compare = (compare or "").strip().upper() or None
    if compare == code or (compare and snapshot.municipality(compare) is None):
        compare = None
    children: list = [
        html.H1("Municipality scorecard" if not found else _title(snapshot, code)),
        html.Div(
            [
                search_input(
                    SEARCH,
                    "Find a municipality",
                    q.municipality_options(snapshot),
                    placeholder="code or name, e.g. XAA-001",
                ),
                html.P(id=SEARCH_STATUS, role="status", className="scorecard-search-status"),
            ],
            role="search",
            className="scorecard-search",
        ),
        dcc.Location(id=LOCATION, refresh="callback-nav"),
        dcc.Store(id=STATE, data={"municipality": code if found else None, "compare": compare}),
    ]
    if found:
        assert code is not None
        children += scorecard(snapshot, get_context().catalog, code, compare)
    else:
        if code is not None:
            children.append(
                html.P(
                    f"There is no municipality with the code “{code}”. Choose one below.", className="empty"
                )
            )
        children.append(municipality_list(snapshot))
    return html.Div(children, className="scorecard-page")


def _title(snapshot, code: str) -> list:
    me = snapshot.municipality(code)
    return [str(me["name"]), " ", html.Span(code, className="indicator-code")]


def municipality_list(snapshot) -> html.Div:
    """Every municipality as a link to its scorecard, grouped by country."""
    if snapshot.municipalities.empty:
        return html.P("No municipality is registered yet.", className="empty", id=MUNICIPALITY_LIST)
    sections = []
    for country_code, country, group in q.municipalities_by_country(snapshot):
        sections.append(
            html.Section(
                [
                    html.H2(f"{country} ({country_code})"),
                    html.Ul(
                        [
                            html.Li(
                                [
                                    dcc.Link(row["name"], href=href(PATH, {"municipality": row["code"]})),
                                    html.Span(f" {row['code']} · {row['region']}", className="small-print"),
                                ]
                            )
                            for _, row in group.iterrows()
                        ],
                        className="scorecard-municipalities",
                    ),
                ],
                className="scorecard-country",
            )
        )
    return html.Div([html.P("Choose a municipality to see its scorecard.")] + sections, id=MUNICIPALITY_LIST)


def scorecard(snapshot, catalog: Catalog, code: str, compare: str | None) -> list:
    """The scorecard of one municipality (the page below the search box)."""
    h = q.header(snapshot, catalog, code)
    assert h is not None
    engine = get_context().engine
    sources = q.sources_of(engine, catalog, snapshot, code)
    table = q.scorecard_table(snapshot, catalog, code, compare=compare, sources=sources).to_dict("records")
    series = q.series_by_indicator(snapshot, code)
    statuses = area_statuses(snapshot, catalog, int(snapshot.municipality(code)["id"]))
    peer_name = q.display_names(snapshot)[compare] if compare else None
    history = q.reporting_history(snapshot, code, q.completeness_of(engine, catalog, snapshot, code))
    return [
        _header(h),
        _compare_links(snapshot, code, compare),
        download_controls(TABLE_DOWNLOAD, "scorecard"),
        html.Div(
            [
                _area_section(
                    catalog, area, statuses.get(area), h.area_scores.get(area), table, series, code, peer_name
                )
                for area in catalog.areas
                if area != AREA_CONTEXT
            ],
            id=AREAS,
        ),
        _context_section(catalog, table, series, code, peer_name),
        _history_section(history),
    ]


def _header(h: q.Header) -> html.Section:
    facts = [
        ("Region", h.region),
        ("Country", h.country),
        ("Population", h.population_band or "not given"),
        ("Latest return", str(h.latest_return_year) if h.latest_return_year else "none received"),
    ]
    if not h.active:
        facts.append(("Programme", "no longer active: its values are shown as stale"))
    return html.Section(
        [
            html.Dl([item for k, v in facts for item in (html.Dt(k), html.Dd(v))], className="facts"),
            html.P(q.score_text(h), className="scorecard-overall", id="scorecard-overall"),
            html.P(
                [
                    "Status compares the latest value with the indicator's thresholds; trend says whether "
                    "it moves fast enough to reach the 2030 target. ",
                    dcc.Link("How they are computed", href="/methodology"),
                    ".",
                ],
                className="small-print",
            ),
        ],
        id=HEADER,
        className="scorecard-header",
        **{"aria-label": "Summary"},
    )


def _compare_links(snapshot, code: str, compare: str | None) -> html.Nav | html.P:
    others = q.peers(snapshot, code)
    names = q.display_names(snapshot)
    if others.empty:
        return html.P("No other municipality in this country to compare with.", className="small-print")
    return choice_links(
        "Compare with",
        "compare",
        [("", "Nobody")] + [(str(c), names[str(c)]) for c in others["code"]],
        compare,
        path=PATH,
        params={"municipality": code},
        id="scorecard-compare",
    )


def _present(value: object) -> bool:
    """False for None, NaN and empty text (a DataFrame turns None into NaN)."""
    return value is not None and value != "" and not (isinstance(value, float) and pd.isna(value))


def _value_cell(row: dict) -> list:
    if not _present(row["value"]):
        reason = row["missing_reason"] if _present(row["missing_reason"]) else "not reported"
        year = f" ({int(row['year'])})" if _present(row["year"]) else ""
        return [
            html.Span("no data", className="no-data"),
            html.Span(f"{year}: {reason}", className="small-print"),
        ]
    out: list = [
        html.Span(row["value_text"], className="value"),
        " ",
        html.Span(f"({int(row['year'])})", className="year"),
    ]
    if _present(row["gap"]):
        # The value is already shown: keep the words ("migrants' rate is 14% below ...").
        out.append(html.Span(row["gap"].split(": ", 1)[-1], className="gap small-print"))
    return out


def _peer_cell(row: dict) -> list:
    if not _present(row.get("peer_value")):
        return [html.Span("no data", className="no-data")]
    out: list = [html.Span(f"{row['peer_value_text']} ({int(row['peer_year'])})", className="value")]
    if _present(row["peer_status"]):
        out += [" ", status_badge(row["peer_status"], stale=bool(row["peer_stale"]))]
    return out


def _sparkline(ind, points: tuple[list[int], list[float]] | None) -> html.Div:
    years, values = points or ([], [])
    description = sparkline_description(ind, years, values)
    if not years:
        return html.Div("—", className="sparkline", title=description)
    return html.Div(
        dcc.Graph(
            id=f"scorecard-spark-{ind.code}",
            figure=sparkline(years, values, colour=LINE_COLOURS[0]),
            config=SPARKLINE_CONFIG,
            style=SPARKLINE_STYLE,
        ),
        className="sparkline",
        role="img",
        title=description,
        **{"aria-label": description},
    )


def _indicator_cell(ind, row: dict, code: str) -> list:
    out: list = [
        html.Span(ind.code, className="indicator-code"),
        " ",
        indicator_link(ind),
        html.Br(),
        dcc.Link(
            f"{ind.code} over time",
            href=href("/indicator", {"code": ind.code, "municipalities": code}),
            className="small-print",
        ),
    ]
    if _present(row["source"]):
        out.append(
            html.Details(
                [html.Summary("Where this value comes from"), html.P(row["source"])],
                className="value-source small-print",
            )
        )
    return out


def _table_header(columns: list[str]) -> html.Thead:
    return html.Thead(html.Tr([html.Th(c, scope="col") for c in columns]))


def _area_section(catalog, area, area_status, area_score, table, series, code, peer_name) -> html.Section:
    rows = [r for r in table if r["area"] == area and r["scored"]]
    columns = ["Indicator", "Latest value", "Status", "Trend", "Over time", "2030 target"]
    if peer_name:
        columns.append(peer_name)
    body = []
    for row in rows:
        ind = catalog.indicators[row["indicator"]]
        cells = [
            html.Th(_indicator_cell(ind, row, code), scope="row", className="indicator-cell"),
            html.Td(_value_cell(row)),
            html.Td(status_badge(row["status"], stale=bool(row["stale"]))),
            html.Td(trend_badge(row["trend"])),
            html.Td(_sparkline(ind, series.get(ind.code))),
            html.Td(row["target"]),
        ]
        if peer_name:
            cells.append(html.Td(_peer_cell(row)))
        body.append(html.Tr(cells, id=f"scorecard-row-{ind.code}"))
    name = catalog.areas[area].name.en
    score = f"area score {area_score:.0f} out of 100" if area_score is not None else "no area score"
    return html.Section(
        [
            html.H2([name, " ", status_badge(area_status)], className="area-heading"),
            html.P(f"Area status from its two worst current indicators; {score}.", className="small-print"),
            html.Div(
                html.Table(
                    [html.Caption(f"{name}: indicators"), _table_header(columns), html.Tbody(body)],
                    className="data-table scorecard-table",
                ),
                className="table-scroll",
            ),
        ],
        className="area-section",
        id=f"scorecard-area-{area}",
    )


def _context_section(catalog, table, series, code, peer_name) -> html.Section:
    rows = [r for r in table if r["area"] == AREA_CONTEXT]
    columns = ["Figure", "Latest value", "Change", "Over time"]
    if peer_name:
        columns.append(peer_name)
    body = []
    for row in rows:
        ind = catalog.indicators[row["indicator"]]
        cells = [
            html.Th(_indicator_cell(ind, row, code), scope="row", className="indicator-cell"),
            html.Td(_value_cell(row)),
            html.Td(trend_badge(row["trend"])),
            html.Td(_sparkline(ind, series.get(ind.code))),
        ]
        if peer_name:
            cells.append(html.Td(_peer_cell(row)))
        body.append(html.Tr(cells, id=f"scorecard-row-{ind.code}"))
    return html.Section(
        [
            html.H2("Context figures"),
            html.P(
                "They describe the municipality and its migration; they are never scored.",
                className="small-print",
            ),
            html.Div(
                html.Table(
                    [html.Caption("Context figures (not scored)"), _table_header(columns), html.Tbody(body)],
                    className="data-table scorecard-table",
                ),
                className="table-scroll",
            ),
        ],
        className="area-section",
        id=CONTEXT,
    )


def _date(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%d %b %Y}"


def _history_section(history: pd.DataFrame) -> html.Section:
    body = []
    for _, row in history.iterrows():
        missing = row["return"] == "missing"
        on_time = "—" if missing else ("on time" if row["on_time"] else "late")
        completeness = (
            "—"
            if row["completeness"] is None or pd.isna(row["completeness"])
            else f"{100 * row['completeness']:.0f}%"
        )
        received = _date(row["received"])
        if row["return"] == "revised":
            received += f", revised {_date(row['revised'])}"
        body.append(
            html.Tr(
                [
                    html.Th(str(row["year"]), scope="row"),
                    html.Td(row["return"], className=f"return-{row['return']}"),
                    html.Td(received),
                    html.Td(on_time),
                    html.Td(completeness),
                ]
            )
        )
    return html.Section(
        [
            html.H2("Reporting history"),
            html.P(q.history_summary(history), id="scorecard-history-summary"),
            html.Div(
                html.Table(
                    [
                        html.Caption("Returns by year"),
                        _table_header(
                            ["Year", "Return", "Received", "Deadline", "Required fields completed"]
                        ),
                        html.Tbody(body),
                    ],
                    className="data-table",
                ),
                className="table-scroll",
            ),
            download_controls(HISTORY_DOWNLOAD, "reporting history"),
        ],
        className="area-section",
        id=HISTORY,
    )


# ---------------------------------------------------------------------------------------------
# Callbacks


def target_href(text: str | None) -> str | None:
    """Where the search box leads: the chosen municipality's scorecard, or None if nothing matches."""
    code = q.parse_municipality(text, get_snapshot())
    return href(PATH, {"municipality": code}) if code else None


@callback(
    Output(LOCATION, "href"),
    Output(SEARCH_STATUS, "children"),
    Input(SEARCH, "value"),
    prevent_initial_call=True,
)
def _go(text: str | None):
    if not text:
        return no_update, ""
    target = target_href(text)
    if target is None:
        return no_update, f"No municipality matches “{text}”. Pick one of the suggestions or type its code."
    return target, ""


def scorecard_download(state: dict | None) -> tuple | None:
    if not state or not state.get("municipality"):
        return None
    catalog = get_context().catalog
    snapshot = get_snapshot()
    code = state["municipality"]
    sources = q.sources_of(get_context().engine, catalog, snapshot, code)
    table = q.scorecard_table(snapshot, catalog, code, compare=state.get("compare"), sources=sources)
    return q.download_frame(table), f"scorecard-{code}"


def history_download(state: dict | None) -> tuple | None:
    if not state or not state.get("municipality"):
        return None
    catalog = get_context().catalog
    snapshot = get_snapshot()
    code = state["municipality"]
    completeness = q.completeness_of(get_context().engine, catalog, snapshot, code)
    return q.reporting_history(snapshot, code, completeness), f"reporting-history-{code}"


register_download(TABLE_DOWNLOAD, STATE, scorecard_download)
register_download(HISTORY_DOWNLOAD, STATE, history_download)
