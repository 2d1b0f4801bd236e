"""One submission's validation report, at /coverage/submission/<id>: the file, who sent it and
when, what it covers, and every issue with its sheet and cell, as stored when it was received."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

from dashboard.auth import audit, current_principal, login_href
from dashboard.components.downloads import download_controls, register_download
from dashboard.components.filters import href
from dashboard.context import get_context
from dashboard.queries.coverage import submission_detail
from dashboard.queries.upload import (
    SEVERITY_LABELS,
    SEVERITY_SYMBOLS,
    count_text,
    issue_rows,
    issues_frame,
)

dash.register_page(
    __name__,
    path_template="/coverage/submission/<submission_id>",
    name="Submission report",
    title="Submission report",
)

ID_STORE = "submission-id"
ISSUES = "submission-issues"
STATUS = "submission-status"
FACTS = "submission-facts"
RETURNS = "submission-returns"
DOWNLOAD = "submission-issues-dl"

SUBMISSION_STATUS = {
    "accepted": ("✔", "Accepted", "its figures are on the dashboard"),
    "rejected": ("✖", "Rejected", "it has errors, so none of its figures were stored; the file is kept"),
    "superseded": ("↻", "Superseded", "a later file for the same municipality and year replaced it"),
}
LAYOUTS = {
    "template": "the return template",
    "wide": "a wide table (one row per municipality)",
    "long": "a long table (one row per figure)",
}


def issues_table(rows: list[dict[str, Any]], *, caption: str, table_id: str | None = None) -> html.Table:
    """Sheet, cell, severity (symbol and word), problem, how to fix: one row per issue."""
    body = []
    for row in rows:
        severity = row["severity"]
        body.append(
            html.Tr(
                [
                    html.Td(row["sheet"] or "—"),
                    html.Td(html.Code(row["cell"]) if row["cell"] else "—", className="issue-cell"),
                    html.Td(
                        html.Span(
                            [
                                html.Span(
                                    SEVERITY_SYMBOLS.get(severity, "!"),
                                    className="severity-symbol",
                                    **{"aria-hidden": "true"},
                                ),
                                SEVERITY_LABELS.get(severity, severity),
                            ],
                            className=f"severity severity-{severity}",
                        )
                    ),
                    html.Td(row["problem"]),
                    html.Td(row["how_to_fix"]),
                ],
                className=f"issue-row issue-{severity}",
            )
        )
    return html.Table(
        [
            html.Caption(caption),
            html.Thead(
                html.Tr(
                    [
                        html.Th("Sheet", scope="col"),
                        html.Th("Cell", scope="col"),
                        html.Th("Severity", scope="col"),
                        html.Th("Problem", scope="col"),
                        html.Th("How to fix", scope="col"),
                    ]
                )
            ),
            html.Tbody(body),
        ],
        className="data-table issues-table",
        **({"id": table_id} if table_id else {}),
    )


def _not_found(submission_id: str | None) -> html.Div:
    return html.Div(
        [
            html.H1("Submission not found"),
            html.P(
                [
                    f"There is no submission with the number “{submission_id or ''}”. ",
                    dcc.Link("See the reporting coverage", href="/coverage"),
                    ".",
                ]
            ),
        ]
    )


def _not_allowed(submission_id: int) -> html.Div:
    if current_principal().authenticated:
        text = [
            f"Submission {submission_id} was not accepted and is not about a municipality you report for: "
            "only programme staff and the municipality's own users see it."
        ]
    else:
        text = [
            f"Submission {submission_id} was not accepted, so its report is not public. ",
            html.A("Log in", href=login_href(f"/coverage/submission/{submission_id}")),
            " if it is about your municipality.",
        ]
    return html.Div([html.H1("Not a public submission"), html.P(text)])


def visible_detail(submission_id: object) -> tuple[dict[str, Any] | None, bool]:
    """The submission's detail, if it exists, and whether the current user may see it."""
    number = int(submission_id) if submission_id is not None and str(submission_id).isdigit() else None
    detail = submission_detail(get_context().engine, number) if number is not None else None
    if detail is None:
        return None, False
    allowed = current_principal().may_see_submission(
        status=detail["status"], municipality_id=detail["municipality_id"], uploader=detail["uploader"]
    )
    return detail, allowed


