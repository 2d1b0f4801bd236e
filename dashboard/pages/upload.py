"""Upload a return: download the template of one's municipality and year, then drop the filled-in
file; it is checked at once and the report says which cell is wrong and how to fix it. A file with
errors is kept as a rejected submission (nothing of it stored); one with warnings waits for
"Confirm and submit"; a clean one is stored straight away."""

from __future__ import annotations

import datetime as dt
import logging

import dash
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from flask import current_app

from dashboard.auth import audit, client_ip, current_principal, login_href
from dashboard.components.filters import search_input
from dashboard.context import get_context, get_snapshot
from dashboard.pages.submission import issues_table
from dashboard.queries.upload import (
    ACCEPT,
    LANGUAGE_NAMES,
    UploadResult,
    check_year,
    effective_limit,
    handle_upload,
    municipality_options,
    resolve_municipality,
    size_text,
    template_bytes,
    too_large_text,
)

log = logging.getLogger("migdash")

dash.register_page(__name__, path="/upload", name="Upload", title="Upload a return", nav_order=50)

TEMPLATE_MUNICIPALITY = "upload-template-municipality"
TEMPLATE_YEAR = "upload-template-year"
TEMPLATE_BUTTONS = {lang: f"upload-template-{lang}" for lang in LANGUAGE_NAMES}
TEMPLATE_STATUS = "upload-template-status"
TEMPLATE_DOWNLOAD = "upload-template-download"
FILE = "upload-file"
RESULT = "upload-result"
CLIENT_MESSAGE = "upload-client-message"
CONFIRM_BOX = "upload-confirm-box"
CONFIRM = "upload-confirm"
PENDING = "upload-pending"
LIMIT = "upload-limit"
GUARD = "upload-guard"
URL_SYNC = "upload-url-sync"
FILE_INPUT_LABEL = "Choose the return file to upload"

STATUS_STYLE = {
    "accepted": ("✔", "result-accepted"),
    "needs-confirmation": ("⚠", "result-warning"),
    "duplicate": ("ℹ", "result-info"),
    "rejected": ("✖", "result-rejected"),
    "refused": ("✖", "result-rejected"),
}
NOT_ALLOWED = "Your account may read the dashboard but not upload returns."


def _limit() -> int:
    return effective_limit(get_context().settings, current_app.config.get("MAX_CONTENT_LENGTH"))


def _login_needed(municipality: str | None, year: str | None) -> html.Div:
    principal = current_principal()
    if principal.authenticated:
        text = [f"{NOT_ALLOWED} Ask the programme team for an account that may upload for your municipality."]
    else:
        query = "&".join(f"{k}={v}" for k, v in (("municipality", municipality), ("year", year)) if v)
        back = "/upload" + (f"?{query}" if query else "")
        text = [
            "Uploading a return needs an account of your municipality. ",
            html.A("Log in", href=login_href(back)),
            " to download your template and send your figures.",
        ]
    return html.Div([html.H1("Upload a return"), html.P(text, className="lead")], className="upload-page")


def _own_municipalities(municipalities):  # noqa: ANN001, ANN202 - the snapshot's register frame
    """The municipalities the current user may submit for (a local user's own, else all)."""
    principal = current_principal()
    if principal.sees_all:
        return municipalities
    return municipalities[municipalities["code"].isin(principal.municipality_codes)]


