"""Find the table in a workbook and turn it into long observations, one per cell read.

Three layouts are recognised automatically:
- **template**: the return template (a data sheet marked "migdash-template" in its hidden column A,
  raw field codes in column A, disaggregation codes in a hidden row);
- **wide**: one row per municipality (and optionally per year), one column per raw field, with
  titles, notes and blank rows above the header, and headers spread over two rows;
- **long**: columns municipality_code, year, raw_field_code, disaggregation (optional), value:
  the raw export of `migdash export --what raw` is itself a valid upload.

Headers are matched through the catalogue's aliases (case, accents, spaces and footnote digits
ignored). Cells are not interpreted here; cleaning.py does that for all cells at once.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .catalog import TOTAL, Catalog, normalize_header
from .validation import Issue, column_letter, make_issue

TEMPLATE_MARKER = "migdash-template"
HEADER_SCAN_ROWS = 40

ID_HEADERS = {
    "municipality_code": {
        "municipality_code",
        "municipality code",
        "code",
        "area code",
        "code commune",
        "code de la commune",
        "code insee",
        "codigo",
        "codigo municipio",
        "codigo del municipio",
        "cod municipio",
        "ubigeo",
        "municipio codigo",
        "code municipalite",
        "municipality id",
        "id",
    },
    "municipality_name": {
        "municipality_name",
        "municipality",
        "municipality name",
        "name",
        "commune",
        "nom",
        "nom de la commune",
        "municipio",
        "nombre",
        "nombre del municipio",
        "city",
        "ville",
        "ciudad",
        "district",
        "canton",
        "area name",
        "localite",
        "localidad",
    },
    "region": {"region", "region name", "province", "provincia", "departement", "departamento", "state"},
    "country": {"country", "country_code", "pays", "pais", "country code"},
    "year": {
        "year",
        "annee",
        "ano",
        "anio",
        "reporting year",
        "period",
        "periode",
        "periodo",
        "reference year",
    },
}
LONG_HEADERS = {
    "raw_field_code": {"raw_field_code", "raw field code", "raw_field", "field code", "field"},
    "disaggregation": {"disaggregation", "breakdown", "desagregacion", "ventilation"},
    "value": {"value", "valeur", "valor"},
    "missing_reason": {"missing_reason", "missing reason"},
}
# Columns of our own exports that a re-upload may carry: understood, never reported as unknown.
EXPORT_COLUMNS = {"unit", "status", "trend", "submission_id", "indicator_code", "raw_field_label"}
SKIP_ROW_NAMES = re.compile(
    r"^(sub|sous)?[\s-]?total\b|^ensemble\b|^todos\b|^all municipalities\b", re.IGNORECASE
)
# A footnote number glued to a header that itself ends in a digit: "Employed migrants 15-64" + "2".
FOOTNOTE_AFTER_DIGIT = re.compile(r"^(.*\d)(\d{1,2})$")
YEAR_IN_TITLE = re.compile(r"\b(19[5-9][0-9]|20[0-9][0-9])\b")


@dataclass
class Table:
    """What was read from a file: long observations plus identification columns."""

    layout: str
    sheet: str
    frame: pd.DataFrame  # municipality, municipality_name, region, year, raw_field, disaggregation,
    #                      cell, row (1-based), column (letter), col0 (0-based column), record,
    #                      given_reason (long layout only)
    # ``record``: the observations read from one table row (the template: the whole sheet) share
    # it, and with it their municipality and year, so those are identified once per record.
    issues: list[Issue] = field(default_factory=list)
    # Where the identification cells are, so their problems point at the right cell: role
    # (municipality_code, municipality_name, region, year, raw_field_code, disaggregation) -> (row, column
    # letter); row is None when the role has a column and the cell is on each observation's own row.
    where: dict[str, tuple[int | None, str]] = field(default_factory=dict)


class NoTable(Exception):
    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# Word processors and Excel's autocorrect type typographic apostrophes ("l’étranger"); aliases use "'".
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def _norm(value: Any) -> str:
    try:
        return _norm_cached(value)
    except TypeError:  # not hashable
        return _norm_cached.__wrapped__(value)


@functools.lru_cache(maxsize=65536, typed=True)  # the header scan sees the same figures many times
def _norm_cached(value: Any) -> str:
    return normalize_header(_text(value).translate(_APOSTROPHES)) if value not in (None, "") else ""


class HeaderMatcher:
    """Header text -> (raw field, disaggregation), or an identification column."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.fields = catalog.alias_index()
        self.disaggregations: dict[str, str] = {
            TOTAL: TOTAL,
            "total": TOTAL,
            "ensemble": TOTAL,
            "both sexes": TOTAL,
            "ambos sexos": TOTAL,
            "les deux sexes": TOTAL,
        }
        for d in catalog.disaggregations.values():
            for text in (d.code, d.label.en, d.label.fr, d.label.es):
                self.disaggregations.setdefault(normalize_header(text), d.code)
        labels = sorted(self.disaggregations, key=len, reverse=True)
        self._suffix = re.compile(
            r"^(.*?)\s*(?:[-–:,/_(]\s*|\s)(" + "|".join(re.escape(x) for x in labels) + r")\)?$"
        )
        self.ids = {text: key for key, texts in ID_HEADERS.items() for text in texts}
        self._fields_seen: dict[str, tuple[str, str] | None] = {}
        self.long = {text: key for key, texts in LONG_HEADERS.items() for text in texts}

    def field(self, text: str) -> tuple[str, str] | None:
        if not text:
            return None
        if text not in self._fields_seen:
            self._fields_seen[text] = self._field_of(text)
        return self._fields_seen[text]

    def _field_of(self, text: str) -> tuple[str, str] | None:
        hit = self._field(text)
        if hit is None:
            # normalize_header only drops footnote digits glued to a letter; "Migrants 15-642" is the
            # header "Migrants 15-64" with footnote 2 (a superscript ¹ arrives here as a plain 1).
            m = FOOTNOTE_AFTER_DIGIT.match(text)
            for cut in (1, 2) if m else ():
                hit = self._field(text[:-cut])
                if hit is not None:
                    break
        return hit

    def _field(self, text: str) -> tuple[str, str] | None:
        if text in self.fields:
            return self.fields[text], TOTAL
        m = self._suffix.match(text)
        if m and m.group(1) in self.fields:
            return self.fields[m.group(1)], self.disaggregations[m.group(2)]
        return None

    def disaggregation(self, text: str) -> str | None:
        return self.disaggregations.get(text)


