"""The upload page's work, without Dash: decode the uploaded file, run it through the real
ingestion path (data_ingest.store.ingest) and turn the outcome into plain words and table rows;
build a municipality's return template.

Nothing here raises on a bad file: every outcome, including an unexpected failure (logged to the
"migdash" logger with a reference the user can quote), is an ``UploadResult``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import logging
import secrets
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from data_ingest.accounts import Principal
from data_ingest.catalog import LANGUAGES, Catalog
from data_ingest.models import Municipality
from data_ingest.settings import Settings
from data_ingest.store import ingest
from data_ingest.template import save_template, write_template
from data_ingest.validation import ISSUE_TYPES

log = logging.getLogger("migdash")

ACCEPT = ".xlsx,.xlsm,.xls,.ods,.csv"
SEVERITY_LABELS = {"error": "Error", "warning": "Warning"}
SEVERITY_SYMBOLS = {"error": "✖", "warning": "⚠"}
ISSUE_COLUMNS = ["sheet", "cell", "severity", "problem", "how_to_fix", "code"]
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}
# A Dash upload travels base64-encoded inside a JSON request: 4 bytes sent for every 3 of the file.
_BASE64_GROWTH = 4 / 3
_REQUEST_OVERHEAD = 64 * 1024


# --- limits


def limit_bytes(settings: Settings) -> int:
    """The largest upload the settings allow (max_upload_mb)."""
    return int(settings.max_upload_mb * 1024 * 1024)


def effective_limit(settings: Settings, max_content_length: int | None) -> int:
    """The largest file that can reach the server: the settings' limit, or less if the web server's
    request limit (Flask MAX_CONTENT_LENGTH) cannot carry a base64-encoded file of that size."""
    limit = limit_bytes(settings)
    if max_content_length:
        limit = min(limit, int((max_content_length - _REQUEST_OVERHEAD) / _BASE64_GROWTH))
    return max(limit, 0)


def size_text(n_bytes: int) -> str:
    """Bytes as a person reads them: 830 bytes, 12 kB, 3.4 MB (1 MB = 1024 x 1024 bytes)."""
    if n_bytes < 1024:
        return f"{n_bytes} bytes"
    if n_bytes < 1024 * 1024:
        return f"{n_bytes / 1024:.0f} kB"
    return f"{n_bytes / 1024 / 1024:.1f}".removesuffix(".0") + " MB"


def too_large_text(limit: int) -> str:
    """The message for a file over the limit; "{size}" is replaced by the file's size (in the
    browser too, which checks before sending anything)."""
    return (
        f"This file is {{size}}: the largest file accepted is {size_text(limit)}. Nothing was uploaded. "
        + ISSUE_TYPES["file-too-large"].hint
    )


# --- the outcome of an upload


@dataclass
class UploadResult:
    """What the page shows after an upload: a headline, a sentence, what to do, the issues."""

    # accepted, rejected, needs-confirmation, duplicate, refused, too-large, unreadable, changed, failed
    status: str
    filename: str
    headline: str
    sentence: str
    guidance: list[str] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0
    not_shown: int = 0
    submission_id: int | None = None
    sha256: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, href)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def count_text(errors: int, warnings: int) -> str:
    """ "2 errors and 1 warning", "1 error", "no problem"."""
    parts = [plural(n, w) for n, w in ((errors, "error"), (warnings, "warning")) if n]
    return " and ".join(parts) if parts else "no problem"


def issue_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The issues of a stored report (ValidationReport.to_dict()) as table rows: sheet, cell
    (e.g. "D10"), severity, problem, how_to_fix, code; in the report's order (sheet, row, column)."""
    rows = []
    for issue in report.get("issues") or []:
        column, row = issue.get("column"), issue.get("row")
        cell = f"{column}{row}" if column and row else (column or (str(row) if row else ""))
        rows.append(
            {
                "sheet": issue.get("sheet") or "",
                "cell": cell,
                "severity": issue.get("severity") or "error",
                "problem": issue.get("message") or "",
                "how_to_fix": issue.get("hint") or "",
                "code": issue.get("code") or "",
            }
        )
    return rows