def layout(municipality: str | None = None, year: str | None = None, **_: str) -> html.Div:
    if not current_principal().can_upload:
        return _login_needed(municipality, year)
    context = get_context()
    snapshot = get_snapshot()
    choices = _own_municipalities(snapshot.municipalities)
    if municipality is None and len(choices) == 1:
        municipality = choices["code"].iloc[0]
    this_year = dt.date.today().year
    chosen_year, _message = check_year(year, context.settings.first_year, this_year)
    limit = _limit()
    return html.Div(
        [
            html.H1("Upload a return"),
            html.P(
                "Send your municipality's figures for a reporting year: download the template, fill it in, "
                "and upload it here. The file is checked at once; the report tells you which cell to correct "
                "and how.",
                className="lead",
            ),
            html.Section(
                [
                    html.H2("1. Download your template"),
                    html.P(
                        "The template is an Excel workbook with your municipality's name and code and the "
                        "year already filled in. Type your figures in its white cells."
                    ),
                    html.Div(
                        [
                            search_input(
                                TEMPLATE_MUNICIPALITY,
                                "Municipality",
                                municipality_options(choices),
                                value=municipality or "",
                                placeholder="type a name or code",
                            ),
                            html.Div(
                                [
                                    html.Label("Reporting year", htmlFor=TEMPLATE_YEAR),
                                    dcc.Input(
                                        id=TEMPLATE_YEAR,
                                        type="number",
                                        min=context.settings.first_year,
                                        max=this_year,
                                        step=1,
                                        value=chosen_year or this_year - 1,
                                        className="year-input",
                                    ),
                                ],
                                className="control year-control",
                            ),
                        ],
                        className="template-controls",
                    ),
                    html.Div(
                        [
                            html.Span(
                                "Download the template in", className="choice-label", id="upload-lang-label"
                            ),
                            *[
                                html.Button(
                                    f"{name} (.xlsx)",
                                    id=TEMPLATE_BUTTONS[lang],
                                    n_clicks=0,
                                    className="download-button",
                                    lang=lang,
                                )
                                for lang, name in LANGUAGE_NAMES.items()
                            ],
                        ],
                        role="group",
                        className="template-buttons",
                        **{"aria-labelledby": "upload-lang-label"},
                    ),
                    html.P(id=TEMPLATE_STATUS, role="status", className="template-status"),
                    dcc.Download(id=TEMPLATE_DOWNLOAD),
                    html.Div(id=URL_SYNC, hidden=True),
                ],
                className="upload-section",
            ),
            html.Section(
                [
                    html.H2("2. Upload your filled-in return", id="upload-file-heading"),
                    html.P(
                        f"Excel (.xlsx, .xls, .xlsm), OpenDocument (.ods) or CSV, up to {size_text(limit)}. "
                        "National statistics extracts covering many municipalities are welcome too."
                    ),
                    dcc.Upload(
                        html.Div(
                            [
                                html.Span("⇪", className="upload-icon", **{"aria-hidden": "true"}),
                                html.Span("Drag and drop your file here, or "),
                                html.Span("choose a file", className="upload-choose"),
                            ]
                        ),
                        id=FILE,
                        accept=ACCEPT,
                        max_size=limit,
                        multiple=False,
                        className="upload-drop",
                        className_active="upload-drop active",
                        className_reject="upload-drop rejected",
                    ),
                    html.P(id=CLIENT_MESSAGE, role="alert", className="upload-client-message"),
                    dcc.Loading(
                        html.Div(id=RESULT, className="upload-result", **{"aria-live": "polite"}),
                        type="dot",
                    ),
                    html.Div(
                        [
                            html.Button(
                                "Confirm and submit", id=CONFIRM, n_clicks=0, className="primary-button"
                            ),
                            html.Span(" the figures as they are, or correct the file and upload it again."),
                        ],
                        id=CONFIRM_BOX,
                        hidden=True,
                        className="confirm-box",
                    ),
                    dcc.Store(id=PENDING),
                    dcc.Store(id=LIMIT, data={"bytes": limit, "message": too_large_text(limit)}),
                    html.Div(id=GUARD, hidden=True),
                ],
                className="upload-section",
            ),
        ],
        className="upload-page",
    )


def render_result(result: dict) -> list:
    """The report of one upload: headline with symbol, a sentence, what to do, links, the issues."""
    symbol, css = STATUS_STYLE.get(result["status"], ("✖", "result-problem"))
    children: list = [
        html.H3(
            [html.Span(symbol, className="result-symbol", **{"aria-hidden": "true"}), result["headline"]],
            className="result-headline",
        ),
        html.P(result["sentence"], className="result-sentence"),
    ]
    if result["guidance"]:
        children.append(html.Ul([html.Li(g) for g in result["guidance"]], className="result-guidance"))
    if result["links"]:
        children.append(
            html.Ul(
                [html.Li(dcc.Link(text, href=link)) for text, link in result["links"]],
                className="result-links",
            )
        )
    if result["issues"]:
        children.append(
            html.Div(
                issues_table(
                    result["issues"],
                    caption=f"Problems in {result['filename']}, by sheet and cell",
                    table_id="upload-issues",
                ),
                className="table-scroll",
                tabIndex=0,
                role="region",
                **{"aria-label": "Problems found in the file"},
            )
        )
        if result["not_shown"]:
            children.append(html.P(f"… and {result['not_shown']} more not shown.", className="note"))
    return [html.Div(children, className=f"result-box {css}")]


@callback(
    Output(RESULT, "children"),
    Output(CONFIRM_BOX, "hidden"),
    Output(PENDING, "data"),
    Output(CLIENT_MESSAGE, "children"),
    Input(FILE, "contents"),
    Input(CONFIRM, "n_clicks"),
    State(FILE, "filename"),
    State(PENDING, "data"),
    prevent_initial_call=True,
    running=[(Output(CONFIRM, "disabled"), True, False)],
)
def _on_upload(contents: str | None, _clicks: int, filename: str | None, pending: dict | None):  # noqa: ANN202
    confirm = ctx.triggered_id == CONFIRM
    if contents is None or (confirm and not pending):
        raise PreventUpdate
    principal = current_principal()
    if not principal.can_upload:  # a request crafted without the page: refuse on the server
        audit("access-denied", "upload", file=(filename or "")[:200])
        message = NOT_ALLOWED if principal.authenticated else "Log in to upload a return."
        return (
            render_result(UploadResult("refused", filename or "", "Not allowed", message).to_dict()),
            True,
            None,
            "",
        )
    context = get_context()
    result = handle_upload(
        engine=context.engine,
        catalog=context.catalog,
        settings=context.settings,
        contents=contents,
        filename=filename,
        accept_warnings=confirm,
        expected_sha256=(pending or {}).get("sha256") if confirm else None,
        limit=_limit(),
        principal=principal,
        ip=client_ip(),
    )
    waiting = result.status == "needs-confirmation"
    return render_result(result.to_dict()), not waiting, ({"sha256": result.sha256} if waiting else None), ""