def find_table(sheets: list, catalog: Catalog, *, default_year: int | None = None) -> Table:
    """The best table among the sheets; raise NoTable with a file-level issue when none fits."""
    matcher = HeaderMatcher(catalog)
    for sheet in sheets:
        if _is_template(sheet):
            return _read_template(sheet, matcher)
    best: tuple[int, Any, int, dict] | None = None
    for sheet in sheets:
        found = _find_header(sheet, matcher)
        if found and (best is None or found[0] > best[0]):
            best = (found[0], sheet, found[1], found[2])
    if best is None:
        names = ", ".join(f"'{s.name}'" for s in sheets) or "none"
        raise NoTable(
            make_issue(
                "no-table-found",
                detail=(
                    f"no sheet ({names}) has a header row naming a municipality column and at least one "
                    "figure of the catalogue"
                ),
            )
        )
    _, sheet, header_row, columns = best
    if "raw_field_code" in columns.get("long", {}):
        return _read_long(sheet, header_row, columns)
    return _read_wide(sheet, header_row, columns, matcher, default_year)


def _is_template(sheet) -> bool:
    return any(_text(row[0]).startswith(TEMPLATE_MARKER) for row in sheet.rows[:3] if row)


def _find_header(sheet, matcher: HeaderMatcher) -> tuple[int, int, dict] | None:
    """(score, header row index, column roles) of the most header-like row, or None."""
    best = None
    for r, row in enumerate(sheet.rows[:HEADER_SCAN_ROWS]):
        above = sheet.rows[r - 1] if r > 0 else []
        columns = _classify(row, above, matcher)
        ids, fields, long = columns["ids"], columns["fields"], columns["long"]
        has_id = "municipality_code" in ids or "municipality_name" in ids
        is_long = {"raw_field_code", "value"} <= set(long) and has_id
        if not has_id or not (fields or is_long):
            continue
        score = len(fields) + len(ids) + (10 if is_long else 0)
        if best is None or score > best[0]:
            best = (score, r, columns)
    return best


