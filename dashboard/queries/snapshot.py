"""The data every page reads, loaded once per data change and cached.

Status, trend and score (dashboard/scoring.py) are computed here for every municipality and
indicator when the data changes, never on each request: the cache key is the data version
(newest submission and number of current returns), which every ingest changes.
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from dashboard.scoring import Rule, Status, area_status, default_worst, is_stale, score, status, trend
from data_ingest.catalog import TOTAL, Catalog, Indicator
from data_ingest.models import (
    Country,
    Municipality,
    Region,
    ReturnRecord,
    Submission,
)
from data_ingest.settings import Settings
from data_ingest.store import indicator_values_frame

RESULT_COLUMNS = [
    "municipality_id",
    "indicator",
    "area",
    "scored",
    "year",
    "value",
    "missing_reason",
    "status",
    "trend",
    "ratio",
    "observed_rate",
    "required_rate",
    "n_points",
    "stale",
    "score",
    "return_id",
    "submission_id",
]


@dataclass(frozen=True)
class Snapshot:
    """Everything the pages show, as DataFrames; never mutated once built."""

    version: tuple
    latest_year: int | None  # the latest reporting year with any accepted return
    municipalities: (
        pd.DataFrame
    )  # id, code, name, region, region_code, country, country_code, population_band, active
    values: pd.DataFrame  # municipality_id, indicator, year, disaggregation, value, missing_reason, return_id
    results: pd.DataFrame  # RESULT_COLUMNS: one row per municipality x indicator (totals, latest year)
    returns: pd.DataFrame  # id, submission_id, municipality_id, year, status, received_at, on_time
    submissions: pd.DataFrame  # id, received_at, status, municipality_id, year, original_filename, uploader,
    #                            layout, errors, warnings

    def municipality(self, code: str) -> pd.Series | None:
        hit = self.municipalities[self.municipalities["code"] == code]
        return None if hit.empty else hit.iloc[0]


def rule_of(ind: Indicator) -> Rule:
    return Rule.of(ind)


_cache: dict[tuple, Snapshot] = {}
_lock = threading.Lock()


def data_version(engine: Engine) -> tuple:
    with engine.connect() as connection:
        newest = connection.execute(select(func.max(Submission.id), func.count(Submission.id))).one()
        current = connection.execute(
            select(func.count()).select_from(ReturnRecord).where(ReturnRecord.status == "current")
        ).scalar_one()
    return (str(engine.url), tuple(newest), current)


def get_snapshot(engine: Engine, catalog: Catalog, settings: Settings) -> Snapshot:
    """The cached snapshot for the current data; rebuilt only after the data changed."""
    version = (*data_version(engine), id(catalog))
    snapshot = _cache.get(version)
    if snapshot is None:
        with _lock:
            snapshot = _cache.get(version)
            if snapshot is None:
                snapshot = build_snapshot(engine, catalog, settings, version)
                _cache.clear()
                _cache[version] = snapshot
                # The snapshot lives until the data change: keep the cyclic garbage collector from
                # walking it (and the app's other long-lived objects) on every full collection,
                # which made one request in ten several times slower (measured in bench/pages.py).
                gc.collect()
                gc.freeze()
    return snapshot


def build_snapshot(engine: Engine, catalog: Catalog, settings: Settings, version: tuple = ()) -> Snapshot:
    with engine.connect() as connection:
        municipalities = pd.DataFrame(
            connection.execute(
                select(
                    Municipality.id,
                    Municipality.code,
                    Municipality.name,
                    Region.name.label("region"),
                    Region.code.label("region_code"),
                    Country.name.label("country"),
                    Country.code.label("country_code"),
                    Municipality.population_band,
                    Municipality.active,
                )
                .join(Region, Municipality.region_id == Region.id)
                .join(Country, Region.country_id == Country.id)
                .order_by(Country.code, Municipality.code)
            ).all(),
            columns=[
                "id",
                "code",
                "name",
                "region",
                "region_code",
                "country",
                "country_code",
                "population_band",
                "active",
            ],
        )
        values = indicator_values_frame(connection)
        returns = pd.DataFrame(
            connection.execute(
                select(
                    ReturnRecord.id,
                    ReturnRecord.submission_id,
                    ReturnRecord.municipality_id,
                    ReturnRecord.year,
                    ReturnRecord.status,
                    Submission.received_at,
                ).join(Submission, ReturnRecord.submission_id == Submission.id)
            ).all(),
            columns=["id", "submission_id", "municipality_id", "year", "status", "received_at"],
        )
        submissions = pd.DataFrame(
            connection.execute(
                select(
                    Submission.id,
                    Submission.received_at,
                    Submission.status,
                    Submission.municipality_id,
                    Submission.year,
                    Submission.original_filename,
                    Submission.uploader,
                    Submission.layout,
                    Submission.report,
                )
            ).all(),
            columns=[
                "id",
                "received_at",
                "status",
                "municipality_id",
                "year",
                "original_filename",
                "uploader",
                "layout",
                "report",
            ],
        )
    submissions["errors"] = submissions["report"].map(lambda r: (r or {}).get("errors", 0))
    submissions["warnings"] = submissions["report"].map(lambda r: (r or {}).get("warnings", 0))
    submissions = submissions.drop(columns="report")
    # Due by the end of the deadline day of the following year (e.g. 31 March Y+1, 23:59:59).
    deadline = returns["year"].map(
        lambda y: (
            dt.datetime(int(y) + 1, settings.deadline_month, 1) + dt.timedelta(days=settings.deadline_day)
        )
    )
    returns["on_time"] = returns["received_at"] < deadline
    latest_year = int(returns["year"].max()) if not returns.empty else None
    results = compute_results(values, returns, catalog, settings, latest_year)
    return Snapshot(
        version=version,
        latest_year=latest_year,
        municipalities=municipalities,
        values=values,
        results=results,
        returns=returns,
        submissions=submissions,
    )


def compute_results(
    values: pd.DataFrame, returns: pd.DataFrame, catalog: Catalog, settings: Settings, latest_year: int | None
) -> pd.DataFrame:
    """Status, trend, staleness and 0-100 score of every municipality x indicator (METHODOLOGY.md)."""
    totals = values[values["disaggregation"] == TOTAL].sort_values(["municipality_id", "indicator", "year"])
    submission_of = dict(zip(returns["id"], returns["submission_id"], strict=True))
    rows = []
    for (municipality_id, code), series in totals.groupby(["municipality_id", "indicator"], sort=False):
        ind = catalog.indicators.get(code)
        if ind is None:
            continue
        rule = rule_of(ind)
        present = series[series["value"].notna()]
        latest = present.iloc[-1] if not present.empty else series.iloc[-1]
        value = None if pd.isna(latest["value"]) else float(latest["value"])
        result = trend(
            present["year"].tolist(),
            present["value"].tolist(),
            rule,
            base_year=settings.base_year,
            target_year=settings.target_year,
        )
        rows.append(
            {
                "municipality_id": municipality_id,
                "indicator": code,
                "area": ind.area,
                "scored": ind.scored,
                "year": int(latest["year"]),
                "value": value,
                "missing_reason": None if value is not None else latest["missing_reason"],
                "status": str(status(value, rule)) if ind.scored else None,
                "trend": str(result.trend),
                "ratio": result.ratio,
                "observed_rate": result.observed_rate,
                "required_rate": result.required_rate,
                "n_points": result.n_points,
                "stale": bool(
                    latest_year is not None
                    and value is not None
                    and is_stale(int(latest["year"]), latest_year, settings.stale_after_years)
                ),
                "score": None,
                "return_id": int(latest["return_id"]),
                "submission_id": submission_of.get(int(latest["return_id"])),
            }
        )
    results = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    for code, group in results[results["scored"].astype(bool)].groupby("indicator"):
        rule = rule_of(catalog.indicators[code])
        worst = default_worst(group["value"].dropna().tolist(), rule)
        results.loc[group.index, "score"] = [
            score(v, rule, worst) if v is not None and not pd.isna(v) else None for v in group["value"]
        ]
    return results


def area_statuses(snapshot: Snapshot, catalog: Catalog, municipality_id: int) -> dict[str, Status]:
    """Each thematic area's status for one municipality (the "two worst" rule); stale values and
    indicators never reported count as no data."""
    mine = snapshot.results[
        (snapshot.results["municipality_id"] == municipality_id) & snapshot.results["scored"]
    ]
    by_indicator = {r.indicator: (Status.NO_DATA if r.stale else Status(r.status)) for r in mine.itertuples()}
    return {
        area: area_status(
            [by_indicator.get(i.code, Status.NO_DATA) for i in catalog.indicators_in(area) if i.scored]
        )
        for area in catalog.areas
        if area != "context"
    }


def scores_by_municipality(snapshot: Snapshot, catalog: Catalog) -> pd.DataFrame:
    """Per municipality: area scores, overall score (None when > 20 % of indicators are missing) and
    how many indicators the overall score rests on (METHODOLOGY.md)."""
    from dashboard.scoring import mean_score, overall_score

    scored = [i for i in catalog.indicators.values() if i.scored]
    rows = []
    for municipality_id in snapshot.municipalities["id"]:
        mine = snapshot.results[
            (snapshot.results["municipality_id"] == municipality_id) & snapshot.results["scored"].astype(bool)
        ]
        current = mine[~mine["stale"].astype(bool) & mine["score"].notna()]
        area_scores = {
            area: mean_score(current[current["area"] == area]["score"].tolist())
            for area in catalog.areas
            if area != "context"
        }
        n_missing = len(scored) - len(current)
        rows.append(
            {
                "municipality_id": municipality_id,
                **{f"score_{a}": s for a, s in area_scores.items()},
                "overall": overall_score(area_scores, len(scored), n_missing),
                "n_indicators": len(current),
                "n_scored": len(scored),
            }
        )
    return pd.DataFrame(rows)


def series(
    snapshot: Snapshot, municipality_id: int, indicator: str, disaggregation: str = TOTAL
) -> pd.DataFrame:
    """One municipality's yearly values of one indicator (year, value, missing_reason)."""
    v = snapshot.values
    mask = (
        (v["municipality_id"] == municipality_id)
        & (v["indicator"] == indicator)
        & (v["disaggregation"] == disaggregation)
    )
    return v[mask].sort_values("year")[["year", "value", "missing_reason"]].reset_index(drop=True)