def layout(submission_id: str | None = None, **_: str) -> html.Div:
    detail, allowed = visible_detail(submission_id)
    if detail is None:
        return _not_found(submission_id)
    if not allowed:
        audit("access-denied", f"submission {detail['id']}")
        return _not_allowed(detail["id"])
    show_uploader = current_principal().may_see_uploader(
        municipality_id=detail["municipality_id"], uploader=detail["uploader"]
    )
    report = detail["report"]
    rows = issue_rows(report)
    symbol, label, meaning = SUBMISSION_STATUS.get(detail["status"], ("?", detail["status"], ""))
    summary = report.get("summary") or {}
    facts = [
        ("File", detail["filename"]),
        ("Received", f"{detail['received_at']:%d %B %Y, %H:%M} UTC"),
        (
            "Uploaded by",
            (detail["uploader"] or "—") if show_uploader else "not shown (log in as programme staff)",
        ),
        ("Read as", LAYOUTS.get(detail["layout"] or "", detail["layout"] or "not recognised")),
    ]
    if summary:
        n = int(summary.get("municipalities", 0))
        covered = f"{n} municipalit{'y' if n == 1 else 'ies'}"
        years = ", ".join(str(y) for y in summary.get("years", []))
        facts.append(("Covers", f"{covered}, {years}" if years else covered))
        facts.append(
            (
                "Figures",
                f"{summary.get('values', 0)} read, {summary.get('missing', 0)} blank or marked not available",
            )
        )
    facts.append(("File fingerprint (SHA-256)", html.Code(detail["sha256"], className="sha")))
    errors, warnings = int(report.get("errors", 0)), int(report.get("warnings", 0))
    children: list = [
        html.P(dcc.Link("← Reporting coverage", href="/coverage"), className="breadcrumb"),
        html.H1(f"Submission {detail['id']}: validation report"),
        html.P(
            [
                html.Span(
                    [html.Span(symbol, className="state-symbol", **{"aria-hidden": "true"}), label],
                    className=f"state-chip submission-{detail['status']}",
                ),
                f" {meaning}.",
            ],
            id=STATUS,
            className="submission-status",
        ),
        html.Dl(
            [item for term, value in facts for item in (html.Dt(term), html.Dd(value))],
            id=FACTS,
            className="facts",
        ),
        dcc.Store(id=ID_STORE, data=detail["id"]),
    ]
    if detail["returns"]:
        children += [html.H2("Returns in this file"), _returns_table(detail["returns"])]
    children.append(html.H2("Problems found"))
    summary_text = f"{count_text(errors, warnings).capitalize()} found when the file was received."
    if errors and detail["status"] == "rejected":
        summary_text += " Nothing was stored; the file is kept so that it is never lost."
    elif warnings and detail["status"] != "rejected":
        summary_text += " The warnings were confirmed when the file was submitted."
    children.append(html.P(summary_text, className="issues-summary"))
    if rows:
        children.append(
            html.Div(
                issues_table(rows, caption="Problems by sheet and cell", table_id=ISSUES),
                className="table-scroll",
                tabIndex=0,
                role="region",
                **{"aria-label": "Problems found"},
            )
        )
        if report.get("not_shown"):
            children.append(html.P(f"… and {report['not_shown']} more not shown.", className="note"))
        children.append(download_controls(DOWNLOAD, "the problems"))
    return html.Div(children, className="submission-page")


def _returns_table(returns: list[dict[str, Any]]) -> html.Table:
    body = []
    for r in returns:
        if r["status"] == "current":
            status = "Current"
        elif r["superseded_by_submission"]:
            status = [
                "Superseded by ",
                dcc.Link(
                    f"submission {r['superseded_by_submission']}",
                    href=f"/coverage/submission/{r['superseded_by_submission']}",
                ),
            ]
        else:
            status = "Superseded"
        body.append(
            html.Tr(
                [
                    html.Th(
                        [
                            dcc.Link(r["name"], href=href("/scorecard", {"municipality": r["code"]})),
                            " ",
                            html.Span(r["code"], className="muni-code"),
                        ],
                        scope="row",
                    ),
                    html.Td(str(r["year"])),
                    html.Td(status),
                ]
            )
        )
    return html.Table(
        [
            html.Caption("Municipality-years this file reported"),
            html.Thead(
                html.Tr(
                    [
                        html.Th("Municipality", scope="col"),
                        html.Th("Year", scope="col"),
                        html.Th("Status", scope="col"),
                    ]
                )
            ),
            html.Tbody(body),
        ],
        id=RETURNS,
        className="data-table",
    )


def problems_table(submission_id: int | None) -> tuple | None:
    detail, allowed = visible_detail(submission_id)
    if detail is None or not allowed:  # the id comes from the browser: check it again
        return None
    return issues_frame(issue_rows(detail["report"])), f"submission-{submission_id}-problems"


register_download(DOWNLOAD, ID_STORE, problems_table)
