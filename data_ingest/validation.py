"""Validation problems are data: an Issue per problem, collected in a ValidationReport.

Every issue has a stable kebab-case code, the sheet, the 1-based Excel row and the column letter
the clerk sees, the offending value, a message and a hint rendered from one template per code
(ISSUE_TYPES, documented in docs/issue-codes.md). The whole file is read and every issue collected
(up to a cap) before anything is decided.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class IssueType:
    severity: Severity
    message: str  # str.format template: {value}, {field}, {detail} ...
    hint: str


ISSUE_TYPES: dict[str, IssueType] = {
    # --- the file as a whole
    "empty-file": IssueType(
        "error", "The file is empty.", "Save the workbook again and upload the saved file."
    ),
    "file-too-large": IssueType(
        "error",
        "The file is larger than the {detail} allowed.",
        "Remove other sheets, images or formatting, or split a national extract into several files.",
    ),
    "unsupported-file-type": IssueType(
        "error",
        "{detail}",
        "Upload the return as an Excel workbook (.xlsx, .xls, .xlsm), an .ods or a .csv file.",
    ),
    "encrypted-workbook": IssueType(
        "error",
        "The workbook is protected with a password, so it cannot be read.",
        "Remove the password (File > Info > Protect Workbook) and upload it again.",
    ),
    "corrupt-file": IssueType(
        "error",
        "The file could not be read: {detail}",
        "Open it in Excel or LibreOffice, save it again as .xlsx, and upload the saved copy.",
    ),
    "too-many-zip-entries": IssueType(
        "error",
        "The workbook holds more parts than a return can ({detail}).",
        "Save the data sheet alone into a new workbook and upload that.",
    ),
    "decompressed-too-large": IssueType(
        "error",
        "Unpacked, the workbook is larger than the {detail} allowed.",
        "Save the data sheet alone into a new workbook and upload that.",
    ),
    "sheet-too-large": IssueType(
        "error",
        "A sheet is too large to be a return ({detail}).",
        "Delete unused rows and columns (or copy the table into a new workbook) and upload again.",
    ),
    "no-sheets": IssueType(
        "error", "The workbook has no sheet with data.", "Fill in the Data sheet of the template."
    ),
    "no-table-found": IssueType(
        "error",
        "No table of figures was recognised in this file: {detail}",
        "Use the return template (download it from the dashboard), or give the table a header row with a "
        "municipality code column and columns named after the catalogue's figures.",
    ),
    "empty-return": IssueType(
        "error", "The return holds no figure at all.", "Fill in at least one figure, then upload again."
    ),
    # --- headers and identification
    "unknown-column": IssueType(
        "warning",
        "The column '{value}' is not a figure the catalogue knows; it was ignored.",
        "Rename the column to one of the catalogue's names (see docs/catalogue.md) or delete it.",
    ),
    "duplicate-column": IssueType(
        "error", "Two columns hold the same figure ({field}).", "Keep one of the two columns."
    ),
    "missing-municipality": IssueType(
        "error", "The municipality is not given.", "Enter the municipality code (as in the template)."
    ),
    "unknown-municipality": IssueType(
        "error",
        "'{value}' is not a municipality of the register.{detail}",
        "Use the municipality code from the template, or ask programme staff to add the municipality.",
    ),
    "ambiguous-municipality": IssueType(
        "error",
        "'{value}' names more than one municipality ({detail}).",
        "Use the municipality code instead of the name, or add a region column.",
    ),
    "missing-year": IssueType(
        "error", "The reporting year is not given.", "Add a 'year' column, or enter the year in the template."
    ),
    "invalid-year": IssueType(
        "error", "'{value}' is not a reporting year.", "Enter the year as four digits, e.g. 2024."
    ),
    "year-out-of-range": IssueType(
        "error", "The year {value} is outside the years accepted ({detail}).", "Check the reporting year."
    ),
    "unknown-raw-field": IssueType(
        "error",
        "'{value}' is not a figure the catalogue knows.",
        "Use a raw field code from docs/catalogue.md.",
    ),
    "unknown-disaggregation": IssueType(
        "error",
        "'{value}' is not a breakdown allowed for {field}.{detail}",
        "Use 'total' or one of the breakdowns listed in the template for this figure.",
    ),
    "duplicate-row": IssueType(
        "warning",
        "{field} is given twice for the same municipality and year, with the same value.",
        "Delete the repeated row.",
    ),
    "conflicting-values": IssueType(
        "error",
        "{field} is given twice for the same municipality and year, with different values ({detail}).",
        "Keep only the correct row.",
    ),
    # --- cell values
    "not-a-number": IssueType(
        "error",
        "'{value}' is not a number ({field}).",
        "Enter a number, or '..' if the figure is not available, 'c' if confidential, 'z' if not applicable.",
    ),
    "date-not-number": IssueType(
        "error",
        "This cell holds a date ({value}) where {field} expects a number.",
        "Excel may have turned the figure into a date: format the cell as Number and type the figure again.",
    ),
    "excel-error": IssueType(
        "error",
        "The cell holds the Excel error {value} ({field}).",
        "Fix the formula, or type the figure itself, or '..' if it is not available.",
    ),
    "formula-without-value": IssueType(
        "error",
        "The cell holds a formula whose result was never saved ({field}).",
        "Open the file in Excel or LibreOffice, let it calculate, save, and upload again; "
        "or type the figure.",
    ),
    "not-yes-no": IssueType(
        "error", "'{value}' is not yes or no ({field}).", "Answer yes or no (or 1 for yes, 0 for no)."
    ),
    "level-out-of-range": IssueType(
        "error",
        "'{value}' is not a level from 0 to 3 ({field}).",
        "Enter a whole number from 0 to 3, as described in the template.",
    ),
    "negative-value": IssueType(
        "error", "{field} cannot be negative (found {value}).", "Enter the figure without a minus sign."
    ),
    "percent-out-of-range": IssueType(
        "error",
        "{field} is a percentage and must be between 0 and 100 (found {value}).",
        "Enter the percentage as a number from 0 to 100 (e.g. 45.5 for 45.5 %).",
    ),
    "count-not-whole": IssueType(
        "warning",
        "{field} counts people or things but {value} is not a whole number.",
        "Check the figure; if it is an estimate, round it.",
    ),
    "part-larger-than-whole": IssueType(
        "error",
        "{field} ({value}) is larger than {detail}.",
        "A part cannot exceed its whole: check both figures.",
    ),
    "indicator-out-of-bounds": IssueType(
        "error",
        "These figures give {field} = {value}, outside its valid range {detail}.",
        "Check the figures the indicator is computed from (see its definition in the catalogue).",
    ),
    "not-finite": IssueType(
        "error", "The cell holds an impossible number ({value}) for {field}.", "Type the figure again."
    ),
    # --- plausibility (warnings the uploader may confirm)
    "large-change": IssueType(
        "warning",
        "{field} changed from {detail} last year to {value}.",
        "If the figure is right, confirm the warning when you upload; otherwise correct it.",
    ),
    "outlier": IssueType(
        "warning",
        "{field} = {value} is far from the other municipalities' values this year ({detail}).",
        "If the figure is right, confirm the warning when you upload; otherwise correct it.",
    ),
    # --- the submission as a whole
    "already-received": IssueType(
        "warning",
        "This exact file was already received on {detail}; nothing was stored twice.",
        "Nothing to do. To correct a return, upload the corrected file.",
    ),
    "not-your-municipality": IssueType(
        "error",
        "You may not submit figures for {value}: your account reports for other municipalities. "
        "Nothing was stored.",
        "Upload returns for your own municipality only. If you now report for this one too, ask the "
        "programme team to add it to your account.",
    ),
    "not-allowed-to-upload": IssueType(
        "error",
        "Your account may read the dashboard but not upload returns. Nothing was stored.",
        "Ask the programme team for an account that may upload for your municipality.",
    ),
}

MAX_ISSUES = 500  # kept in a report; the rest are counted


@dataclass(frozen=True)
class Issue:
    code: str
    severity: Severity
    message: str
    hint: str
    sheet: str | None = None
    row: int | None = None  # 1-based, as Excel shows it
    column: str | None = None  # letter, as Excel shows it
    field: str | None = None
    value: str | None = None

    @property
    def cell(self) -> str | None:
        if self.column and self.row:
            return f"{self.column}{self.row}"
        return self.column or (str(self.row) if self.row else None)


def make_issue(
    code: str,
    *,
    sheet: str | None = None,
    row: int | None = None,
    column: str | None = None,
    field: str | None = None,
    value: Any = None,
    detail: str = "",
) -> Issue:
    """An Issue whose message and hint come from the code's template."""
    kind = ISSUE_TYPES[code]
    shown = _show(value)
    words = {"value": shown if shown is not None else "", "field": field or "this figure", "detail": detail}
    return Issue(
        code=code,
        severity=kind.severity,
        message=kind.message.format(**words),
        hint=kind.hint.format(**words),
        sheet=sheet,
        row=row,
        column=column,
        field=field,
        value=shown,
    )