def as_float(value: object) -> float | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)


def value_sources(engine: Engine, catalog: Catalog, results: pd.DataFrame) -> dict[str, str]:
    """Indicator code -> where its latest value comes from: "submission 12 (file.xlsx, 3 Mar 2024),
    sheet 'Data', cells D14, D15"; for the given result rows of one municipality."""
    from data_ingest.models import RawValue

    return_ids = sorted({int(r) for r in results["return_id"].dropna()})
    if not return_ids:
        return {}
    with engine.connect() as connection:
        cells = pd.DataFrame(
            connection.execute(
                select(RawValue.return_id, RawValue.raw_field, RawValue.sheet, RawValue.cell).where(
                    RawValue.return_id.in_(return_ids), RawValue.disaggregation == TOTAL
                )
            ).all(),
            columns=["return_id", "raw_field", "sheet", "cell"],
        )
        files = dict(
            connection.execute(
                select(ReturnRecord.id, Submission.original_filename)
                .join(Submission, ReturnRecord.submission_id == Submission.id)
                .where(ReturnRecord.id.in_(return_ids))
            ).all()
        )
    lookup = {(r.return_id, r.raw_field): (r.sheet, r.cell) for r in cells.itertuples()}
    out = {}
    for row in results.itertuples():
        formula = catalog.formulas.get(row.indicator)
        if formula is None:
            continue
        found = [lookup[(row.return_id, f)] for f in formula.fields if (row.return_id, f) in lookup]
        sheet = found[0][0] if found else "?"
        where = ", ".join(c for _, c in found)
        out[row.indicator] = (
            f"submission {row.submission_id} ({files.get(row.return_id, '?')}), "
            f"sheet '{sheet}', cell{'s' if len(found) > 1 else ''} {where}"
        )
    return out