def _classify(row: list, above: list, matcher: HeaderMatcher) -> dict:
    """Roles of the columns of a header row; a row above may hold merged group headers."""
    upper_cells = [_norm(v) for v in above] if above else []
    upper = _forward_fill(upper_cells)
    ids: dict[str, int] = {}
    long: dict[str, int] = {}
    fields: dict[int, tuple[str, str]] = {}
    unknown: dict[int, str] = {}
    for c, value in enumerate(row):
        text = _norm(value)
        group = upper[c] if c < len(upper) else ""
        if not text and not group:
            continue
        if not text and c < len(upper_cells) and upper_cells[c] in matcher.ids:
            text = upper_cells[c]  # "Municipality code" merged down over both header rows
        if text in matcher.ids and matcher.ids[text] not in ids:
            ids[matcher.ids[text]] = c
            continue
        if text in matcher.long:
            long[matcher.long[text]] = c
            continue
        hit = matcher.field(text)
        if hit is None and group:
            # Two-row header: "Employed migrants" merged above "Total | Women | Men".
            disaggregation = matcher.disaggregation(text) if text else TOTAL
            base = matcher.field(group)
            if base and disaggregation:
                hit = (base[0], disaggregation)
            elif text:
                hit = matcher.field(f"{group} {text}")
        if hit is not None:
            fields[c] = hit
        elif text and text not in EXPORT_COLUMNS:
            unknown[c] = _text(value) if not group else f"{_text(group)} {_text(value)}".strip()
    return {"ids": ids, "long": long, "fields": fields, "unknown": unknown}


def _forward_fill(values: list[str]) -> list[str]:
    out, last = [], ""
    for v in values:
        last = v or last
        out.append(last)
    return out


def _marked(sheet, first_row: int, cols: np.ndarray, n_rows: int) -> np.ndarray:
    """True for each block row with an Excel error or a formula without a saved result in one of
    ``cols``: the reader shows those cells as blank, but they are problems to report, not blanks."""
    found = np.zeros(n_rows, dtype=bool)
    wanted = {int(c) for c in cols}
    for r, c in (*getattr(sheet, "error_cells", {}), *getattr(sheet, "uncached_formulas", ())):
        if c in wanted and first_row <= r < first_row + n_rows:
            found[r - first_row] = True
    return found


def _where(ids: dict[str, int], long: dict[str, int] | None = None) -> dict[str, tuple[int | None, str]]:
    return {role: (None, column_letter(c)) for role, c in {**ids, **(long or {})}.items()}


def _block(sheet, first_row: int, ncols: int) -> np.ndarray:
    rows = sheet.rows[first_row:]
    block = np.full((len(rows), ncols), None, dtype=object)
    for i, row in enumerate(rows):
        n = min(len(row), ncols)
        block[i, :n] = row[:n]
    return block