def _show(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:g}" if value == value else "NaN"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text[:80] + ("…" if len(text) > 80 else "")


def column_letter(index0: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    n = index0 + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass
class ValidationReport:
    """Every issue of one file, capped at MAX_ISSUES, with counts of all of them."""

    filename: str = ""
    issues: list[Issue] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # severity -> number, including those not kept
    layout: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)  # municipalities, years, values read ...

    def add(self, issue: Issue) -> None:
        self.counts[issue.severity] += 1
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(issue)

    def extend(self, issues: list[Issue]) -> None:
        for issue in issues:
            self.add(issue)

    @property
    def n_errors(self) -> int:
        return self.counts["error"]

    @property
    def n_warnings(self) -> int:
        return self.counts["warning"]

    @property
    def n_not_shown(self) -> int:
        return sum(self.counts.values()) - len(self.issues)

    @property
    def ok(self) -> bool:
        return self.n_errors == 0

    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    def flatten(self, *keys: str) -> list[tuple]:
        """The issues as tuples of the given attributes, in a stable order (for tests and tables)."""
        return [tuple(getattr(i, k) for k in keys) for i in self.sorted()]

    def sorted(self) -> list[Issue]:
        return sorted(
            self.issues,
            key=lambda i: (i.sheet or "", i.row or 0, len(i.column or ""), i.column or "", i.code),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "layout": self.layout,
            "errors": self.n_errors,
            "warnings": self.n_warnings,
            "not_shown": self.n_not_shown,
            "summary": self.summary,
            "issues": [asdict(i) for i in self.sorted()],
        }

    def to_text(self) -> str:
        """The report as a clerk reads it on a terminal."""
        head = f"{self.filename}: {self.n_errors} error(s), {self.n_warnings} warning(s)"
        if self.layout:
            head += f" — read as a {self.layout} table"
        lines = [head]
        for issue in self.sorted():
            sheet = f"sheet '{issue.sheet}'" if issue.sheet else ""
            where = " ".join(x for x in (sheet, issue.cell or "") if x)
            place = f"{where}: " if where else ""
            lines.append(f"  {issue.severity.upper():7} {place}{issue.message} [{issue.code}]")
            lines.append(f"          How to fix: {issue.hint}")
        if self.n_not_shown:
            lines.append(f"  ... and {self.n_not_shown} more issue(s) not shown.")
        return "\n".join(lines)
