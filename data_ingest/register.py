"""Reading the municipality register (CSV or Excel) for `migdash municipalities import`."""

from __future__ import annotations

import pandas as pd

from .catalog import normalize_header
from .readers import ReadLimits, UnreadableFile, read_workbook

REQUIRED = (
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "municipality_code",
    "municipality_name",
)
OPTIONAL = ("population_band", "other_names", "active")


class RegisterError(Exception):
    pass


def read_register(data: bytes) -> pd.DataFrame:
    """The register's rows with the columns REQUIRED (+ OPTIONAL when present), as text."""
    try:
        workbook = read_workbook(data, ReadLimits())
    except UnreadableFile as exc:
        raise RegisterError(f"{exc.message} {exc.hint}") from None
    rows = workbook.sheets[0].rows if workbook.sheets else []
    if not rows:
        raise RegisterError("the register is empty")
    header = [normalize_header(h).replace(" ", "_") if h is not None else "" for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RegisterError(
            f"the first row must name the columns {', '.join(REQUIRED)}; missing: {', '.join(missing)}"
        )
    wanted = [c for c in (*REQUIRED, *OPTIONAL) if c in header]
    records = []
    for r, row in enumerate(rows[1:], start=2):
        cells = {c: row[header.index(c)] if header.index(c) < len(row) else None for c in wanted}
        text = {
            c: ""
            if v is None
            else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip())
            for c, v in cells.items()
        }
        if not any(text.values()):
            continue
        empty = [c for c in REQUIRED if not text[c]]
        if empty:
            raise RegisterError(f"row {r}: {', '.join(empty)} is empty")
        records.append(text)
    return pd.DataFrame(records, columns=wanted)
