"""One indicator over the years for chosen municipalities, against its 2030 target and its
traffic-light zones; the values as a table; the definition and source from the catalogue.

The view lives in the URL: ?code=WORK-01&municipalities=XAA-001,XAA-003&disaggregation=women
(or ?country=XBB for a whole country), so every view is a link to send.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.components.catalogue import direction_text, indicator_link, readable_formula, sdg_chips
from dashboard.components.downloads import download_controls, register_download
from dashboard.components.filters import choice_links, href, search_input
from dashboard.components.status import status_badge, trend_badge
from dashboard.context import get_context, get_snapshot
from dashboard.figures.indicator import CHART_CONFIG, chart_summary, indicator_chart
from dashboard.queries import indicator as q
from dashboard.queries.scorecard import display_names, target_text
from data_ingest.catalog import TOTAL, Catalog, Indicator
from data_ingest.catalog_docs import threshold_text

dash.register_page(__name__, path="/indicator", name="Indicator", title="Indicator over time", nav_order=20)

PATH = "/indicator"
SEARCH = "indicator-search"
SEARCH_STATUS = "indicator-search-status"
LOCATION = "indicator-location"
STATE = "indicator-state"
CHART = "indicator-chart"
CHART_DOWNLOAD = "indicator-data"
CHOOSER = "indicator-chooser"
MUNICIPALITIES = "indicator-municipalities"
BREAKDOWN = "indicator-breakdown"
TABLE = "indicator-table"
LATEST = "indicator-latest"
DEFINITION = "indicator-definition"
NO_VALUES = "indicator-no-values"


def layout(
    code: str | None = None,
    municipalities: str | None = None,
    country: str | None = None,
    disaggregation: str | None = None,
    **_: str,
) -> html.Div:
    catalog = get_context().catalog
    snapshot = get_snapshot()
    ind = catalog.indicators.get((code or "").strip().upper())
    selection = q.select_municipalities(snapshot, municipalities, country)
    breakdown = q.parse_disaggregation(catalog, ind, disaggregation) if ind else TOTAL
    params = {
        "code": ind.code if ind else None,
        "municipalities": ",".join(selection.codes) if selection.explicit else None,
        "country": selection.country if not selection.explicit and country else None,
        "disaggregation": None if breakdown == TOTAL else breakdown,
    }
    children: list = [
        html.H1(
            [html.Span(ind.code, className="indicator-code"), " ", ind.name.en]
            if ind
            else "Indicator over time"
        ),
        html.Div(
            [
                search_input(
                    SEARCH,
                    "Find an indicator",
                    q.indicator_options(catalog),
                    placeholder="code or name, e.g. WORK-01",
                ),
                html.P(id=SEARCH_STATUS, role="status", className="indicator-search-status"),
            ],
            role="search",
            className="indicator-search",
        ),
        dcc.Location(id=LOCATION, refresh="callback-nav"),
        dcc.Store(id=STATE, data={**params, "codes": selection.codes, "disaggregation": breakdown}),
        _chooser(catalog, ind, params),
    ]
    if code and ind is None:
        children.insert(
            1, html.P(f"There is no indicator with the code “{code}”. Choose one below.", className="empty")
        )
    if ind is not None:
        children += indicator_view(snapshot, catalog, ind, selection, breakdown, params)
    return html.Div(children, className="indicator-over-time")


def _chooser(catalog: Catalog, ind: Indicator | None, params: dict) -> html.Details:
    keep = {"municipalities": params["municipalities"], "country": params["country"]}
    return html.Details(
        [
            html.Summary("Browse indicators by thematic area"),
            html.Div(
                [
                    choice_links(
                        name,
                        "code",
                        [(i.code, f"{i.code} {i.name.en}") for i in inds],
                        ind.code if ind else None,
                        path=PATH,
                        params=keep,
                    )
                    for _, name, inds in q.indicators_by_area(catalog)
                    if inds
                ],
                className="filters",
            ),
        ],
        open=ind is None,
        id=CHOOSER,
        className="indicator-chooser",
    )


def _municipality_links(snapshot, selection: q.Selection, params: dict) -> html.Div:
    base = {"code": params["code"], "disaggregation": params["disaggregation"]}
    frame = snapshot.municipalities
    countries = list(dict.fromkeys(zip(frame["country_code"], frame["country"], strict=True)))
    country_links = choice_links(
        "Whole country",
        "country",
        [(str(c), f"{name} ({c})") for c, name in countries],
        selection.country if not selection.explicit else None,
        path=PATH,
        params=base,
        id="indicator-country",
    )
    names = display_names(snapshot)
    groups = []
    for c, name in countries:
        items = []
        for _, m in frame[frame["country_code"] == c].iterrows():
            on = m["code"] in selection.codes
            new = q.toggled(selection.codes, str(m["code"]))
            items.append(
                html.Li(
                    html.A(
                        [html.Span("✓ " if on else "+ ", **{"aria-hidden": "true"}), names[str(m["code"])]],
                        href=href(PATH, {**base, "municipalities": ",".join(new)}),
                        className="choice" + (" selected" if on else ""),
                        title=f"{'Remove' if on else 'Add'} {m['name']} ({m['code']})",
                        **({"aria-current": "true"} if on else {}),
                    )
                )
            )
        groups.append(
            html.Nav(
                [html.Span(name, className="choice-label"), html.Ul(items, className="choices")],
                className="choice-group",
                **{"aria-label": f"Municipalities of {name}: add or remove"},
            )
        )
    return html.Div(
        [
            html.H2("Municipalities"),
            country_links,
            html.P("Add or remove one municipality (selected ones are ticked):", className="small-print"),
            *groups,
        ],
        id=MUNICIPALITIES,
        className="filters",
    )


def indicator_view(
    snapshot, catalog: Catalog, ind: Indicator, selection: q.Selection, breakdown: str, params: dict
) -> list:
    settings = get_context().settings
    frame = q.chart_frame(snapshot, ind, selection.codes, breakdown)
    labels = dict(q.disaggregation_options(catalog, ind))
    title = ind.name.en + ("" if breakdown == TOTAL else f" — {labels[breakdown]}")
    figure = indicator_chart(
        frame, ind, title=title, target_year=settings.target_year, base_year=settings.base_year
    )
    breakdown_links = choice_links(
        "Breakdown",
        "disaggregation",
        [("" if c == TOTAL else c, text) for c, text in q.disaggregation_options(catalog, ind)],
        "" if breakdown == TOTAL else breakdown,
        path=PATH,
        params={k: v for k, v in params.items() if k != "disaggregation"},
        id=BREAKDOWN,
    )
    with_values = set(frame[frame["value"].notna()]["municipality_code"])
    without = [c for c in selection.codes if c not in with_values]
    empty_note = []
    if not with_values:
        empty_note = [
            html.P(
                f"No values of this indicator ({labels[breakdown].lower()}) for the selected municipalities.",
                className="empty",
            )
        ]
    elif without:
        names = display_names(snapshot)
        empty_note = [
            html.P(
                f"No values ({labels[breakdown].lower()}) for: " + ", ".join(names[c] for c in without) + ".",
                className="empty",
                id=NO_VALUES,
            )
        ]
    return [
        html.P(ind.description.en, className="lead"),
        _municipality_links(snapshot, selection, params),
        breakdown_links,
        *empty_note,
        html.Figure(
            [
                dcc.Graph(id=CHART, figure=figure, config=CHART_CONFIG, className="indicator-graph"),
                html.Figcaption(chart_summary(frame, ind, settings.target_year), className="small-print"),
            ],
            className="indicator-figure",
        ),
        html.P(
            [
                f"Target for {settings.target_year}: {target_text(ind)}. Thresholds: {threshold_text(ind)}. ",
                "Shaded bands: green zone (good) and red zone (far behind); between them is part way.",
            ]
            if ind.scored
            else "A context figure: shown for information, never scored, so no target or zones are drawn.",
            className="small-print",
        ),
        download_controls(CHART_DOWNLOAD, "chart data"),
        _latest_table(snapshot, ind, selection) if breakdown == TOTAL else html.Div(),
        _data_table(frame, labels[breakdown]),
        _definition(catalog, ind),
    ]


def _latest_table(snapshot, ind: Indicator, selection: q.Selection) -> html.Section:
    latest = q.latest_frame(snapshot, ind, selection.codes)
    head = ["Municipality", "Latest value", "Status" if ind.scored else None, "Trend"]
    head = [h for h in head if h]
    body = []
    for r in latest.to_dict("records"):
        value = r["value_text"] + (f" ({r['year']})" if r["value"] is not None and r["year"] else "")
        cells = [
            html.Th(
                dcc.Link(
                    r["municipality"], href=href("/scorecard", {"municipality": r["municipality_code"]})
                ),
                scope="row",
            ),
            html.Td(value),
        ]
        if ind.scored:
            cells.append(html.Td(status_badge(r["status"], stale=r["stale"])))
        cells.append(html.Td(trend_badge(r["trend"])))
        body.append(html.Tr(cells))
    return html.Section(
        [
            html.H2("Latest status"),
            html.Table(
                [
                    html.Caption("Latest value, status and trend of each selected municipality"),
                    html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
                    html.Tbody(body),
                ],
                className="data-table",
            ),
        ],
        id=LATEST,
    )


def _data_table(frame, breakdown_label: str) -> html.Section:
    body = [
        html.Tr(
            [
                html.Td(f"{r['municipality']} ({r['municipality_code']})"),
                html.Td(str(r["year"])),
                html.Td(r["value_text"], className="no-data" if r["value_text"] == "no data" else None),
                html.Td(r["unit"]),
                html.Td(r["missing_reason"] or ""),
            ]
        )
        for r in frame.to_dict("records")
    ]
    if not body:
        body = [html.Tr(html.Td("No values for this selection.", colSpan=5, className="empty"))]
    return html.Section(
        [
            html.H2("The values"),
            html.Div(
                html.Table(
                    [
                        html.Caption(f"Values by municipality and year ({breakdown_label.lower()})"),
                        html.Thead(
                            html.Tr(
                                [
                                    html.Th(h, scope="col")
                                    for h in ("Municipality", "Year", "Value", "Unit", "Why missing")
                                ]
                            )
                        ),
                        html.Tbody(body),
                    ],
                    className="data-table",
                ),
                className="table-scroll",
            ),
        ],
        id=TABLE,
    )


def _definition(catalog: Catalog, ind: Indicator) -> html.Section:
    facts = [
        ("Thematic area", catalog.areas[ind.area].name.en),
        ("Unit", f"{ind.unit} ({ind.kind})"),
        ("Direction", direction_text(ind)),
        ("Target and thresholds", threshold_text(ind)),
        ("Formula", html.Span(readable_formula(catalog, ind), className="formula")),
        ("Source", ind.source),
    ]
    return html.Section(
        [
            html.H2("Definition and source"),
            html.P(ind.description.en),
            sdg_chips(ind),
            html.Dl([item for k, v in facts for item in (html.Dt(k), html.Dd(v))], className="facts"),
            html.P(["Full catalogue entry: ", indicator_link(ind)]),
        ],
        id=DEFINITION,
    )


# ---------------------------------------------------------------------------------------------
# Callbacks


def target_href(text: str | None, state: dict | None) -> str | None:
    """Where the search box leads: the chosen indicator with the same municipalities, or None."""
    code = q.parse_indicator(text, get_context().catalog)
    if code is None:
        return None
    state = state or {}
    return href(
        PATH, {"code": code, "municipalities": state.get("municipalities"), "country": state.get("country")}
    )


@callback(
    Output(LOCATION, "href"),
    Output(SEARCH_STATUS, "children"),
    Input(SEARCH, "value"),
    State(STATE, "data"),
    prevent_initial_call=True,
)
def _go(text: str | None, state: dict | None):
    if not text:
        return no_update, ""
    target = target_href(text, state)
    if target is None:
        return no_update, f"No indicator matches “{text}”. Pick one of the suggestions or type its code."
    return target, ""


def chart_table(state: dict | None) -> tuple | None:
    """The chart's data as a table to download, or None before an indicator is chosen."""
    if not state or not state.get("code"):
        return None
    ind = get_context().catalog.indicators[state["code"]]
    frame = q.chart_frame(get_snapshot(), ind, state["codes"], state.get("disaggregation") or TOTAL)
    return q.download_frame(frame), f"{ind.code}-values"


register_download(CHART_DOWNLOAD, STATE, chart_table)
