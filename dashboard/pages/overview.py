"""Overview: the one page a board member reads before a meeting (and prints as a handout)."""

from __future__ import annotations

import dash
import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from dashboard.components.catalogue import indicator_link
from dashboard.components.downloads import download_controls, register_download
from dashboard.components.filters import choice_links, href
from dashboard.context import get_context, get_snapshot
from dashboard.figures import GRAPH_CONFIG
from dashboard.figures.overview import area_status_figure
from dashboard.queries import overview as q
from dashboard.queries.snapshot import Snapshot
from dashboard.scoring import STATUS_LABELS, STATUS_SYMBOLS, TREND_LABELS, TREND_SYMBOLS, Status, Trend
from data_ingest.catalog import Catalog

dash.register_page(__name__, path="/", name="Overview", title="Overview", nav_order=0)

STATE = "overview-state"
HEADLINES = "overview-headlines"
HIGHLIGHTS = "overview-highlights"
AREA_GRAPH = "overview-area-graph"
AREA_DOWNLOAD = "overview-areas"  # ids overview-areas-csv / -xlsx / -download
RANKING = "overview-ranking"
RANKING_DOWNLOAD = "overview-ranking-data"
PROGRESS_LIST = "overview-progress"
CONCERN_LIST = "overview-concern"
AREA_GRAPH_PRINT = "overview-area-graph-print"
# Plotly draws a chart at its on-screen pixel size, which would be cut off on paper, and
# redrawing it when the browser starts printing races the print snapshot. So the page carries a
# second, static copy drawn at the printable size of an A4 or Letter page (with the margins of
# overview.css), shown only in print.
PRINT_WIDTH = 650
PRINT_HEIGHT = 220
PRINT_FONT_SIZE = 10


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{round(100 * share)}%"


def _card(title: str, body: list, card_id: str) -> html.Section:
    return html.Section(
        [html.H2(title, className="card-title"), *body], className="overview-card", id=card_id
    )


def headline_cards(head: q.Headline) -> html.Div:
    year = head.year if head.year is not None else "—"
    inactive = head.n_municipalities - head.n_active
    municipalities = _card(
        "Municipalities",
        [
            html.P(str(head.n_active), className="big-number"),
            html.P(
                "active in the programme" + (f" ({inactive} more no longer reporting)" if inactive else ""),
                className="card-note",
            ),
        ],
        "overview-card-municipalities",
    )
    returns = _card(
        f"Returns for {year}",
        [
            html.P(str(head.n_received), className="big-number"),
            html.P(f"received and accepted; {head.n_on_time} on time", className="card-note"),
        ],
        "overview-card-returns",
    )
    rate = _card(
        f"Reporting rate {year}",
        [
            html.P(_pct(head.reporting_rate), className="big-number"),
            html.P(f"{head.n_reporting} of {head.n_active} active municipalities", className="card-note"),
        ],
        "overview-card-rate",
    )
    status_items = [
        html.Li(
            [
                html.Span(STATUS_SYMBOLS[s], className="badge-symbol", **{"aria-hidden": "true"}),
                html.Span(STATUS_LABELS[s], className="share-label"),
                html.Span(_pct(head.status_share(s)), className="share-value"),
                html.Span(f"({head.status_counts.get(s.value, 0)})", className="share-count"),
            ],
            className=f"share status-{s.value}",
        )
        for s in q.STATUS_KEYS
    ]
    status = _card(
        "Where are we?",
        [
            html.Ul(status_items, className="shares"),
            html.P(
                f"Of {head.n_with_status} current indicator values; not counted: {head.n_no_data} "
                f"with no data, {head.n_stale} stale.",
                className="card-note",
            ),
        ],
        "overview-card-status",
    )
    trend_items = [
        html.Li(
            [
                html.Span(TREND_SYMBOLS[t], className="badge-symbol", **{"aria-hidden": "true"}),
                html.Span(TREND_LABELS[t], className="share-label"),
                html.Span(_pct(head.trend_share(t)), className="share-value"),
                html.Span(f"({head.trend_counts.get(t.value, 0)})", className="share-count"),
            ],
            className=f"share trend-{t.value}",
        )
        for t in [Trend.ON_TRACK, Trend.MODERATE, Trend.STAGNATING, Trend.DETERIORATING, Trend.ACHIEVED]
    ]
    trend = _card(
        "Moving fast enough?",
        [
            html.Ul(trend_items, className="shares"),
            html.P(
                f"Of {head.n_with_trend} current results with a trend; {head.n_insufficient} "
                "have too few years for one.",
                className="card-note",
            ),
        ],
        "overview-card-trend",
    )
    return html.Div(
        [municipalities, returns, rate, status, trend], className="overview-headlines", id=HEADLINES
    )


