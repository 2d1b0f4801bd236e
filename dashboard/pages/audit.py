"""The audit log, for administrators: logins, failed logins, uploads, revisions, refusals and
account changes, newest first, filtered by action or by who acted (state in the URL)."""

from __future__ import annotations

import dash
from dash import html

from dashboard.auth import audit, current_principal
from dashboard.components.filters import choice_links, href
from dashboard.context import get_context
from data_ingest.audit import ACTIONS, describe, events
from data_ingest.db import session_scope

PATH = "/admin/audit"
TABLE = "audit-table"
LIMIT = 500

dash.register_page(__name__, path=PATH, name="Audit log", title="Audit log", nav_order=90, admin_only=True)


def layout(action: str | None = None, actor: str | None = None, **_: str) -> html.Div:
    if not current_principal().is_admin:
        audit("access-denied", PATH)
        return html.Div(
            [
                html.H1("Audit log"),
                html.P("Only administrators see the audit log. Log in with an admin account."),
            ]
        )
    action = action if action in ACTIONS else None
    with session_scope(get_context().engine) as session:
        found = events(session, limit=LIMIT, actor=actor or None, action=action)
        rows = [
            html.Tr(
                [
                    html.Td(f"{e.at:%Y-%m-%d %H:%M:%S}"),
                    html.Td(html.A(e.actor, href=href(PATH, {"action": action, "actor": e.actor}))),
                    html.Td(e.action, title=ACTIONS.get(e.action, "")),
                    html.Td(e.target),
                    html.Td(e.ip),
                    html.Td(describe(e)),
                ]
            )
            for e in found
        ]
    filters = [
        choice_links(
            "Action",
            "action",
            [("", "All"), *[(code, code) for code in ACTIONS]],
            action or "",
            path=PATH,
            params={"actor": actor},
            id="audit-action",
        )
    ]
    if actor:
        filters.append(
            html.P(
                ["Only ", html.Strong(actor), ". ", html.A("Everyone", href=href(PATH, {"action": action}))]
            )
        )
    shown = f"{len(rows)} event{'s' if len(rows) != 1 else ''}" + (
        f" (the newest {LIMIT})" if len(rows) == LIMIT else ""
    )
    return html.Div(
        [
            html.H1("Audit log"),
            html.P(
                "Who did what, when and from where. Times are UTC. The command line shows the same log: "
                "`migdash audit`.",
                className="lead",
            ),
            html.Div(filters, className="filters"),
            html.P(shown, className="result-count", role="status"),
            html.Div(
                html.Table(
                    [
                        html.Caption("Audit events, newest first"),
                        html.Thead(
                            html.Tr(
                                [
                                    html.Th(h, scope="col")
                                    for h in ("When (UTC)", "Who", "Action", "About", "From", "Details")
                                ]
                            )
                        ),
                        html.Tbody(rows),
                    ],
                    id=TABLE,
                    className="data-table",
                ),
                className="table-scroll",
                tabIndex=0,
                role="region",
                **{"aria-label": "Audit events"},
            ),
        ],
        className="audit-page",
    )
