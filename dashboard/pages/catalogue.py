"""Catalogue browser: every indicator with its SDG links, formula, thresholds; searchable."""

from __future__ import annotations

import dash
from dash import Input, Output, callback, clientside_callback, dcc, html

from dashboard.components.catalogue import LANGUAGE_NAMES, indicator_card
from dashboard.context import get_context
from dashboard.queries import search_indicators

dash.register_page(__name__, path="/catalogue", name="Catalogue", title="Indicator catalogue", nav_order=90)

SEARCH = "catalogue-search"
AREA = "catalogue-area"
KIND = "catalogue-kind"
LANG = "catalogue-lang"
RESULTS = "catalogue-results"
COUNT = "catalogue-count"
URL_SYNC = "catalogue-url-sync"

KINDS = {"all": "All", "scored": "Scored indicators", "context": "Context figures"}


def layout(
    q: str | None = None, area: str | None = None, kind: str | None = None, lang: str | None = None, **_: str
) -> html.Div:
    catalog = get_context().catalog
    lang = lang if lang in LANGUAGE_NAMES else "en"
    return html.Div(
        [
            html.H1("Indicator catalogue"),
            html.P(
                "Every indicator the dashboard computes, the SDG targets it serves, how it is "
                "computed from the figures in a return, and the thresholds of its traffic light."
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Search", htmlFor=SEARCH),
                            dcc.Input(
                                id=SEARCH,
                                type="search",
                                value=q or "",
                                debounce=0.3,
                                placeholder="name, code, SDG (e.g. 10.c), field…",
                                autoComplete="off",
                            ),
                        ],
                        className="control",
                    ),
                    html.Div(
                        [
                            html.Label("Thematic area", htmlFor=AREA),
                            dcc.Dropdown(
                                id=AREA,
                                options=[{"label": "All areas", "value": ""}]
                                + [
                                    {"label": a.name.get(lang), "value": a.code}
                                    for a in catalog.areas.values()
                                ],
                                value=area if area in catalog.areas else "",
                                clearable=False,
                                searchable=False,
                            ),
                        ],
                        className="control",
                    ),
                    html.Fieldset(
                        [
                            html.Legend("Show"),
                            dcc.RadioItems(
                                id=KIND,
                                options=[{"label": v, "value": k} for k, v in KINDS.items()],
                                value=kind if kind in KINDS else "all",
                                inline=True,
                            ),
                        ],
                        className="control",
                    ),
                    html.Fieldset(
                        [
                            html.Legend("Language"),
                            dcc.RadioItems(
                                id=LANG,
                                options=[{"label": v, "value": k} for k, v in LANGUAGE_NAMES.items()],
                                value=lang,
                                inline=True,
                            ),
                        ],
                        className="control",
                    ),
                ],
                className="filters",
                role="search",
            ),
            html.P(id=COUNT, role="status", className="result-count"),
            html.Div(id=RESULTS),
            html.Div(id=URL_SYNC, hidden=True),
        ]
    )


def render_results(query: str | None, area: str | None, kind: str | None, lang: str) -> tuple[list, str]:
    """The indicator cards grouped by area, and a sentence saying how many were found."""
    catalog = get_context().catalog
    found = search_indicators(catalog, query=query, area=area or None, scored=None if kind == "all" else kind)
    sections = []
    for code, area_obj in catalog.areas.items():
        cards = [indicator_card(catalog, ind, lang) for ind in found if ind.area == code]
        if cards:
            sections.append(
                html.Section(
                    [html.H2(area_obj.name.get(lang)), html.P(area_obj.description.get(lang)), *cards],
                    className="area-section",
                    id=f"area-{code}",
                )
            )
    total = len(catalog.indicators)
    count = f"{len(found)} of {total} indicators" if len(found) != total else f"All {total} indicators"
    if not found:
        sections = [html.P("No indicator matches. Try fewer words, or another area.", className="empty")]
    return sections, count


@callback(
    Output(RESULTS, "children"),
    Output(COUNT, "children"),
    Input(SEARCH, "value"),
    Input(AREA, "value"),
    Input(KIND, "value"),
    Input(LANG, "value"),
)
def _update(query: str | None, area: str | None, kind: str | None, lang: str | None) -> tuple[list, str]:
    return render_results(query, area, kind, lang or "en")


# Keep the address bar in step with the filters (replaceState: no reload, no new history entry),
# so the current view is a link that can be sent to a colleague.
clientside_callback(
    """
    function(q, area, kind, lang) {
        const params = new URLSearchParams();
        if (q) params.set('q', q);
        if (area) params.set('area', area);
        if (kind && kind !== 'all') params.set('kind', kind);
        if (lang && lang !== 'en') params.set('lang', lang);
        const search = params.toString();
        window.history.replaceState(null, '', window.location.pathname + (search ? '?' + search : ''));
        return '';
    }
    """,
    Output(URL_SYNC, "children"),
    Input(SEARCH, "value"),
    Input(AREA, "value"),
    Input(KIND, "value"),
    Input(LANG, "value"),
)