def indicator_list(frame: pd.DataFrame, kind: str, list_id: str) -> html.Ol | html.P:
    """Ranked indicators, each linked to its catalogue entry and to its page across municipalities."""
    catalog = get_context().catalog
    if frame.empty:
        return html.P("No indicator stands out yet: too few municipalities have a trend.", className="empty")
    items = []
    for r in frame.itertuples():
        ind = catalog.indicators[r.indicator]
        if kind == "progress":
            fact = f"on track or at target in {r.n_progress} of {r.n_with_trend} municipalities"
        else:
            fact = f"deteriorating in {r.n_deteriorating} of {r.n_with_trend} municipalities"
        items.append(
            html.Li(
                [
                    html.Span(ind.code, className="indicator-code"),
                    " ",
                    indicator_link(ind),
                    html.Br(),
                    html.Span(fact, className="ranking-fact"),
                    html.Span(
                        [
                            " · ",
                            dcc.Link(
                                f"{ind.code} in every municipality",
                                href=href("/indicator", {"code": ind.code}),
                            ),
                        ],
                        className="ranking-link",
                    ),
                ]
            )
        )
    return html.Ol(items, className="indicator-ranking", id=list_id)


def area_table(table: pd.DataFrame) -> html.Details:
    """The chart's numbers as a table (for screen readers, and to read exact counts)."""
    statuses = [Status.GREEN, Status.AMBER, Status.RED, Status.NO_DATA]
    return html.Details(
        [
            html.Summary("Show the numbers as a table"),
            html.Table(
                [
                    html.Caption("Municipalities per area status"),
                    html.Thead(
                        html.Tr(
                            [html.Th("Thematic area", scope="col")]
                            + [
                                html.Th(f"{STATUS_SYMBOLS[s]} {STATUS_LABELS[s]}", scope="col")
                                for s in statuses
                            ]
                        )
                    ),
                    html.Tbody(
                        [
                            html.Tr(
                                [html.Th(r["area_name"], scope="row")]
                                + [html.Td(int(r[s.value])) for s in statuses]
                            )
                            for _, r in table.iterrows()
                        ]
                    ),
                ],
                className="data-table",
            ),
        ],
        className="overview-table",
    )


