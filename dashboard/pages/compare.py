"""Compare municipalities: a heatmap of 0-100 scores and a ranking by overall score."""

from __future__ import annotations

import dash
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.components.downloads import download_controls, register_download
from dashboard.components.filters import choice_links
from dashboard.context import get_context, get_snapshot
from dashboard.figures import GRAPH_CONFIG
from dashboard.figures.compare import heatmap_figure
from dashboard.queries import compare as q
from dashboard.queries.overview import per_snapshot
from dashboard.queries.snapshot import Snapshot
from dashboard.scoring import STATUS_LABELS, STATUS_SYMBOLS, Status
from data_ingest.catalog import Catalog

dash.register_page(__name__, path="/compare", name="Compare", title="Compare municipalities", nav_order=30)

PATH = "/compare"
STATE = "compare-state"
FILTERS = "compare-filters"
HEATMAP = "compare-heatmap"
HEATMAP_DOWNLOAD = "compare-heatmap-data"  # ids compare-heatmap-data-csv / -xlsx / -download
RANKING = "compare-ranking"
RANKING_DOWNLOAD = "compare-ranking-data"
LOCATION = "compare-location"
ROWS = "compare-rows"  # heatmap row label -> municipality code, for clicks
SUMMARY = "compare-summary"


def _filters(snapshot: Snapshot, catalog: Catalog, filters: q.Filters) -> html.Div:
    options = q.filter_options(snapshot, catalog, filters)
    params = filters.params()
    labels = {"country": "Country", "region": "Region", "band": "Population", "area": "Thematic area"}
    groups = []
    for param, label in labels.items():
        # Changing the country resets the region, which belongs to one country.
        link_params = {**params, "region": ""} if param == "country" else params
        groups.append(
            choice_links(
                label,
                param,
                options[param],
                params[param],
                path=PATH,
                params=link_params,
                id=f"compare-filter-{param}",
            )
        )
    return html.Div(groups, className="filters compare-filters", id=FILTERS)


def ranking_table(frame: pd.DataFrame, area_name: str | None) -> html.Table | html.P:
    if frame.empty:
        return html.P("No municipality matches these filters.", className="empty")
    area_column = next((c for c in frame.columns if c.startswith("score_")), None)
    head = ["Rank", "Municipality", "Country", "Region", "Population", "Overall score", "Rests on"]
    if area_column:
        head.append(f"{area_name} score")
    body = []
    for r in frame.itertuples(index=False):
        ranked = not pd.isna(r.overall)
        cells = [
            html.Td(str(r.rank) if ranked else "—", className="num"),
            html.Th(
                [
                    dcc.Link(r.municipality, href=q.scorecard_href(r.municipality_code)),
                    "" if r.active else html.Span(" (no longer reporting)", className="muted"),
                ],
                scope="row",
            ),
            html.Td(r.country),
            html.Td(r.region),
            html.Td(r.population_band or "—"),
            html.Td(f"{r.overall:.1f}" if ranked else "not ranked: too many missing", className="num"),
            html.Td(r.rests_on if ranked else f"{r.n_indicators} of {r.n_scored} indicators"),
        ]
        if area_column:
            value = getattr(r, area_column)
            cells.append(html.Td("—" if value is None or pd.isna(value) else f"{value:.1f}", className="num"))
        body.append(html.Tr(cells, className="" if ranked else "not-ranked"))
    return html.Table(
        [
            html.Caption("Municipalities by overall score (mean of the area scores, 0-100)"),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
            html.Tbody(body),
        ],
        className="data-table compare-ranking",
        id=RANKING,
    )


def legend() -> html.P:
    marks = [f"{STATUS_SYMBOLS[s]} {STATUS_LABELS[s]}" for s in (Status.GREEN, Status.AMBER, Status.RED)]
    return html.P(
        [
            "Colour: the 0-100 score (dark = far from the 2030 target, light = at the target; grey = no "
            "value). Symbol in each cell: the status, ",
            ", ".join(marks),
            f"; {q.STALE_MARK} marks a stale value (too old to count in the ranking). "
            "Hover a cell for the real value, its unit and year; click it to open the municipality's "
            "scorecard.",
        ],
        className="compare-note compare-legend",
    )