def issues_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Issue rows as a table to download (severity as a word)."""
    frame = pd.DataFrame(rows, columns=ISSUE_COLUMNS)
    frame["severity"] = frame["severity"].map(lambda s: SEVERITY_LABELS.get(s, s))
    return frame


def decode_contents(contents: str) -> bytes:
    """The bytes of a dcc.Upload ``contents`` value ("data:<type>;base64,<data>")."""
    _, sep, payload = contents.partition(",")
    if not sep:
        raise ValueError("not a data URL")
    return base64.b64decode(payload, validate=True)


def _municipalities_of(engine: Engine, ids: list[int]) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        return [
            (code, name)
            for code, name in connection.execute(
                select(Municipality.code, Municipality.name)
                .where(Municipality.id.in_(ids))
                .order_by(Municipality.code)
            ).all()
        ]


def report_href(submission_id: int) -> str:
    return f"/coverage/submission/{submission_id}"


def handle_upload(
    *,
    engine: Engine,
    catalog: Catalog,
    settings: Settings,
    contents: str | None,
    filename: str | None,
    accept_warnings: bool = False,
    expected_sha256: str | None = None,
    limit: int | None = None,
    principal: Principal | None = None,
    ip: str = "",
) -> UploadResult:
    """Check and store one uploaded file (data_ingest.store.ingest), never raising.

    ``accept_warnings`` is the "Confirm and submit" step: the file is validated again and stored
    with its warnings, provided it is the file the user saw (``expected_sha256``)."""
    filename = (filename or "upload").strip() or "upload"
    try:
        try:
            data = decode_contents(contents or "")
        except (ValueError, binascii.Error):
            return UploadResult(
                "unreadable",
                filename,
                "The file did not arrive",
                "The browser did not send the file completely. Nothing was stored.",
                ["Choose the file again. If it keeps happening, save it under a new name and try again."],
            )
        limit = limit if limit is not None else limit_bytes(settings)
        if len(data) > limit:
            return UploadResult(
                "too-large",
                filename,
                "File too large",
                too_large_text(limit).replace("{size}", size_text(len(data))),
            )
        return _ingest(
            engine=engine,
            catalog=catalog,
            settings=settings,
            data=data,
            filename=filename,
            accept_warnings=accept_warnings,
            expected_sha256=expected_sha256,
            principal=principal,
            ip=ip,
        )
    except Exception:  # never a traceback on the page: log it, give a reference to quote
        reference = secrets.token_hex(4)
        log.exception("upload of %r failed (reference %s)", filename, reference)
        return UploadResult(
            "failed",
            filename,
            "Something went wrong",
            "The file could not be checked because of an unexpected problem on our side. Nothing was stored.",
            [
                "Please try again in a moment. If it happens again, send the file to programme staff "
                f"and quote the reference {reference}."
            ],
        )


def _ingest(
    *,
    engine: Engine,
    catalog: Catalog,
    settings: Settings,
    data: bytes,
    filename: str,
    accept_warnings: bool,
    expected_sha256: str | None,
    principal: Principal | None,
    ip: str,
) -> UploadResult:
    if accept_warnings and expected_sha256 and hashlib.sha256(data).hexdigest() != expected_sha256:
        return UploadResult(
            "changed",
            filename,
            "The file changed",
            "The file is not the one whose warnings you saw. Nothing was stored.",
            ["Upload the file again to see its report."],
        )
    outcome = ingest(
        engine=engine,
        catalog=catalog,
        settings=settings,
        data=data,
        filename=filename,
        accept_warnings=accept_warnings,
        principal=principal,
        ip=ip,
    )
    report = outcome.report.to_dict()
    rows = issue_rows(report)
    common = {
        "errors": report["errors"],
        "warnings": report["warnings"],
        "not_shown": report["not_shown"],
        "submission_id": outcome.submission_id,
        "sha256": outcome.prepared.sha256,
    }
    if outcome.status == "refused":
        return UploadResult(
            "refused",
            filename,
            "Not allowed",
            " ".join(issue["problem"] for issue in rows),
            sorted({issue["how_to_fix"] for issue in rows}),
            **{**common, "submission_id": None},
        )
    if outcome.status == "duplicate":
        when = f"{outcome.received_at:%d %B %Y}" if outcome.received_at else "an earlier day"
        earlier = outcome.submission_id
        return UploadResult(
            "duplicate",
            filename,
            "Already received",
            f"This exact file was already received on {when} (submission {earlier}). "
            "Nothing was stored twice.",
            ["Nothing to do. To correct a return, upload the corrected file."],
            links=[(f"Validation report of submission {earlier}", report_href(earlier))],
            **{**common, "errors": 0, "warnings": 0},
        )
    if outcome.status == "rejected":
        return UploadResult(
            "rejected",
            filename,
            f"Not accepted: {plural(report['errors'], 'error')} to correct",
            f"{filename}: {count_text(report['errors'], report['warnings'])}. Nothing was stored: "
            "the errors below must be corrected first.",
            [
                "Correct each cell listed below in your file (the table gives the sheet and the cell, "
                "e.g. D10), save it, and upload it again.",
                "If your file is not the return template, download your template above and copy your "
                "figures into it.",
                f"The file itself was kept as rejected submission {outcome.submission_id}, "
                "so nothing is lost.",
            ],
            rows,
            links=[
                (
                    f"Validation report of submission {outcome.submission_id}",
                    report_href(outcome.submission_id),
                )
            ],
            **common,
        )
    if outcome.status == "needs-confirmation":
        return UploadResult(
            "needs-confirmation",
            filename,
            f"Please check {plural(report['warnings'], 'warning')}",
            f"{filename} has no errors, but {plural(report['warnings'], 'warning')}: figures that look "
            "unusual. Nothing is stored until you confirm.",
            [
                "If the figures are right, press “Confirm and submit”.",
                "Otherwise correct them in your file and upload it again.",
            ],
            rows,
            **common,
        )
    # accepted
    ids = sorted({int(m) for m in outcome.prepared.rows["municipality_id"].dropna().unique()})
    munis = _municipalities_of(engine, ids)
    years = report.get("summary", {}).get("years") or []
    summary = report.get("summary", {})
    year_text = ", ".join(str(y) for y in years)
    values = f"{plural(summary.get('values', 0), 'figure')} stored"
    if summary.get("missing"):
        values += f", {summary['missing']} left blank or marked not available"
    confirmed = f" ({plural(report['warnings'], 'warning')} confirmed)" if report["warnings"] else ""
    links = []
    if len(munis) == 1:
        code, name = munis[0]
        what = f"Your {year_text} return for {name} ({code})"
        links.append((f"See the updated scorecard of {name}", f"/scorecard?municipality={code}"))
    else:
        what = f"The figures for {len(munis)} municipalities ({year_text})"
        links.append(("See the reporting coverage", "/coverage"))
    links.append(
        (f"Validation report of submission {outcome.submission_id}", report_href(outcome.submission_id))
    )
    return UploadResult(
        "accepted",
        filename,
        "Accepted",
        f"{what} was stored as submission {outcome.submission_id}: {values}{confirmed}.",
        [],
        rows,
        links=links,
        **common,
    )


# --- the return template


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold().strip()


def municipality_options(munis: pd.DataFrame) -> list[tuple[str, str]]:
    """(code, "name — region, country") for the searchable picker, active municipalities first."""
    ordered = munis.sort_values(["active", "country_code", "code"], ascending=[False, True, True])
    return [
        (r.code, f"{r.name} — {r.region}, {r.country}" + ("" if r.active else " (inactive)"))
        for r in ordered.itertuples()
    ]


def resolve_municipality(munis: pd.DataFrame, text: str | None) -> tuple[pd.Series | None, str]:
    """The municipality a person typed: a code (any case), "name (code)", or a name that names only
    one municipality. Returns (row, "") or (None, a message saying what to do)."""
    text = (text or "").strip()
    if not text:
        return None, "Choose your municipality first: type its name or code and pick it from the list."
    if text.endswith(")") and "(" in text:
        text = text[text.rindex("(") + 1 : -1].strip()
    by_code = munis[munis["code"].str.casefold() == text.casefold()]
    if len(by_code) == 1:
        return by_code.iloc[0], ""
    folded = _fold(text)
    by_name = munis[munis["name"].map(_fold) == folded]
    if len(by_name) == 1:
        return by_name.iloc[0], ""
    if len(by_name) > 1:
        options = ", ".join(f"{r.name} ({r.code}, {r.region})" for r in by_name.itertuples())
        return None, f"“{text}” names more than one municipality: {options}. Choose one by its code."
    return (
        None,
        f"“{text}” is not a municipality of the register. Type a name or code and pick it from the list.",
    )


def check_year(value: object, first_year: int, last_year: int) -> tuple[int | None, str]:
    """The reporting year typed, or (None, a message)."""
    try:
        year = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None, f"Enter the reporting year as four digits, from {first_year} to {last_year}."
    if not first_year <= year <= last_year or float(value) != year:  # type: ignore[arg-type]
        return None, f"Enter a reporting year from {first_year} to {last_year}."
    return year, ""


def template_bytes(catalog: Catalog, *, code: str, name: str, year: int, lang: str) -> tuple[bytes, str]:
    """The .xlsx return template of one municipality and year, and its file name."""
    if lang not in LANGUAGES:
        lang = "en"
    workbook = write_template(catalog, municipality_code=code, municipality_name=name, year=year, lang=lang)
    buffer = io.BytesIO()
    save_template(workbook, buffer)
    return buffer.getvalue(), f"migdash-return-{code}-{year}-{lang}.xlsx"
