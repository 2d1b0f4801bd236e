"""One indicator's catalogue entry, at /catalogue/<code>."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard.components.catalogue import (
    LANGUAGE_NAMES,
    direction_text,
    indicator_href,
    readable_formula,
    sdg_chips,
)
from dashboard.context import get_context
from data_ingest.catalog_docs import threshold_text

dash.register_page(
    __name__, path_template="/catalogue/<code>", name="Indicator definition", title="Indicator definition"
)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def layout(code: str | None = None, lang: str | None = None, **_: str) -> html.Div:
    catalog = get_context().catalog
    lang = lang if lang in LANGUAGE_NAMES else "en"
    ind = catalog.indicators.get((code or "").upper())
    if ind is None:
        return html.Div(
            [
                html.H1("Indicator not found"),
                html.P(
                    [
                        f"There is no indicator with the code “{code}”. ",
                        dcc.Link("Search the catalogue", href="/catalogue"),
                        ".",
                    ]
                ),
            ]
        )
    area = catalog.areas[ind.area]
    formula = catalog.formulas[ind.code]
    facts = [
        ("Code", ind.code),
        ("Thematic area", dcc.Link(area.name.get(lang), href=f"/catalogue?area={area.code}")),
        ("Unit", f"{ind.unit} ({ind.kind})"),
        ("Direction", direction_text(ind)),
        ("Target and thresholds", threshold_text(ind)),
    ]
    if ind.bounds:
        facts.append(("Valid range", f"{_fmt(ind.bounds[0])} to {_fmt(ind.bounds[1])}"))
    if ind.worst is not None:
        facts.append(("Score anchor (worst)", _fmt(ind.worst)))
    if ind.disaggregations:
        facts.append(("Disaggregations", ", ".join(ind.disaggregations)))
    facts.append(("Source", ind.source))
    return html.Div(
        [
            html.P(
                dcc.Link("← All indicators", href="/catalogue" + (f"?lang={lang}" if lang != "en" else ""))
            ),
            html.H1([html.Span(ind.code, className="indicator-code"), " ", ind.name.get(lang)]),
            html.P(ind.description.get(lang), className="lead"),
            sdg_chips(ind),
            html.H2("How it is computed"),
            html.P(readable_formula(catalog, ind, lang), className="formula", id="indicator-formula"),
            html.Table(
                [
                    html.Caption("Figures of the return used by this indicator"),
                    html.Thead(
                        html.Tr(
                            [
                                html.Th("Field code", scope="col"),
                                html.Th("Label", scope="col"),
                                html.Th("Unit", scope="col"),
                            ]
                        )
                    ),
                    html.Tbody(
                        [
                            html.Tr(
                                [
                                    html.Td(html.Code(f)),
                                    html.Td(catalog.raw_fields[f].label.get(lang)),
                                    html.Td(catalog.raw_fields[f].unit),
                                ]
                            )
                            for f in formula.fields
                        ]
                    ),
                ],
                className="data-table",
            ),
            html.H2("Facts"),
            html.Dl(
                [item for label, value in facts for item in (html.Dt(label), html.Dd(value))],
                className="facts",
            ),
            html.P(
                ["In other languages: "]
                + [
                    item
                    for other in LANGUAGE_NAMES
                    if other != lang
                    for item in (dcc.Link(LANGUAGE_NAMES[other], href=indicator_href(ind.code, other)), " ")
                ]
            ),
        ],
        className="indicator-page",
    )