def layout(
    country: str | None = None,
    region: str | None = None,
    band: str | None = None,
    area: str | None = None,
    **_: str,
) -> html.Div:
    catalog = get_context().catalog
    snapshot = get_snapshot()
    filters = q.parse_filters(snapshot, catalog, country=country, region=region, band=band, area=area)
    ranking = q.ranking(snapshot, catalog, filters)
    n_municipalities = len(ranking)
    n_ranked = int(ranking["overall"].notna().sum()) if n_municipalities else 0
    n_indicators = len(q.indicators_in(catalog, filters))
    area_name = catalog.areas[filters.area].name.en if filters.area else None
    return html.Div(
        [
            dcc.Location(id=LOCATION, refresh="callback-nav"),
            html.H1("Compare municipalities"),
            html.P(
                "Each indicator's latest value on a common 0-100 scale (0 = the worst value seen, 100 = the "
                "2030 target), so that indicators in different units can be compared and ranked.",
                className="lead",
            ),
            _filters(snapshot, catalog, filters),
            dcc.Store(id=STATE, data=filters.params()),
            dcc.Store(
                id=ROWS, data=dict(zip(ranking["municipality"], ranking["municipality_code"], strict=True))
            ),
            html.P(
                f"{n_municipalities} municipalities × {n_indicators} indicators"
                + (f" ({area_name})" if area_name else "")
                + f"; {n_ranked} ranked.",
                id=SUMMARY,
                className="result-count",
                role="status",
            ),
            html.Section(
                [
                    html.H2("Scores by indicator"),
                    legend(),
                    dcc.Graph(
                        id=HEATMAP,
                        figure=_heatmap(snapshot, catalog, filters),
                        config=GRAPH_CONFIG,
                        className="compare-heatmap",
                    ),
                    download_controls(HEATMAP_DOWNLOAD, "heatmap data"),
                ],
                className="compare-section",
            ),
            html.Section(
                [
                    html.H2("Ranking"),
                    html.P(
                        "A municipality with more than 20% of its scored indicators missing or stale is not "
                        "ranked. Each rank says how many indicators it rests on. Names open the scorecard.",
                        className="compare-note",
                    ),
                    ranking_table(ranking, area_name),
                    download_controls(RANKING_DOWNLOAD, "ranking"),
                ],
                className="compare-section",
            ),
        ],
        className="compare-page",
    )


@per_snapshot
def _heatmap(snapshot: Snapshot, catalog: Catalog, filters: q.Filters) -> go.Figure:
    """The heatmap of a view, drawn once per data change (figures are not modified afterwards)."""
    order = tuple(q.ranking(snapshot, catalog, filters)["municipality_code"])
    return heatmap_figure(q.heatmap_cells(q.heatmap_frame(snapshot, catalog, filters, order=order), catalog))


def download_frame(what: str, params: dict | None) -> tuple[pd.DataFrame, str]:
    """The heatmap's long table or the ranking for the view in ``params``, and a file name."""
    catalog = get_context().catalog
    snapshot = get_snapshot()
    filters = q.parse_filters(snapshot, catalog, **{k: (params or {}).get(k) for k in q.FILTER_PARAMS})
    suffix = "".join(f"-{v}" for v in filters.params().values() if v)
    suffix = "".join(c if c.isalnum() or c in "-_" else "_" for c in suffix)
    ranking = q.ranking(snapshot, catalog, filters)
    if what == "heatmap":
        order = tuple(ranking["municipality_code"])
        return q.heatmap_frame(snapshot, catalog, filters, order=order), f"compare-scores{suffix}"
    return ranking, f"compare-ranking{suffix}"


register_download(HEATMAP_DOWNLOAD, STATE, lambda params: download_frame("heatmap", params))
register_download(RANKING_DOWNLOAD, STATE, lambda params: download_frame("ranking", params))


@callback(
    Output(LOCATION, "href"), Input(HEATMAP, "clickData"), State(ROWS, "data"), prevent_initial_call=True
)
def _open_scorecard(click_data: dict | None, rows: dict | None) -> str:
    """A click on a cell opens that municipality's scorecard."""
    target = q.href_from_click(click_data, rows or {})
    return target if target else no_update
