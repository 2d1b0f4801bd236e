"""Pieces shared by the catalogue pages (and later by every indicator mention)."""

from __future__ import annotations

from dash import dcc, html

from data_ingest.catalog import Catalog, Indicator
from data_ingest.catalog_docs import threshold_text

LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}
SDG_GOAL_URL = "https://sdgs.un.org/goals/goal{goal}"


def indicator_href(code: str, lang: str = "en") -> str:
    return f"/catalogue/{code}" + (f"?lang={lang}" if lang != "en" else "")


def indicator_link(ind: Indicator, lang: str = "en") -> dcc.Link:
    """The way every page mentions an indicator: its name, linked to its catalogue entry."""
    return dcc.Link(ind.name.get(lang), href=indicator_href(ind.code, lang))


def sdg_chips(ind: Indicator) -> html.Ul:
    return html.Ul(
        [
            html.Li(
                html.A(
                    f"SDG {code}",
                    href=SDG_GOAL_URL.format(goal=code.split(".")[0]),
                    title=f"SDG {'indicator' if code.count('.') == 2 else 'target'} {code}",
                    target="_blank",
                    rel="noopener",
                ),
                className="sdg-chip",
            )
            for code in ind.sdg_targets
        ],
        className="sdg-chips",
        **{"aria-label": "SDG targets"},
    )


def direction_text(ind: Indicator) -> str:
    return {
        "increase": "higher is better",
        "decrease": "lower is better",
        "parity": f"closer to {ind.parity:g} (parity) is better" if ind.parity is not None else "parity",
        "none": "context figure, not scored",
    }[ind.direction]


def readable_formula(catalog: Catalog, ind: Indicator, lang: str = "en") -> str:
    formula = catalog.formulas[ind.code]
    return formula.readable({f: catalog.raw_fields[f].label.get(lang) for f in formula.fields})


def indicator_card(catalog: Catalog, ind: Indicator, lang: str = "en") -> html.Article:
    return html.Article(
        [
            html.H3([html.Span(ind.code, className="indicator-code"), " ", indicator_link(ind, lang)]),
            html.P(ind.description.get(lang), className="indicator-description"),
            sdg_chips(ind),
            html.Dl(
                [
                    html.Dt("Unit"),
                    html.Dd(f"{ind.unit} · {ind.kind} · {direction_text(ind)}"),
                    html.Dt("Thresholds"),
                    html.Dd(threshold_text(ind)),
                    html.Dt("Formula"),
                    html.Dd(readable_formula(catalog, ind, lang), className="formula"),
                ],
                className="facts",
            ),
        ],
        className="indicator-card",
        id=f"indicator-{ind.code}",
    )
