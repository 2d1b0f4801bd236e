"""Catalogue browser: every indicator with its SDG links, formula, thresholds; searchable."""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, clientside_callback, dcc, html

from dashboard.components.catalogue import LANGUAGE_NAMES, indicator_card
from dashboard.components.filters import choice_links
from dashboard.context import get_context
from dashboard.queries import search_indicators

dash.register_page(__name__, path="/catalogue", name="Catalogue", title="Indicator catalogue", nav_order=90)

SEARCH = "catalogue-search"
STATE = "catalogue-state"
FILTERS = "catalogue-filters"
RESULTS = "catalogue-results"
COUNT = "catalogue-count"
URL_SYNC = "catalogue-url-sync"

KINDS = {"all": "All", "scored": "Scored indicators", "context": "Context figures"}


def layout(
    q: str | None = None, area: str | None = None, kind: str | None = None, lang: str | None = None, **_: str
) -> html.Div:
    catalog = get_context().catalog
    state = {
        "area": area if area in catalog.areas else "",
        "kind": kind if kind in KINDS else "all",
        "lang": lang if lang in LANGUAGE_NAMES else "en",
    }
    return html.Div(
        [
            html.H1("Indicator catalogue"),
            html.P(
                "Every indicator the dashboard computes, the SDG targets it serves, how it is "
                "computed from the figures in a return, and the thresholds of its traffic light."
            ),
            html.Div(
                [
                    html.Label("Search", htmlFor=SEARCH),
                    dcc.Input(
                        id=SEARCH,
                        type="search",
                        value=q or "",
                        debounce=0.3,
                        autoComplete="off",
                        placeholder="name, code, SDG (e.g. 10.c), field…",
                    ),
                ],
                className="control",
                role="search",
            ),
            dcc.Store(id=STATE, data=state),
            html.Div(id=FILTERS, className="filters"),
            html.P(id=COUNT, role="status", className="result-count"),
            html.Div(id=RESULTS),
            html.Div(id=URL_SYNC, hidden=True),
        ]
    )


def render(query: str | None, state: dict) -> tuple[list, list, str]:
    """Filter links (keeping the search), indicator cards grouped by area, and a count."""
    catalog = get_context().catalog
    area, kind, lang = state["area"], state["kind"], state["lang"]
    params = {
        "q": query or "",
        "area": area,
        "kind": "" if kind == "all" else kind,
        "lang": "" if lang == "en" else lang,
    }
    filters = [
        choice_links(
            "Thematic area",
            "area",
            [("", "All areas")] + [(a.code, a.name.get(lang)) for a in catalog.areas.values()],
            area,
            path="/catalogue",
            params=params,
        ),
        choice_links(
            "Show",
            "kind",
            [("" if k == "all" else k, v) for k, v in KINDS.items()],
            "" if kind == "all" else kind,
            path="/catalogue",
            params=params,
        ),
        choice_links(
            "Language",
            "lang",
            [("" if k == "en" else k, v) for k, v in LANGUAGE_NAMES.items()],
            "" if lang == "en" else lang,
            path="/catalogue",
            params=params,
        ),
    ]
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
    return filters, sections, count


@callback(
    Output(FILTERS, "children"),
    Output(RESULTS, "children"),
    Output(COUNT, "children"),
    Input(SEARCH, "value"),
    State(STATE, "data"),
)
def _update(query: str | None, state: dict) -> tuple[list, list, str]:
    return render(query, state)


# Keep the address bar in step with the search box (replaceState: no reload, no new history
# entry), so the current view is a link that can be sent to a colleague.
clientside_callback(
    """
    function(q) {
        const params = new URLSearchParams(window.location.search);
        if (q) { params.set('q', q); } else { params.delete('q'); }
        const search = params.toString();
        window.history.replaceState(null, '', window.location.pathname + (search ? '?' + search : ''));
        return '';
    }
    """,
    Output(URL_SYNC, "children"),
    Input(SEARCH, "value"),
)