def _read_wide(
    sheet, header_row: int, columns: dict, matcher: HeaderMatcher, default_year: int | None
) -> Table:
    issues: list[Issue] = []
    ids, fields = columns["ids"], columns["fields"]
    for c, text in columns["unknown"].items():
        issues.append(
            make_issue(
                "unknown-column", sheet=sheet.name, row=header_row + 1, column=column_letter(c), value=text
            )
        )
    seen: dict[tuple[str, str], int] = {}
    for c, key in list(fields.items()):
        if key in seen:
            label = key[0] + ("" if key[1] == TOTAL else f" ({key[1]})")
            issues.append(
                make_issue(
                    "duplicate-column",
                    sheet=sheet.name,
                    row=header_row + 1,
                    column=column_letter(c),
                    field=label,
                )
            )
            del fields[c]
        else:
            seen[key] = c
    ncols = max(len(r) for r in sheet.rows) if sheet.rows else 0
    block = _block(sheet, header_row + 1, ncols)
    value_cols = np.array(sorted(fields), dtype=int)
    values = block[:, value_cols] if len(value_cols) else np.empty((len(block), 0), dtype=object)

    def col(name: str) -> np.ndarray:
        return block[:, ids[name]] if name in ids else np.full(len(block), None, dtype=object)

    code, name = col("municipality_code"), col("municipality_name")
    has_value = (
        ((values != None) & (values != "")).any(axis=1)  # noqa: E711 - elementwise on an object array
        if values.shape[1]
        else np.zeros(len(block), dtype=bool)
    )
    has_value |= _marked(sheet, header_row + 1, value_cols, len(block))
    names = np.array([_text(v) for v in name], dtype=object)
    codes = np.array([_text(v) for v in code], dtype=object)
    # A "Total" or "Subtotal North" row, its label in the name or in the code column, totals rows that
    # are themselves in the table: skipped, never reported (they may differ from the sum by rounding).
    subtotal = np.array(
        [bool(SKIP_ROW_NAMES.match(n) or SKIP_ROW_NAMES.match(c)) for n, c in zip(names, codes, strict=True)],
        dtype=bool,
    )
    keep = has_value & ~subtotal & ~((codes == "") & (names == "") & ~has_value)
    year = col("year")
    if "year" not in ids:
        title_year = _year_in_titles(sheet.rows[:header_row])
        year = np.full(len(block), title_year or default_year, dtype=object)
    rows_idx = np.flatnonzero(keep)
    n_fields = len(value_cols)
    regions = np.array([_text(v) for v in col("region")], dtype=object)
    field_codes = np.array([fields[c][0] for c in value_cols], dtype=object)
    breakdowns = np.array([fields[c][1] for c in value_cols], dtype=object)
    letters = np.array([column_letter(c) for c in value_cols], dtype=object)
    n_rows = len(rows_idx)
    # One observation per cell, row by row: text columns as categoricals built from codes (a
    # national extract repeats 150 field codes 2,000 times; categoricals compare and group as integers).
    per_row = np.repeat(np.arange(n_rows), n_fields)
    per_col = np.tile(np.arange(n_fields), n_rows)
    frame = pd.DataFrame(
        {
            "municipality": _repeated(codes[rows_idx], per_row),
            "municipality_name": _repeated(names[rows_idx], per_row),
            "region": _repeated(regions[rows_idx], per_row),
            "year": np.repeat(year[rows_idx], n_fields),
            "raw_field": _repeated(field_codes, per_col),
            "disaggregation": _repeated(breakdowns, per_col),
            "cell": values[rows_idx].ravel() if n_fields else np.empty(0, dtype=object),
            "row": np.repeat(rows_idx + header_row + 2, n_fields),
            "column": _repeated(letters, per_col),
            "col0": np.tile(value_cols, n_rows),
            "record": per_row,
        }
    )
    return Table(layout="wide", sheet=sheet.name, frame=frame, issues=issues, where=_where(ids))


def _repeated(values: np.ndarray, index: np.ndarray) -> pd.Categorical:
    """``values[index]`` as a categorical (the distinct values once, integer codes per row)."""
    codes, uniques = pd.factorize(values)
    return pd.Categorical.from_codes(codes[index], categories=pd.Index(uniques, dtype=object))


def _year_in_titles(rows: list[list]) -> int | None:
    for row in rows:
        for value in row:
            m = YEAR_IN_TITLE.search(_text(value))
            if m:
                return int(m.group(1))
    return None


