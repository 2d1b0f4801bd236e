"""From uploaded bytes to a validation report and clean rows ready to store.

read (readers.py) -> find the table (layouts.py) -> clean every cell at once (cleaning.py) ->
identify municipalities and years -> rule checks (vectorised, one Issue per flagged cell only).
Nothing here writes to the database; store.py does, all or nothing.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .catalog import TOTAL, Catalog, normalize_header
from .cleaning import clean_values
from .formulas import evaluate_arrays
from .layouts import NoTable, find_table
from .packed import factorize_text, group_starts
from .readers import ReadLimits, UnreadableFile, read_workbook
from .validation import Issue, ValidationReport, make_issue

LARGE_CHANGE_RATIO = 0.5  # counts: more than 50 % up or down from last year
LARGE_CHANGE_POINTS = 20.0  # percentages: more than 20 points
SMALL_COUNT = 10  # below this on both years, a change in a count is not worth a warning
OUTLIER_Z = 3.0
MIN_PEERS = 5


@dataclass
class Register:
    """The municipality register, indexed for matching codes and names in returns."""

    by_code: dict[str, int]
    names: dict[int, str]
    # (id, name, other names, region, region code) per municipality, for the name indexes below.
    entries: list[tuple[int, str, list[str], str, str]] = field(repr=False)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Register:
        """``frame``: id, code, name, region (name), region_code, other_names (list of str)."""
        return cls(
            by_code={str(c).casefold(): i for c, i in zip(frame["code"], frame["id"], strict=True)},
            names=dict(zip(frame["id"], frame["name"], strict=True)),
            entries=list(
                zip(
                    frame["id"],
                    frame["name"],
                    frame["other_names"],
                    frame["region"],
                    frame["region_code"],
                    strict=True,
                )
            ),
        )

    @functools.cached_property
    def _name_indexes(self) -> tuple[dict[str, list[int]], dict[tuple[str, str], list[int]]]:
        # Built on first use only: a file that identifies municipalities by their codes never
        # needs them, and normalizing every name and region of the register took 0.04 s.
        by_name: dict[str, list[int]] = {}
        by_name_region: dict[tuple[str, str], list[int]] = {}
        for municipality_id, name, other_names, region, region_code in self.entries:
            for text in {name, *(other_names or [])}:
                key = normalize_header(text)
                by_name.setdefault(key, []).append(municipality_id)
                for region_text in {region, region_code}:
                    by_name_region.setdefault((key, normalize_header(region_text)), []).append(
                        municipality_id
                    )
        return by_name, by_name_region

    @property
    def by_name(self) -> dict[str, list[int]]:
        return self._name_indexes[0]

    @property
    def by_name_region(self) -> dict[tuple[str, str], list[int]]:
        return self._name_indexes[1]

    def match(self, code: str, name: str, region: str) -> tuple[int | None, str | None, str]:
        """(municipality id, problem code, detail)."""
        if code:
            hit = self.by_code.get(code.casefold())
            if hit is not None:
                return hit, None, ""
            if not name:
                return None, "unknown-municipality", self._did_you_mean(code, list(self.by_code))
        if name:
            key = normalize_header(name)
            ids = self.by_name.get(key, [])
            if len(ids) > 1 and region:
                ids = self.by_name_region.get((key, normalize_header(region)), ids)
            if len(ids) == 1:
                return ids[0], None, ""
            if len(ids) > 1:
                return None, "ambiguous-municipality", ", ".join(sorted(self._code(i) for i in ids))
            return None, "unknown-municipality", self._did_you_mean(key, list(self.by_name), names=True)
        return None, "missing-municipality", ""

    def _code(self, municipality_id: int) -> str:
        return next(c for c, i in self.by_code.items() if i == municipality_id).upper()

    def _did_you_mean(self, text: str, candidates: list[str], names: bool = False) -> str:
        close = difflib.get_close_matches(text.casefold(), candidates, n=1, cutoff=0.75)
        if not close:
            return ""
        if names:
            (municipality_id,) = self.by_name[close[0]][:1]
            return f" Did you mean {self.names[municipality_id]} ({self._code(municipality_id)})?"
        municipality_id = self.by_code[close[0]]
        return f" Did you mean {close[0].upper()} ({self.names[municipality_id]})?"


@dataclass
class Prepared:
    """A validated file: its report and, when it can be stored, the clean rows."""

    data: bytes
    filename: str
    sha256: str
    report: ValidationReport
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    # rows: municipality_id, year, raw_field, disaggregation, value, missing_reason, sheet, cell
    indicators: pd.DataFrame = field(default_factory=pd.DataFrame)  # see compute_indicators


def validate_file(
    data: bytes,
    filename: str,
    *,
    catalog: Catalog,
    register: Register,
    history: pd.DataFrame | Callable[[list[int]], pd.DataFrame] | None = None,
    limits: ReadLimits | None = None,
    first_year: int = 2000,
    last_year: int | None = None,
    default_year: int | None = None,
) -> Prepared:
    """Read and check a whole file; every problem found becomes an Issue in the report.

    ``history``: current stored values (municipality_id, year, raw_field, disaggregation, value)
    for the plausibility warnings against last year and against the other municipalities."""
    report = ValidationReport(filename=filename)
    prepared = Prepared(data=data, filename=filename, sha256=hashlib.sha256(data).hexdigest(), report=report)
    last_year = last_year or dt.date.today().year
    try:
        workbook = read_workbook(data, limits or ReadLimits())
    except UnreadableFile as exc:
        report.add(Issue(code=exc.code, severity="error", message=exc.message, hint=exc.hint))
        return prepared
    try:
        table = find_table(workbook.sheets, catalog, default_year=default_year)
    except NoTable as exc:
        report.add(exc.issue)
        return prepared
    report.layout = table.layout
    report.extend(table.issues)
    frame = table.frame
    sheet = next(s for s in workbook.sheets if s.name == table.sheet)
    if table.layout == "template":
        # Blank breakdown cells are simply not reported; a blank total is kept as "not reported".
        # Excel errors and formulas without a saved result read as blank but must be reported.
        marked = set(sheet.error_cells) | set(sheet.uncached_formulas)
        blank = frame["cell"].map(_is_blank).astype(bool)
        if marked:
            cells = zip(frame["row"] - 1, frame["col0"], strict=True)
            blank &= np.array([cell not in marked for cell in cells], dtype=bool)
        frame = frame[~blank | (frame["disaggregation"] == TOTAL)].reset_index(drop=True)
    if frame.empty:
        report.add(make_issue("empty-return", sheet=table.sheet))
        return prepared

    issues: list[Issue] = []
    frame = _check_fields(frame, catalog, table.sheet, issues, table.where)
    frame = _identify(frame, register, table.sheet, first_year, last_year, issues, table.where)
    frame = _clean(frame, catalog, sheet, issues)
    frame = _check_duplicates(frame, catalog, table.sheet, issues)
    explained = _check_parts(frame, catalog, table.sheet, issues)
    prepared.indicators = compute_indicators(frame[~frame["has_error"]], catalog)
    _check_indicator_bounds(frame, prepared.indicators, catalog, table.sheet, issues, explained=explained)
    if callable(history):
        # Only the years the file is about, and the year before each (for the change from last year).
        in_file = {int(y) for y in frame["year"].dropna().unique()}  # unique first: 300,000 rows, few years
        years = sorted(in_file | {y - 1 for y in in_file})
        history = history(years)
    if history is not None:
        _check_plausibility(frame, catalog, history, table.sheet, issues)
    report.extend(issues)
    if frame["value"].notna().sum() == 0 and report.ok:
        report.add(make_issue("empty-return", sheet=table.sheet))
    frame["sheet"] = table.sheet
    frame["cell_ref"] = [
        f"{c}{r}" for c, r in zip(frame["column"].tolist(), frame["row"].tolist(), strict=True)
    ]
    prepared.rows = frame[
        [
            "municipality_id",
            "year",
            "raw_field",
            "disaggregation",
            "value",
            "missing_reason",
            "sheet",
            "cell_ref",
        ]
    ].rename(columns={"cell_ref": "cell"})
    report.summary = {
        "municipalities": int(frame["municipality_id"].nunique()),
        "years": sorted(int(y) for y in frame["year"].dropna().unique()),
        "values": int(frame["value"].notna().sum()),
        "missing": int(frame["value"].isna().sum()),
        "sheet": table.sheet,
    }
    return prepared


def _is_blank(value: object) -> bool:
    """An empty cell: None, or NaN where pandas typed a column (all-number or all-text columns)."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def _issue_at(code: str, sheet: str, row: pd.Series | tuple, **kw) -> Issue:
    return make_issue(code, sheet=sheet, row=int(row.row), column=row.column, **kw)