def layout(country: str | None = None, **_: str) -> html.Div:
    context = get_context()
    snapshot = get_snapshot()
    catalog = context.catalog
    country = q.valid_country(snapshot, country)
    head = q.headline(snapshot, country)
    table = q.area_status_table(snapshot, catalog, country)
    ranking = q.indicator_ranking(snapshot, catalog, country)
    names = dict(q.countries(snapshot))
    scope = names.get(country, "") if country else "all countries"
    year = head.year if head.year is not None else "the latest year"
    filters = choice_links(
        "Country",
        "country",
        [("", "All countries")] + q.countries(snapshot),
        country or "",
        path="/",
        params={"country": country or ""},
        id="overview-country",
    )
    return html.Div(
        [
            html.H1("Overview"),
            html.P(
                f"Migration and the SDGs at local level: where the municipalities stand in {year} "
                f"({scope}). Status and trend figures cover the active municipalities' current values.",
                className="lead",
            ),
            html.Div(filters, className="filters overview-filters"),
            dcc.Store(id=STATE, data={"country": country or ""}),
            headline_cards(head),
            html.Section(
                [
                    html.H2(f"{year} highlights"),
                    html.Ul([html.Li(s) for s in q.highlights(snapshot, catalog, country)]),
                ],
                className="overview-card overview-highlights",
                id=HIGHLIGHTS,
            ),
            html.Section(
                [
                    html.H2("Status per thematic area"),
                    html.P(
                        "How many municipalities are in each status, per area. An area's status follows "
                        "the “two worst” rule: green only if every indicator is green, red if its two "
                        "worst are red; no data when fewer than half of its indicators have a current value.",
                        className="card-note",
                    ),
                    dcc.Graph(
                        id=AREA_GRAPH,
                        figure=_area_figure(snapshot, catalog, country),
                        config=GRAPH_CONFIG,
                        className="overview-graph",
                    ),
                    dcc.Graph(
                        id=AREA_GRAPH_PRINT,
                        figure=_area_figure(snapshot, catalog, country, printed=True),
                        config={"staticPlot": True, "displayModeBar": False},
                        className="overview-graph-print",
                        responsive=False,
                    ),
                    area_table(table),
                    download_controls(AREA_DOWNLOAD, "area statuses"),
                ],
                className="overview-card overview-areas",
            ),
            html.Section(
                [
                    html.H2("Indicators: most progress and most concern"),
                    html.P(
                        "Share of municipalities, among those with a trend, that are on track or have "
                        "reached the 2030 target, and that are deteriorating.",
                        className="card-note",
                    ),
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.H3("Most progress"),
                                    indicator_list(
                                        q.most_progress(ranking, head.n_active), "progress", PROGRESS_LIST
                                    ),
                                ],
                                className="ranking-column",
                            ),
                            html.Div(
                                [
                                    html.H3("Most concern"),
                                    indicator_list(
                                        q.most_concern(ranking, head.n_active), "concern", CONCERN_LIST
                                    ),
                                ],
                                className="ranking-column",
                            ),
                        ],
                        className="ranking-columns",
                        id=RANKING,
                    ),
                    download_controls(RANKING_DOWNLOAD, "indicator ranking"),
                ],
                className="overview-card overview-indicators",
            ),
        ],
        className="overview-page",
    )


@q.per_snapshot
def _area_figure(
    snapshot: Snapshot, catalog: Catalog, country: str | None, printed: bool = False
) -> go.Figure:
    """The area status chart (on screen, or the print copy), drawn once per data change."""
    table = q.area_status_table(snapshot, catalog, country)
    if printed:
        return area_status_figure(table, width=PRINT_WIDTH, height=PRINT_HEIGHT, font_size=PRINT_FONT_SIZE)
    return area_status_figure(table)


def download_frame(what: str, country: str | None) -> tuple[pd.DataFrame, str]:
    """The table behind the area chart or the indicator ranking, and its file name."""
    context = get_context()
    snapshot = get_snapshot()
    country = q.valid_country(snapshot, country)
    suffix = f"-{country}" if country else ""
    year = snapshot.latest_year or "none"
    if what == "areas":
        frame = q.area_status_table(snapshot, context.catalog, country).rename(
            columns={"no-data": "no_data", "municipalities": "active_municipalities"}
        )
        return frame, f"area-status-{year}{suffix}"
    frame = q.indicator_ranking(snapshot, context.catalog, country)
    frame = frame.rename(columns={c: c.replace("-", "_") for c in frame.columns})
    return frame, f"indicator-ranking-{year}{suffix}"


register_download(AREA_DOWNLOAD, STATE, lambda state: download_frame("areas", (state or {}).get("country")))
register_download(
    RANKING_DOWNLOAD, STATE, lambda state: download_frame("ranking", (state or {}).get("country"))
)