def _read_long(sheet, header_row: int, columns: dict) -> Table:
    ids, long = columns["ids"], columns["long"]
    ncols = max(len(r) for r in sheet.rows)
    block = _block(sheet, header_row + 1, ncols)

    def col(index: int | None) -> np.ndarray:
        if index is None:
            return np.full(len(block), None, dtype=object)
        return np.array(
            [
                _text(v) if i != long.get("value") else v
                for v, i in zip(block[:, index], [index] * len(block), strict=True)
            ],
            dtype=object,
        )

    value = block[:, long["value"]]
    field_codes = np.array([_text(v) for v in block[:, long["raw_field_code"]]], dtype=object)
    keep = (field_codes != "") | np.array([v not in (None, "") for v in value], dtype=bool)
    keep |= _marked(sheet, header_row + 1, np.array([long["value"]]), len(block))
    rows_idx = np.flatnonzero(keep)
    disaggregation = col(long.get("disaggregation"))
    disaggregation = np.where(np.isin(disaggregation, (None, "")), TOTAL, disaggregation)
    frame = pd.DataFrame(
        {
            "municipality": col(ids.get("municipality_code"))[rows_idx],
            "municipality_name": col(ids.get("municipality_name"))[rows_idx],
            "region": col(ids.get("region"))[rows_idx],
            "year": (
                block[rows_idx, ids["year"]] if "year" in ids else np.full(len(rows_idx), None, dtype=object)
            ),
            "raw_field": field_codes[rows_idx],
            "disaggregation": np.array([str(d).casefold() for d in disaggregation[rows_idx]], dtype=object),
            "cell": value[rows_idx],
            "row": rows_idx + header_row + 2,
            "column": column_letter(long["value"]),
            "col0": long["value"],
            "given_reason": col(long.get("missing_reason"))[rows_idx],
            "record": np.arange(len(rows_idx)),
        }
    )
    frame["municipality"] = frame["municipality"].fillna("")
    return Table(layout="long", sheet=sheet.name, frame=frame, issues=[], where=_where(ids, long))


def _read_template(sheet, matcher: HeaderMatcher) -> Table:
    """The return template: codes in column A, disaggregation codes in a hidden row."""
    rows = sheet.rows
    municipality = year = None
    where: dict[str, tuple[int | None, str]] = {}
    disaggregation_row: list[str] | None = None
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        key = _text(row[0]) if row else ""
        if key in ("municipality_code", "year"):
            # The value is the last non-blank cell after the label (column B): a blank value is blank,
            # never the label itself.
            filled = [c for c in range(2, len(row)) if row[c] not in (None, "")]
            column = filled[-1] if filled else 2
            where[key] = (r + 1, column_letter(column))
            if filled and key == "municipality_code":
                municipality = _text(row[column])
            elif filled:
                year = row[column]
        elif disaggregation_row is None and any(_text(v) == TOTAL for v in row[1:]):
            disaggregation_row = [_text(v) for v in row]
    if disaggregation_row is None:
        raise NoTable(
            make_issue(
                "no-table-found",
                detail="the template's hidden row of breakdown codes was deleted; download a fresh template",
            )
        )
    value_cols = [c for c, code in enumerate(disaggregation_row) if c > 0 and code]
    records = []
    for r, row in enumerate(rows):
        code = _text(row[0]) if row else ""
        if code not in matcher.catalog.raw_fields:
            continue
        for c in value_cols:
            cell = row[c] if c < len(row) else None
            records.append((code, disaggregation_row[c], cell, r + 1, column_letter(c), c))
    frame = pd.DataFrame(records, columns=["raw_field", "disaggregation", "cell", "row", "column", "col0"])
    frame.insert(0, "municipality", municipality or "")
    frame.insert(1, "municipality_name", "")
    frame.insert(2, "region", "")
    frame.insert(3, "year", [year] * len(frame) if len(frame) else None)
    frame["record"] = 0
    return Table(layout="template", sheet=sheet.name, frame=frame, issues=[], where=where)