def _id_cell(
    where: dict[str, tuple[int | None, str]], roles: tuple[str, ...], row: int | None
) -> tuple[int | None, str | None]:
    """The cell holding an identification (municipality, year, field code ...) of the observation on
    ``row``: in the role's column on that row, or in the role's fixed cell (the template's C3)."""
    for role in roles:
        if role in where:
            fixed, column = where[role]
            return (fixed or row, column)
    return row, None


def _check_fields(
    frame: pd.DataFrame,
    catalog: Catalog,
    sheet: str,
    issues: list[Issue],
    where: dict[str, tuple[int | None, str]] | None = None,
) -> pd.DataFrame:
    """Long tables name fields and breakdowns in cells: check them against the catalogue."""
    where = where or {}
    known = frame["raw_field"].isin(list(catalog.raw_fields))
    for row in frame[~known].drop_duplicates("raw_field").itertuples():
        r, column = _id_cell(where, ("raw_field_code",), int(row.row))
        issues.append(
            make_issue(
                "unknown-raw-field", sheet=sheet, row=r, column=column or row.column, value=row.raw_field
            )
        )
    frame = frame[known]
    allowed = {
        code: {TOTAL, *(d.code for d in catalog.disaggregations_of(raw))}
        for code, raw in catalog.raw_fields.items()
    }
    pairs = {(code, d) for code, options in allowed.items() for d in options}
    # Checked once per distinct (field, breakdown) pair: a wide table has one per column.
    field, fields = factorize_text(frame["raw_field"], use_na_sentinel=False)
    breakdown, breakdowns = factorize_text(frame["disaggregation"], use_na_sentinel=False)
    width = max(len(breakdowns), 1)
    of_pair, distinct = pd.factorize(field.astype(np.int64) * width + breakdown)
    known_pair = np.array(
        [(str(fields[p // width]), str(breakdowns[p % width])) in pairs for p in distinct.tolist()],
        dtype=bool,
    )
    ok = known_pair[of_pair] if len(frame) else np.ones(0, dtype=bool)
    for row in frame[~ok].itertuples():
        options = ", ".join(sorted(allowed[row.raw_field]))
        r, column = _id_cell(where, ("disaggregation",), int(row.row))
        issues.append(
            make_issue(
                "unknown-disaggregation",
                sheet=sheet,
                row=r,
                column=column or row.column,
                field=row.raw_field,
                value=row.disaggregation,
                detail=f" Allowed: {options}.",
            )
        )
    return frame[ok].reset_index(drop=True)


def _identify(
    frame: pd.DataFrame,
    register: Register,
    sheet: str,
    first_year: int,
    last_year: int,
    issues: list[Issue],
    where: dict[str, tuple[int | None, str]] | None = None,
) -> pd.DataFrame:
    """Municipality ids and years, checked once per distinct spelling (not once per cell), reported at
    the first cell holding that spelling; a blank municipality or year is reported in every row.

    The work is done once per record (the cells of one table row share its municipality and year):
    a national extract has 2,000 records and 300,000 cells."""
    where = where or {}
    keys = ["municipality", "municipality_name", "region"]
    record = frame["record"].to_numpy() if "record" in frame else np.arange(len(frame))
    of_record, _ = pd.factorize(record)  # record number, in order of first appearance
    first = np.flatnonzero(~pd.Series(of_record).duplicated().to_numpy())
    records = frame.iloc[first][[*keys, "year", "row"]].reset_index(drop=True)
    records = records.assign(**{k: _as_text(records[k]) for k in keys})
    rows = frame["row"].to_numpy()

    def rows_where(mask: np.ndarray) -> np.ndarray:
        """The distinct sheet rows of the cells whose record is in ``mask``, in order."""
        return pd.unique(rows[mask[of_record]])

    distinct = records.drop_duplicates(keys)[[*keys, "row"]]
    matched = []
    blank_rows = rows_where(
        ((records["municipality"] == "") & (records["municipality_name"] == "")).to_numpy()
    )
    for code, name, region, row in distinct.itertuples(index=False):
        municipality_id, problem, detail = register.match(code, name, region)
        if problem == "missing-municipality":
            cells = dict.fromkeys(
                _id_cell(where, ("municipality_code", "municipality_name"), int(r)) for r in blank_rows
            )  # the template's one code cell counts once
            issues.extend(make_issue(problem, sheet=sheet, row=at, column=column) for at, column in cells)
            blank_rows = []
        elif problem:
            roles = (
                ("municipality_code", "municipality_name")
                if code
                else ("municipality_name", "municipality_code")
            )
            at, column = _id_cell(where, roles, int(row))
            issues.append(
                make_issue(problem, sheet=sheet, row=at, column=column, value=code or name, detail=detail)
            )
        matched.append(municipality_id)
    distinct = distinct.assign(municipality_id=pd.array(matched, dtype="Int64")).drop(columns="row")
    municipality_id = records.merge(distinct, on=keys, how="left")["municipality_id"].array

    year_text = records["year"].map(lambda y: "" if y is None else str(y))
    distinct_years = records.assign(year_text=year_text).drop_duplicates("year_text")[
        ["year_text", "year", "row"]
    ]
    years = {}
    for text_value, value, row in distinct_years.itertuples(index=False):
        # No year column (nor a year in a title): one problem for the whole table, not a cell's.
        at, column = _id_cell(where, ("year",), int(row)) if "year" in where else (None, None)
        if text_value in ("", "None", "nan", "<NA>"):
            if "year" in where and where["year"][0] is None:  # a year column: every blank cell in it
                blank = rows_where((year_text == text_value).to_numpy())
                issues.extend(
                    make_issue("missing-year", sheet=sheet, row=int(r), column=column) for r in blank
                )
            else:
                issues.append(make_issue("missing-year", sheet=sheet, row=at, column=column))
            continue
        year = _as_year(value)
        if year is None:
            issues.append(make_issue("invalid-year", sheet=sheet, row=at, column=column, value=value))
        elif not first_year <= year <= last_year:
            issues.append(
                make_issue(
                    "year-out-of-range",
                    sheet=sheet,
                    row=at,
                    column=column,
                    value=year,
                    detail=f"{first_year} to {last_year}",
                )
            )
        else:
            years[text_value] = year
    year = pd.array(year_text.map(years).tolist(), dtype="Int64")
    frame = frame.assign(municipality_id=municipality_id.take(of_record), year=year.take(of_record))
    known = ~(municipality_id.isna() | year.isna())
    if known.all():
        return frame.reset_index(drop=True)
    return frame[known[of_record]].reset_index(drop=True)


def _as_text(column: pd.Series) -> pd.Series:
    """Identification cells as text, blank for none."""
    return column.astype(object).where(column.notna(), "").astype(str)


def _as_year(value: object) -> int | None:
    if isinstance(value, dt.date):
        return value.year
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() and 1900 <= number <= 2100 else None


def _clean(frame: pd.DataFrame, catalog: Catalog, sheet_obj, issues: list[Issue]) -> pd.DataFrame:
    types = frame["raw_field"].map({c: r.type for c, r in catalog.raw_fields.items()}).to_numpy(dtype=object)
    cells = frame["cell"].to_numpy(dtype=object)
    if frame["cell"].dtype != object:
        # pandas 3 stores an all-text column as strings, turning blank cells (None) into NaN.
        cells = np.where(frame["cell"].isna().to_numpy(), None, cells)
    cleaned = clean_values(cells, types)
    reason = cleaned.reason
    if "given_reason" in frame:
        # Our own export carries why a value is missing: a re-upload keeps that reason.
        given = frame["given_reason"].to_numpy(dtype=object)
        use = (reason == "not reported (blank)") & np.array([bool(g) for g in given], dtype=bool)
        reason = np.where(use, given, reason)
    frame = frame.assign(value=cleaned.value, missing_reason=reason)
    problem = pd.Series(cleaned.problem, index=frame.index)
    # Second look at cells calamine shows as blank: Excel errors and formulas without a saved value.
    if sheet_obj.error_cells or sheet_obj.uncached_formulas:
        rows0 = frame["row"].to_numpy() - 1
        cols0 = frame["col0"].to_numpy()
        for i, (r, c) in enumerate(zip(rows0, cols0, strict=True)):
            if (r, c) in sheet_obj.error_cells:
                problem.iat[i] = "excel-error"
                frame.at[frame.index[i], "cell"] = sheet_obj.error_cells[(r, c)]
            elif (r, c) in sheet_obj.uncached_formulas:
                problem.iat[i] = "formula-without-value"
    flagged = problem.notna()
    labels = {c: r.label.en for c, r in catalog.raw_fields.items()}
    for row, code in zip(frame[flagged].itertuples(), problem[flagged], strict=True):
        issues.append(_issue_at(code, sheet_obj.name, row, field=_label(labels, row), value=row.cell))
    errors = flagged & (problem != "count-not-whole")
    frame.loc[errors, ["value", "missing_reason"]] = [np.nan, None]
    frame = frame.assign(has_error=errors.to_numpy())
    return frame


def _label(labels: dict[str, str], row) -> str:
    label = labels.get(row.raw_field, row.raw_field)
    return label if row.disaggregation == TOTAL else f"{label} ({row.disaggregation})"


def _check_duplicates(frame: pd.DataFrame, catalog: Catalog, sheet: str, issues: list[Issue]) -> pd.DataFrame:
    key = ["municipality_id", "year", "raw_field", "disaggregation"]
    dup = frame.duplicated(key, keep=False)
    if not dup.any():
        return frame
    labels = {c: r.label.en for c, r in catalog.raw_fields.items()}
    for _, group in frame[dup].groupby(key, sort=False):
        values = group["value"].tolist()
        same = all(v == values[0] or (pd.isna(v) and pd.isna(values[0])) for v in values)
        for row in group.iloc[1:].itertuples():
            if same:
                issues.append(_issue_at("duplicate-row", sheet, row, field=_label(labels, row)))
            else:
                shown = " and ".join("blank" if pd.isna(v) else f"{v:g}" for v in values)
                issues.append(
                    _issue_at("conflicting-values", sheet, row, field=_label(labels, row), detail=shown)
                )
    return frame.drop_duplicates(key, keep="first").reset_index(drop=True)


def _check_parts(frame: pd.DataFrame, catalog: Catalog, sheet: str, issues: list[Issue]) -> set[tuple]:
    """A part larger than its whole is an error: a breakdown above its total, a field above the
    field it is part of (migrant pupils above all pupils). Returns the (municipality, year, raw field)
    of both sides of every such pair, whose indicators need no second message."""
    explained: set[tuple] = set()
    labels = {c: r.label.en for c, r in catalog.raw_fields.items()}
    present = frame.loc[
        frame["value"].notna().to_numpy(),
        ["municipality_id", "year", "raw_field", "disaggregation", "value", "row", "column"],
    ]
    values = present["value"].to_numpy(dtype=float)
    # Integer keys (municipality, year, field[, breakdown]): after the duplicate check each is unique.
    field, fields = _coded(present["raw_field"])
    breakdown, breakdowns = _coded(present["disaggregation"])
    n_fields, n_breakdowns = len(fields) + 1, len(breakdowns) + 1
    municipality_year = present["municipality_id"].to_numpy(dtype=np.int64) * 10_000 + present[
        "year"
    ].to_numpy(dtype=np.int64)
    is_total = (present["disaggregation"] == TOTAL).to_numpy(dtype=bool)

    def flag(pairs: pd.DataFrame, whole_label: Callable[[Any], str]) -> pd.DataFrame:
        """Report every part above its whole; return those rows."""
        over = pairs[pairs["value"] > pairs["value_whole"] * (1 + 1e-9)]
        for row in over.itertuples():
            detail = f"{whole_label(row)} ({row.value_whole:g})"
            issues.append(
                _issue_at(
                    "part-larger-than-whole",
                    sheet,
                    row,
                    field=_label(labels, row),
                    value=row.value,
                    detail=detail,
                )
            )
        return over

    # Breakdowns against the total of the same field.
    key = municipality_year * n_fields + field
    totals, parts = np.flatnonzero(is_total), np.flatnonzero(~is_total)
    whole_at = pd.Index(key[totals]).get_indexer(key[parts])
    found = whole_at >= 0
    flag(
        present.iloc[parts[found]].assign(value_whole=values[totals[whole_at[found]]]),
        lambda row: "its total",
    )
    # Fields against the field they are part of, breakdown by breakdown.
    whole_of = {c: r.part_of for c, r in catalog.raw_fields.items() if r.part_of}
    if not whole_of:
        return explained
    whole_names = np.array([whole_of.get(c) for c in fields], dtype=object)
    whole_field = fields.get_indexer(whole_names) if len(fields) else np.zeros(0, dtype=np.int64)
    whole_field[pd.isna(whole_names)] = -1
    of_row = whole_field[field] if len(field) else np.zeros(0, dtype=np.int64)
    candidates = np.flatnonzero(of_row >= 0)
    whole_at = pd.Index((municipality_year * n_fields + field) * n_breakdowns + breakdown).get_indexer(
        (municipality_year[candidates] * n_fields + of_row[candidates]) * n_breakdowns + breakdown[candidates]
    )
    found = whole_at >= 0
    with_whole = present.iloc[candidates[found]].assign(
        whole=whole_names[field[candidates[found]]], value_whole=values[whole_at[found]]
    )
    for row in flag(with_whole, lambda row: labels[row.whole]).itertuples():
        explained.add((row.municipality_id, row.year, row.raw_field))
        explained.add((row.municipality_id, row.year, row.whole))
    return explained


def _coded(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of a text column and the distinct values they stand for."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(dtype=np.int64), column.cat.categories
    codes, uniques = pd.factorize(np.asarray(column, dtype=object))
    return codes.astype(np.int64), pd.Index(uniques, dtype=object)


def wide_inputs(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, dict[str, np.ndarray], dict]:
    """Long rows -> one row per (municipality, year, disaggregation), sorted, one column per raw field.

    Returns the rows' keys (municipality_id, year, disaggregation), the order of each long row's key
    among them, the values per raw field (NaN where absent) and the missing reasons per raw field
    (NaN where absent). Built with integer codes (what ``unstack`` did, without its cost)."""
    municipality = np.asarray(frame["municipality_id"], dtype=np.int64)
    year = np.asarray(frame["year"], dtype=np.int64)
    disaggregation, breakdowns = factorize_text(frame["disaggregation"], sort=True)
    field, fields = factorize_text(frame["raw_field"])
    order = np.lexsort((disaggregation, year, municipality))
    starts = group_starts([municipality[order], year[order], disaggregation[order]])
    of_row = np.empty(len(frame), dtype=np.int64)
    of_row[order] = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    first = order[starts[:-1]]
    keys = pd.DataFrame(
        {
            "municipality_id": frame["municipality_id"].to_numpy()[first],
            "year": frame["year"].to_numpy()[first],
            "disaggregation": np.asarray(breakdowns, dtype=object)[disaggregation[first]],
        }
    )
    n = len(keys)
    values = np.full((len(fields), n), np.nan)
    values[field, of_row] = frame["value"].to_numpy(dtype=float)
    reasons = np.full((len(fields), n), np.nan, dtype=object)
    reasons[field, of_row] = frame["missing_reason"].to_numpy(dtype=object)
    return (
        keys,
        of_row,
        {code: values[j] for j, code in enumerate(fields)},
        {code: reasons[j] for j, code in enumerate(fields)},
    )


INDICATOR_COLUMNS = ["municipality_id", "year", "indicator", "disaggregation", "value", "missing_reason"]


def compute_indicators(frame: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """Indicator values (total and allowed breakdowns) from clean long rows, all at once.

    Returns municipality_id, year, indicator, disaggregation, value, missing_reason."""
    if frame.empty:
        return pd.DataFrame(columns=INDICATOR_COLUMNS)
    index, _, columns, why = wide_inputs(frame)
    n = len(index)
    disaggregation = index["disaggregation"].to_numpy(dtype=object)
    groups = {d.code: d.group for d in catalog.disaggregations.values()}
    is_total = disaggregation == TOTAL
    group = pd.Series(disaggregation).map(groups).to_numpy(dtype=object)
    rows, codes, results, reasons_out = [], [], [], []
    for code, formula in catalog.formulas.items():
        value, reason = evaluate_arrays(formula, columns, n, why)
        allowed = is_total | np.isin(group, catalog.indicators[code].disaggregations)
        # A breakdown without a value says nothing the total does not: keep only informative rows.
        keep = np.flatnonzero(allowed & (is_total | ~np.isnan(value)))
        rows.append(keep)
        codes.append(np.full(len(keep), len(codes), dtype=np.int32))
        results.append(value[keep])
        reasons_out.append(reason[keep])
    taken = np.concatenate(rows)
    return pd.DataFrame(
        {
            "municipality_id": index["municipality_id"].to_numpy()[taken],
            "year": index["year"].to_numpy()[taken],
            # Categoricals: 56 codes and a few breakdowns repeated over 188,000 values.
            "indicator": pd.Categorical.from_codes(
                np.concatenate(codes), categories=pd.Index(list(catalog.formulas), dtype=object)
            ),
            "disaggregation": _taken_categorical(disaggregation, taken),
            "value": np.concatenate(results),
            "missing_reason": np.concatenate(reasons_out),
        }
    )


def _taken_categorical(values: np.ndarray, taken: np.ndarray) -> pd.Categorical:
    """``pd.Categorical(values[taken])``, built from a categorical of the few ``values`` (one per
    municipality, year and breakdown) instead of from the many values taken."""
    if not len(taken):
        return pd.Categorical(values[taken])  # no values: pandas' own dtype for an empty one
    of_values = pd.Categorical(values)
    taken_codes = of_values.codes[taken]
    return pd.Categorical.from_codes(taken_codes, dtype=of_values.dtype).remove_unused_categories()


def _check_indicator_bounds(
    frame: pd.DataFrame,
    computed: pd.DataFrame,
    catalog: Catalog,
    sheet: str,
    issues: list[Issue],
    *,
    explained: set[tuple] = frozenset(),
) -> None:
    """An indicator outside its bounds, unless a part-larger-than-whole error already explains it."""
    bounded = {c: i for c, i in catalog.indicators.items() if i.bounds}
    if not bounded or computed.empty:
        return
    computed = computed[
        (computed["disaggregation"] == TOTAL)
        & computed["indicator"].isin(list(bounded))
        & computed["value"].notna()
    ]
    low = computed["indicator"].map({c: i.bounds[0] for c, i in bounded.items()}).astype(float)
    high = computed["indicator"].map({c: i.bounds[1] for c, i in bounded.items()}).astype(float)
    outside = computed[(computed["value"] < low - 1e-9) | (computed["value"] > high + 1e-9)]
    if outside.empty:
        return
    cells = frame[frame["disaggregation"] == TOTAL].set_index(["municipality_id", "year", "raw_field"])
    for row in outside.itertuples():
        ind = catalog.indicators[row.indicator]
        inputs = catalog.formulas[row.indicator].fields
        if any((row.municipality_id, row.year, f) in explained for f in inputs):
            continue
        first_input = catalog.formulas[row.indicator].fields[0]
        where = cells.loc[(row.municipality_id, row.year, first_input)]
        issues.append(
            make_issue(
                "indicator-out-of-bounds",
                sheet=sheet,
                row=int(where.row),
                column=where.column,
                field=f"{ind.code} {ind.name.en}",
                value=round(row.value, 4),
                detail=f"{ind.bounds[0]:g} to {ind.bounds[1]:g}",
            )
        )


def _check_plausibility(
    frame: pd.DataFrame, catalog: Catalog, history: pd.DataFrame, sheet: str, issues: list[Issue]
) -> None:
    """Warnings: a big change from last year; a value far from the other municipalities'."""
    if history.empty:
        history = pd.DataFrame(columns=["municipality_id", "year", "raw_field", "disaggregation", "value"])
    types = {c: r.type for c, r in catalog.raw_fields.items()}
    labels = {c: r.label.en for c, r in catalog.raw_fields.items()}
    mine = frame.loc[
        (frame["disaggregation"] == TOTAL).to_numpy() & frame["value"].notna().to_numpy(),
        ["municipality_id", "year", "raw_field", "value", "row", "column"],
    ]
    mine = mine.assign(type=mine["raw_field"].map(types))
    scored_types = mine["type"].isin(["count", "amount", "percent", "number"])
    mine = mine[scored_types]
    past = history[history["disaggregation"] == TOTAL][["municipality_id", "year", "raw_field", "value"]]
    past = past.assign(year=past["year"] + 1).rename(columns={"value": "previous"})
    joined = mine.merge(past, on=["municipality_id", "year", "raw_field"])
    pct = joined["type"] == "percent"
    change = (joined["value"] - joined["previous"]).abs()
    ratio = change / joined["previous"].abs().where(joined["previous"] != 0)
    small = (joined["value"].abs() < SMALL_COUNT) & (joined["previous"].abs() < SMALL_COUNT)
    big = (pct & (change > LARGE_CHANGE_POINTS)) | (~pct & ~small & (ratio > LARGE_CHANGE_RATIO))
    for row in joined[big].itertuples():
        issues.append(
            _issue_at(
                "large-change",
                sheet,
                row,
                field=labels[row.raw_field],
                value=row.value,
                detail=f"{row.previous:g}",
            )
        )
    # Robust z-score against the other municipalities' values of the same year (stored or in this file).
    keys = ["municipality_id", "year", "raw_field"]
    past = history[history["disaggregation"] == TOTAL][[*keys, "value"]]
    pool = (
        pd.concat([past, mine[[*keys, "value"]]]).drop_duplicates(keys, keep="last")
        if len(past)
        else mine[[*keys, "value"]]  # a file's own figures have one total per key (duplicates are dropped)
    )
    median, count, mad, of_mine = _robust_stats(pool, mine)
    scored = mine.assign(median=median[of_mine], count=count[of_mine], mad=mad[of_mine])
    scored = scored[(scored["count"] > MIN_PEERS) & (scored["mad"] > 0)]
    z = 0.6745 * (scored["value"] - scored["median"]) / scored["mad"]
    for row, zi in zip(scored[z.abs() > OUTLIER_Z].itertuples(), z[z.abs() > OUTLIER_Z], strict=True):
        issues.append(
            _issue_at(
                "outlier",
                sheet,
                row,
                field=labels[row.raw_field],
                value=row.value,
                detail=f"median {row.median:g}, robust z-score {zi:.1f}",
            )
        )


def _robust_stats(pool: pd.DataFrame, mine: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Per (year, raw field) of ``pool``: median, number of values and median absolute deviation of
    its values (missing ones left out); and the group of each row of ``mine``. Sorted once, in numpy
    (a pandas groupby median took 0.1 s on a national extract)."""
    fields, field_names = pd.factorize(
        np.concatenate(
            [np.asarray(pool["raw_field"], dtype=object), np.asarray(mine["raw_field"], dtype=object)]
        )
    )
    years = np.concatenate(
        [np.asarray(pool["year"], dtype=np.int64), np.asarray(mine["year"], dtype=np.int64)]
    )
    group, _ = pd.factorize(years * max(len(field_names), 1) + fields)
    n_groups = int(group.max()) + 1 if len(group) else 0
    of_pool, of_mine = group[: len(pool)], group[len(pool) :]
    values = pool["value"].to_numpy(dtype=float)
    median, count = _group_medians(values, of_pool, n_groups)
    mad, _ = _group_medians(np.abs(values - median[of_pool]), of_pool, n_groups)
    return median, count, mad, of_mine


def _group_medians(values: np.ndarray, group: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Median (NaN for none) and count of the non-missing values of each group, as pandas computes them."""
    present = ~np.isnan(values)
    values, group = values[present], group[present]
    order = np.lexsort((values, group))
    ordered = values[order]
    count = np.bincount(group, minlength=n_groups)
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    median = np.full(n_groups, np.nan)
    odd, even = (count % 2 == 1), (count > 0) & (count % 2 == 0)
    median[odd] = ordered[start[odd] + count[odd] // 2]
    median[even] = (ordered[start[even] + count[even] // 2 - 1] + ordered[start[even] + count[even] // 2]) / 2
    return median, count
