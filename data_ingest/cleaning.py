"""Turn spreadsheet cells into numbers, missing values with a reason, or a problem code.

Vectorised: numbers coming from Excel go through numpy in bulk; text is parsed once per
*distinct* string (a national extract repeats the same markers and formats thousands of times).
Missing markers become missing values with their reason, never 0 (METHODOLOGY.md).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

NOT_REPORTED = "not reported (blank)"
NOT_AVAILABLE = "not available"
CONFIDENTIAL = "confidential"
NOT_APPLICABLE = "not applicable"

# Markers seen in real statistical tables, lower-cased; value = the reason stored.
MISSING_MARKERS = {
    "..": NOT_AVAILABLE,
    "...": NOT_AVAILABLE,
    "…": NOT_AVAILABLE,
    ":": NOT_AVAILABLE,
    "-": NOT_AVAILABLE,
    "--": NOT_AVAILABLE,
    "—": NOT_AVAILABLE,
    "–": NOT_AVAILABLE,
    "x": NOT_AVAILABLE,
    "n/a": NOT_AVAILABLE,
    "na": NOT_AVAILABLE,
    "n.a.": NOT_AVAILABLE,
    "nd": NOT_AVAILABLE,
    "n.d.": NOT_AVAILABLE,
    "n/d": NOT_AVAILABLE,
    "s/d": NOT_AVAILABLE,
    "c": CONFIDENTIAL,
    "conf": CONFIDENTIAL,
    "confidential": CONFIDENTIAL,
    "z": NOT_APPLICABLE,
    "s.o.": NOT_APPLICABLE,
    "so": NOT_APPLICABLE,
    "n.a": NOT_APPLICABLE,
    "no aplica": NOT_APPLICABLE,
    "sans objet": NOT_APPLICABLE,
    "not applicable": NOT_APPLICABLE,
}
YES_WORDS = frozenset({"yes", "y", "oui", "o", "si", "sí", "s", "true", "vrai", "verdadero", "1"})
NO_WORDS = frozenset({"no", "n", "non", "false", "faux", "falso", "0"})
EXCEL_ERRORS = frozenset(
    {"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA", "#SPILL!", "#CALC!"}
)

_NUMBER = re.compile(r"^([+-]?)\s*([0-9][0-9.,\s'’]*|[.,][0-9]+)\s*(%?)$")
_THOUSANDS = re.compile(r"^[0-9]{1,3}([.,][0-9]{3})+$")
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f'’]")


@dataclass
class Cleaned:
    value: np.ndarray  # float, NaN where missing or wrong
    reason: np.ndarray  # object: why a value is missing (None when present or wrong)
    problem: np.ndarray  # object: issue code (None when fine)


def clean_values(cells: np.ndarray | list, types: np.ndarray | list | str) -> Cleaned:
    """Clean cells; ``types`` is the raw field type of each cell (or one type for all)."""
    arr = np.asarray(cells, dtype=object)
    n = len(arr)
    types = np.full(n, types, dtype=object) if isinstance(types, str) else np.asarray(types, dtype=object)
    value = np.full(n, np.nan)
    reason = np.full(n, None, dtype=object)
    problem = np.full(n, None, dtype=object)
    if n == 0:
        return Cleaned(value, reason, problem)

    kinds = _kinds(arr)
    number = kinds == 0
    value[number] = arr[number].astype(float)
    bad_float = number & ~np.isfinite(value)
    problem[bad_float] = "not-finite"
    value[bad_float] = np.nan
    reason[kinds == 1] = NOT_REPORTED
    booleans = kinds == 2
    if booleans.any():
        yes_no = booleans & (types == "yes-no")
        value[yes_no] = arr[yes_no].astype(float)
        problem[booleans & ~yes_no] = "not-a-number"
    problem[kinds == 3] = "date-not-number"
    text = kinds == 4
    if text.any():
        idx = np.flatnonzero(text)
        parsed = [_parse_text(arr[i], types[i]) for i in idx]  # lru-cached per distinct (text, type)
        value[idx] = [p[0] for p in parsed]
        reason[idx] = [p[1] for p in parsed]
        problem[idx] = [p[2] for p in parsed]
    _check_ranges(value, types, problem)
    return Cleaned(value, reason, problem)


_KIND_OF_TYPE = {float: 0, int: 0, np.float64: 0, np.int64: 0, type(None): 1, bool: 2, np.bool_: 2}
_DATES = (dt.date, dt.time, dt.timedelta, pd.Timestamp)


def _kinds(arr: np.ndarray) -> np.ndarray:
    """Per cell: 0 a number, 1 blank (None or blank text), 2 a boolean, 3 a date or time, 4 text or
    anything else; decided once per distinct Python type (and per cell only for text)."""
    of_type, types = pd.factorize(np.fromiter(map(type, arr), dtype=object, count=len(arr)))
    by_type = np.array(
        [_KIND_OF_TYPE.get(t, 3 if issubclass(t, _DATES) else 4) for t in types], dtype=np.int8
    )
    kinds = by_type[of_type] if len(arr) else np.zeros(0, dtype=np.int8)
    for code, t in enumerate(types):
        if t is str:  # blank text is a blank cell
            at = np.flatnonzero(of_type == code)
            kinds[at] = [4 if v.strip() else 1 for v in arr[at].tolist()]
    return kinds


@lru_cache(maxsize=65536)
def _parse_text(text: str, ftype: str) -> tuple[float, str | None, str | None]:
    """(value, missing reason, problem code) for one distinct text."""
    s = text.replace("\u00a0", " ").strip()
    if not s:
        return np.nan, NOT_REPORTED, None
    low = s.casefold()
    if low in MISSING_MARKERS:
        return np.nan, MISSING_MARKERS[low], None
    if s.upper() in EXCEL_ERRORS:
        return np.nan, None, "excel-error"
    if ftype == "yes-no":
        if low in YES_WORDS:
            return 1.0, None, None
        if low in NO_WORDS:
            return 0.0, None, None
    number = parse_number(s, ftype)
    if number is None:
        return np.nan, None, ("not-yes-no" if ftype == "yes-no" else "not-a-number")
    return number, None, None


def parse_number(text: str, ftype: str = "number") -> float | None:
    """A number written as text, in either convention: "1,165", "1.165", "1 165", "12,5", "45 %".

    A single separator followed by exactly three digits is a thousands separator for counts and
    amounts ("1.165" people) and a decimal separator otherwise ("1.165" as a ratio)."""
    m = _NUMBER.match(text.strip())
    if not m:
        return None
    sign, digits, _percent = m.groups()
    digits = _SPACES.sub("", digits)
    if not digits or not any(c.isdigit() for c in digits):
        return None
    commas, dots = digits.count(","), digits.count(".")
    if commas and dots:
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        whole, _, frac = digits.rpartition(decimal)
        bad_thousands = not _THOUSANDS.match(whole.replace(thousands, ",")) and thousands in whole
        if digits.count(decimal) > 1 or bad_thousands:
            return None
        digits = whole.replace(thousands, "") + "." + frac
    elif commas + dots > 1:
        if not _THOUSANDS.match(digits):
            return None
        digits = digits.replace(",", "").replace(".", "")
    elif commas + dots == 1:
        sep = "," if commas else "."
        whole, _, frac = digits.partition(sep)
        if len(frac) == 3 and whole and whole[0] != "0" and len(whole) <= 3 and ftype in ("count", "amount"):
            digits = whole + frac
        else:
            digits = (whole or "0") + "." + frac
    try:
        value = float(digits)
    except ValueError:
        return None
    return -value if sign == "-" else value


def _check_ranges(value: np.ndarray, types: np.ndarray, problem: np.ndarray) -> None:
    """Type rules that need no other cell: yes/no is 0/1, levels 0-3, no negative counts..."""
    present = ~np.isnan(value) & (problem == None)  # noqa: E711 - elementwise on an object array
    # The few type names as integer codes: comparing 300,000 strings once per rule cost 5 ms a rule.
    type_code, type_names = pd.factorize(np.asarray(types, dtype=object))

    def of_type(*names: str) -> np.ndarray:
        return np.isin(type_code, [i for i, name in enumerate(type_names) if name in names])

    with np.errstate(invalid="ignore"):
        whole = np.equal(np.mod(value, 1), 0)
        rules = [
            (of_type("yes-no") & ~np.isin(value, (0.0, 1.0)), "not-yes-no"),
            (of_type("level") & ~(whole & (value >= 0) & (value <= 3)), "level-out-of-range"),
            (of_type("count", "amount") & (value < 0), "negative-value"),
            (of_type("percent") & ((value < 0) | (value > 100)), "percent-out-of-range"),
        ]
        for mask, code in rules:
            hit = present & mask
            problem[hit] = code
            present &= ~hit
        problem[present & of_type("count") & ~whole] = "count-not-whole"  # a warning: value kept
    errors = (problem != None) & (problem != "count-not-whole")  # noqa: E711
    value[errors] = np.nan
