"""The frame around every page: header with navigation, main area, footer with data freshness."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import dash
from dash import dcc, html
from flask import has_request_context, request

from . import queries
from .auth import LOGOUT_PATH, current_principal, login_href, safe_next
from .context import get_context

ASSETS = Path(__file__).resolve().parent / "assets"
SKIP_LINK = "skip-to-content"
MAIN = "main-content"


def import_pages() -> None:
    """Import page modules; each registers itself with dash.register_page on first import.

    Dash only looks up a page's ``layout`` itself when it scans a pages folder; pages imported
    explicitly (so that tests and several apps share one import) hand it over here.
    """
    import dashboard.pages

    for info in sorted(pkgutil.iter_modules(dashboard.pages.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"dashboard.pages.{info.name}")
        dash.page_registry[module.__name__]["layout"] = module.layout


def _nav() -> html.Nav:
    admin = current_principal().is_admin
    pages = sorted(
        (
            p
            for p in dash.page_registry.values()
            if p.get("nav_order") is not None and (admin or not p.get("admin_only"))
        ),
        key=lambda p: p["nav_order"],
    )
    return html.Nav(
        html.Ul([html.Li(dcc.Link(p["name"], href=p["relative_path"])) for p in pages]),
        className="site-nav",
        **{"aria-label": "Main"},
    )


def _account() -> html.Div:
    """Who is logged in and a logout button, or a link to log in (back to this page afterwards)."""
    principal = current_principal()
    if not principal.authenticated:
        back = "/"
        if has_request_context() and request.referrer:
            # The layout is fetched by the page it is for: its address is the Referer.
            back = safe_next(request.referrer.removeprefix(request.host_url.rstrip("/")))
        return html.Div(html.A("Log in", href=login_href(back)), className="account", id="account")
    return html.Div(
        [
            html.Span([html.Span(principal.username, className="account-name"), f" ({principal.role})"]),
            html.Form(html.Button("Log out", type="submit"), method="post", action=LOGOUT_PATH),
        ],
        className="account",
        id="account",
    )


def _freshness() -> str:
    latest = queries.data_freshness(get_context().engine)
    if latest is None:
        return "No returns received yet."
    return f"Data as of {latest:%d %B %Y, %H:%M} UTC (latest return received)."


def layout() -> html.Div:
    """Called for every page load, so the footer's data freshness is always current."""
    return html.Div(
        [
            html.A("Skip to content", href=f"#{MAIN}", className="skip-link", id=SKIP_LINK),
            html.Header(
                [
                    dcc.Link(
                        [
                            html.Span("migdash", className="brand-name"),
                            html.Span(
                                "Making migration work for the SDGs at local level", className="brand-tagline"
                            ),
                        ],
                        href="/",
                        className="brand",
                    ),
                    _nav(),
                    _account(),
                ],
                className="site-header",
            ),
            html.Main(dash.page_container, id=MAIN, className="site-main"),
            html.Footer(
                [
                    html.P(_freshness(), id="footer-freshness"),
                    html.P(
                        [
                            "migdash is open-source software. Figures of the bundled sample data are "
                            "fictional. ",
                            dcc.Link("How status and trend are computed", href="/methodology"),
                        ]
                    ),
                ],
                className="site-footer",
            ),
        ],
        className="site",
    )