@callback(
    Output(TEMPLATE_DOWNLOAD, "data"),
    Output(TEMPLATE_STATUS, "children"),
    *[Input(button, "n_clicks") for button in TEMPLATE_BUTTONS.values()],
    State(TEMPLATE_MUNICIPALITY, "value"),
    State(TEMPLATE_YEAR, "value"),
    prevent_initial_call=True,
)
def _template(*args: object):  # noqa: ANN202
    *_clicks, municipality, year = args
    lang = next((k for k, v in TEMPLATE_BUTTONS.items() if v == ctx.triggered_id), "en")
    principal = current_principal()
    if not principal.can_upload:
        return None, "Log in with an account that may upload to download a template."
    context = get_context()
    row, problem = resolve_municipality(get_snapshot().municipalities, municipality)  # type: ignore[arg-type]
    if row is None:
        return None, problem
    if not principal.may_submit_for([int(row["id"])]):
        codes = ", ".join(principal.municipality_codes)
        return None, f"Your account reports for {codes}: choose your own municipality."
    chosen, problem = check_year(year, context.settings.first_year, dt.date.today().year)
    if chosen is None:
        return None, problem
    try:
        data, name = template_bytes(
            context.catalog, code=row["code"], name=row["name"], year=chosen, lang=lang
        )
    except Exception:  # never a traceback on the page
        log.exception("template of %s for %s (%s) failed", row["code"], chosen, lang)
        return (
            None,
            "The template could not be made because of a problem on our side. Please try again later.",
        )
    return dcc.send_bytes(
        data, name
    ), f"Template of {row['name']} ({row['code']}) for {chosen} downloaded: {name}."


# A file over the limit never leaves the browser (dcc.Upload's max_size drops it silently): say so.
clientside_callback(
    f"""
    function(limit) {{
        window.migdashUploadLimit = limit;
        if (!window.migdashUploadGuard) {{
            window.migdashUploadGuard = true;
            const check = function(files) {{
                const lim = window.migdashUploadLimit;
                if (!lim || !files) {{ return; }}
                for (const f of files) {{
                    if (f.size > lim.bytes) {{
                        const mb = (f.size / 1048576).toFixed(1).replace(/\\.0$/, '') + ' MB';
                        window.dash_clientside.set_props('{CLIENT_MESSAGE}',
                            {{children: lim.message.replace('{{size}}', mb)}});
                        window.dash_clientside.set_props('{RESULT}', {{children: null}});
                        window.dash_clientside.set_props('{CONFIRM_BOX}', {{hidden: true}});
                        return;
                    }}
                }}
                window.dash_clientside.set_props('{CLIENT_MESSAGE}', {{children: ''}});
            }};
            document.addEventListener('change', function(e) {{
                const t = e.target;
                if (t && t.matches && t.matches('#{FILE} input[type=file]')) {{ check(t.files); }}
            }}, true);
            document.addEventListener('drop', function(e) {{
                const t = e.target;
                if (t && t.closest && t.closest('#{FILE}') && e.dataTransfer) {{
                    check(e.dataTransfer.files);
                }}
            }}, true);
        }}
        // dcc.Upload's file input has no label of its own: name it (it loads asynchronously).
        let tries = 0;
        const name = function() {{
            const input = document.querySelector('#{FILE} input[type=file]');
            if (input) {{
                input.setAttribute('aria-label', '{FILE_INPUT_LABEL}');
            }} else if (tries++ < 100) {{
                setTimeout(name, 50);
            }}
        }};
        name();
        return '';
    }}
    """,
    Output(GUARD, "children"),
    Input(LIMIT, "data"),
)

# Keep the address bar in step with the template choice (no reload, no new history entry), so
# that programme staff can send a link that opens with the municipality and year filled in.
clientside_callback(
    """
    function(municipality, year) {
        const params = new URLSearchParams(window.location.search);
        const set = (key, value) => value ? params.set(key, value) : params.delete(key);
        set('municipality', municipality);
        set('year', year);
        const search = params.toString();
        window.history.replaceState(null, '', window.location.pathname + (search ? '?' + search : ''));
        return '';
    }
    """,
    Output(URL_SYNC, "children"),
    Input(TEMPLATE_MUNICIPALITY, "value"),
    Input(TEMPLATE_YEAR, "value"),
    prevent_initial_call=True,
)
