"""Long-table exports (CSV / XLSX) of indicator or raw values; spreadsheet formula prefixes are
escaped so that an exported cell can never run as a formula in Excel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from .catalog import TOTAL, Catalog
from .models import IndicatorValue, Municipality, RawValue, ReturnRecord
from .settings import Settings

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
    if what == "raw":
        rows = session.execute(
            select(
                Municipality.code,
                Municipality.name,
                RawValue.raw_field,
                ReturnRecord.year,
                RawValue.disaggregation,
                RawValue.value,
                RawValue.missing_reason,
                ReturnRecord.submission_id,
                RawValue.sheet,
                RawValue.cell,
            )
            .join(ReturnRecord, RawValue.return_id == ReturnRecord.id)
            .join(Municipality, ReturnRecord.municipality_id == Municipality.id)
            .where(ReturnRecord.status == "current")
            .order_by(Municipality.code, ReturnRecord.year, RawValue.raw_field, RawValue.disaggregation)
        ).all()
        frame = pd.DataFrame(
            rows,
            columns=[
                "municipality_code",
                "municipality_name",
                "raw_field_code",
                "year",
                "disaggregation",
                "value",
                "missing_reason",
                "submission_id",
                "sheet",
                "cell",
            ],
        )
        frame["unit"] = frame["raw_field_code"].map(
            lambda c: catalog.raw_fields[c].unit if c in catalog.raw_fields else ""
        )
        frame["status"] = None
        frame["trend"] = None
        return frame[RAW_COLUMNS]
    rows = session.execute(
        select(
            Municipality.code,
            Municipality.name,
            IndicatorValue.indicator,
            IndicatorValue.year,
            IndicatorValue.disaggregation,
            IndicatorValue.value,
            IndicatorValue.missing_reason,
            ReturnRecord.submission_id,
        )
        .join(ReturnRecord, IndicatorValue.return_id == ReturnRecord.id)
        .join(Municipality, IndicatorValue.municipality_id == Municipality.id)
    ).all()
    frame = pd.DataFrame(
        rows,
        columns=[
            "municipality_code",
            "municipality_name",
            "indicator_code",
            "year",
            "disaggregation",
            "value",
            "missing_reason",
            "submission_id",
        ],
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
