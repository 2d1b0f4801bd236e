"""Long-table exports (CSV / XLSX) of indicator or raw values; spreadsheet formula prefixes are
escaped so that an exported cell can never run as a formula in Excel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from .catalog import TOTAL, Catalog
from .models import Municipality, ReturnRecord
from .settings import Settings
from .store import indicator_values_frame, raw_values_frame

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
INDICATOR_COLUMNS = [
    "municipality_code",
    "municipality_name",
    "indicator_code",
    "year",
    "disaggregation",
    "value",
    "missing_reason",
    "unit",
    "status",
    "trend",
    "submission_id",
]
RAW_COLUMNS = [
    "municipality_code",
    "municipality_name",
    "raw_field_code",
    "year",
    "disaggregation",
    "value",
    "missing_reason",
    "unit",
    "status",
    "trend",
    "submission_id",
    "sheet",
    "cell",
]


def escape_formula(value: object) -> object:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Escape every text cell (numbers stay numbers: a negative value is not a formula)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(escape_formula)
    return out


def with_status_and_trend(frame: pd.DataFrame, catalog: Catalog, settings: Settings) -> pd.DataFrame:
    """Status of each total value, and the trend of its series as of that year (METHODOLOGY.md)."""
    from dashboard.scoring import Rule, status, trend

    frame = frame.sort_values(["municipality_code", "indicator_code", "disaggregation", "year"])
    statuses, trends = [], []
    for (_, code, disaggregation), group in frame.groupby(
        ["municipality_code", "indicator_code", "disaggregation"], sort=False
    ):
        ind = catalog.indicators.get(code)
        years, values = group["year"].tolist(), group["value"].tolist()
        for i, value in enumerate(values):
            if ind is None or disaggregation != TOTAL:
                statuses.append(None)
                trends.append(None)
                continue
            rule = Rule.of(ind)
            statuses.append(None if not ind.scored else str(status(None if pd.isna(value) else value, rule)))
            result = trend(
                years[: i + 1],
                [None if pd.isna(v) else v for v in values[: i + 1]],
                rule,
                base_year=settings.base_year,
                target_year=settings.target_year,
            )
            trends.append(str(result.trend))
    return frame.assign(status=statuses, trend=trends)


def export_table(*, session: Session, catalog: Catalog, settings: Settings, what: str) -> pd.DataFrame:
    """The current values as a long table with the columns documented in the README."""
    names = pd.DataFrame(
        session.execute(select(Municipality.id, Municipality.code, Municipality.name)).all(),
        columns=["municipality_id", "municipality_code", "municipality_name"],
    )
    if what == "raw":
        frame = (
            raw_values_frame(session)
            .merge(names, on="municipality_id")
            .rename(columns={"raw_field": "raw_field_code"})
            .sort_values(["municipality_code", "year", "raw_field_code", "disaggregation"])
            .reset_index(drop=True)
        )
        frame["unit"] = frame["raw_field_code"].map(
            lambda c: catalog.raw_fields[c].unit if c in catalog.raw_fields else ""
        )
        frame["status"] = None
        frame["trend"] = None
        return frame[RAW_COLUMNS]
    submission_of = pd.DataFrame(
        session.execute(select(ReturnRecord.id, ReturnRecord.submission_id)).all(),
        columns=["return_id", "submission_id"],
    )
    frame = (
        indicator_values_frame(session)
        .merge(submission_of, on="return_id")
        .merge(names, on="municipality_id")
        .rename(columns={"indicator": "indicator_code"})
    )
    frame["unit"] = frame["indicator_code"].map(
        lambda c: catalog.indicators[c].unit if c in catalog.indicators else ""
    )
    frame = with_status_and_trend(frame, catalog, settings)
    return frame.sort_values(["municipality_code", "indicator_code", "year", "disaggregation"])[
        INDICATOR_COLUMNS
    ]


def write_table(frame: pd.DataFrame, path: str | Path, fmt: str) -> None:
    """CSV (UTF-8 with BOM, so Excel shows accents) or XLSX; missing values are empty cells."""
    safe = escape_frame(frame)
    if fmt == "csv":
        safe.to_csv(path, index=False, encoding="utf-8-sig")
    else:
        safe.to_excel(path, index=False, engine="openpyxl", sheet_name="data")
