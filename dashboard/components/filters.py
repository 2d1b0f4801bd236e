"""Accessible, URL-driven controls: every choice is a link, so every view is a link to send.

Dash 4's dropdown and radio components fail axe's serious rules (nested interactive controls,
unnamed listboxes), so pages use plain links for choices and a native <input list> with a
<datalist> for searchable picks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

from dash import dcc, html


def href(path: str, params: Mapping[str, object]) -> str:
    """path?query with empty values left out."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "", [], ())}, doseq=False)
    return path + (f"?{query}" if query else "")


def choice_links(
    label: str,
    param: str,
    options: Sequence[tuple[str, str]],
    current: str | None,
    *,
    path: str,
    params: Mapping[str, object],
    id: str | None = None,  # noqa: A002 - Dash's keyword
) -> html.Nav:
    """A labelled row of links, one per option; the current one is marked with aria-current."""
    items = []
    for value, text in options:
        selected = (value or "") == (current or "")
        items.append(
            html.Li(
                html.A(
                    text,
                    href=href(path, {**params, param: value}),
                    className="choice" + (" selected" if selected else ""),
                    **({"aria-current": "true"} if selected else {}),
                )
            )
        )
    return html.Nav(
        [html.Span(label, className="choice-label"), html.Ul(items, className="choices")],
        className="choice-group",
        **({"id": id} if id else {}),
        **{"aria-label": label},
    )


def search_input(
    id: str,
    label: str,
    options: Sequence[tuple[str, str]],
    value: str = "",  # noqa: A002
    placeholder: str = "",
) -> html.Div:
    """A native search box with suggestions (<input list> + <datalist>), keyboard accessible."""
    return html.Div(
        [
            html.Label(label, htmlFor=id),
            dcc.Input(
                id=id,
                type="search",
                list=f"{id}-options",
                value=value,
                placeholder=placeholder,
                autoComplete="off",
                # The value is sent on Enter or when leaving the box: a timed debounce would let a
                # quick click on a button act on the previous value.
                debounce=True,
            ),
            html.Datalist([html.Option(value=v, label=t) for v, t in options], id=f"{id}-options"),
        ],
        className="control",
    )
