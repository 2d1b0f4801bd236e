"""Reporting coverage: who reported which year, how (on time, late, revised, rejected), the
reporting rate per year and country (METHODOLOGY.md, "Reporting rate and completeness") and the
municipalities to chase. Pure functions of the cached snapshot, except ``submission_detail``, which
reads one submission's stored validation report (not part of the snapshot) by its primary key.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import aliased

from data_ingest.models import Municipality, ReturnRecord, Submission

# One state per municipality and year. Never shown by colour alone: each has a symbol and a label.
ACCEPTED, REVISED, LATE, REJECTED, MISSING = "accepted", "revised", "late", "rejected", "missing"
STATES = (ACCEPTED, LATE, REVISED, REJECTED, MISSING)
REPORTED_STATES = (ACCEPTED, LATE, REVISED)
STATE_LABELS = {
    ACCEPTED: "Accepted",
    LATE: "Late",
    REVISED: "Revised",
    REJECTED: "Rejected",
    MISSING: "Missing",
}
STATE_SYMBOLS = {ACCEPTED: "✔", LATE: "◷", REVISED: "↻", REJECTED: "✖", MISSING: "○"}
STATE_DESCRIPTIONS = {
    ACCEPTED: "an accepted return, received by the deadline",
    LATE: "an accepted return, received after the deadline",
    REVISED: "the current return replaced an earlier one (a revision)",
    REJECTED: "only rejected files were received for this year",
    MISSING: "nothing received for this year",
}

CELL_COLUMNS = [
    "municipality_id",
    "code",
    "name",
    "region",
    "country_code",
    "country",
    "active",
    "year",
    "state",
    "submission_id",
    "received_at",
    "first_received_at",
    "on_time",
    "n_returns",
]


def coverage_years(snapshot: Any, base_year: int) -> list[int]:
    """The reporting years shown: the base year to the latest year with an accepted return."""
    if snapshot.latest_year is None:
        return []
    return list(range(min(base_year, snapshot.latest_year), snapshot.latest_year + 1))


def countries(snapshot: Any) -> list[tuple[str, str]]:
    """(code, name) of every country with municipalities, in code order."""
    frame = snapshot.municipalities[["country_code", "country"]].drop_duplicates().sort_values("country_code")
    return list(frame.itertuples(index=False, name=None))


def _municipalities(snapshot: Any, country: str | None) -> pd.DataFrame:
    munis = snapshot.municipalities
    if country:
        munis = munis[munis["country_code"] == country]
    return munis.sort_values(["country_code", "code"]).rename(columns={"id": "municipality_id"})


def coverage_cells(snapshot: Any, years: list[int], country: str | None = None) -> pd.DataFrame:
    """One row per municipality x year (CELL_COLUMNS) with its state:

    - revised: the current return superseded an earlier one;
    - late: the (only) accepted return arrived after the deadline (``returns.on_time`` False);
    - accepted: an accepted return that arrived by the deadline;
    - rejected: no accepted return, but at least one rejected file for that municipality and year
      (known only when the rejected submission records its municipality and year);
    - missing: nothing received.

    ``submission_id`` is the submission whose report the cell links to: the current return's, or the
    newest rejected file's. ``on_time`` is about the first accepted return of that year (a later
    revision does not make a municipality late)."""
    munis = _municipalities(snapshot, country)[
        ["municipality_id", "code", "name", "region", "country_code", "country", "active"]
    ]
    grid = munis.merge(pd.DataFrame({"year": years}, dtype="int64"), how="cross")
    returns = snapshot.returns[snapshot.returns["year"].isin(years)]
    keys = ["municipality_id", "year"]
    current = returns[returns["status"] == "current"][[*keys, "submission_id", "received_at"]]
    first = (
        returns.sort_values("received_at")
        .groupby(keys, as_index=False)
        .agg(
            first_received_at=("received_at", "first"),
            on_time=("on_time", "first"),
            n_returns=("id", "size"),
        )
    )
    subs = snapshot.submissions
    rejected = (
        subs[(subs["status"] == "rejected") & subs["municipality_id"].notna() & subs["year"].isin(years)]
        .sort_values(["received_at", "id"])
        .groupby(["municipality_id", "year"], as_index=False)
        .agg(rejected_id=("id", "last"), rejected_at=("received_at", "last"))
    )
    rejected = rejected.astype({"municipality_id": "int64", "year": "int64"})
    cells = grid.merge(current, on=keys, how="left").merge(first, on=keys, how="left")
    cells = cells.merge(rejected, on=keys, how="left")
    has_current = cells["submission_id"].notna()
    n_returns = cells["n_returns"].fillna(0).astype(int)
    on_time = cells["on_time"].astype("boolean")
    state = pd.Series(MISSING, index=cells.index, dtype=object)
    state[cells["rejected_id"].notna()] = REJECTED
    state[has_current & on_time.fillna(False).astype(bool)] = ACCEPTED
    state[has_current & ~on_time.fillna(True).astype(bool)] = LATE
    state[has_current & (n_returns > 1)] = REVISED
    cells["state"] = state
    cells["n_returns"] = n_returns
    cells["on_time"] = on_time.where(has_current, pd.NA)
    cells["submission_id"] = cells["submission_id"].where(has_current, cells["rejected_id"]).astype("Int64")
    cells["received_at"] = cells["received_at"].where(has_current, cells["rejected_at"])
    return cells[CELL_COLUMNS].reset_index(drop=True)


def coverage_matrix(cells: pd.DataFrame) -> pd.DataFrame:
    """The matrix as a table to download: one row per municipality, one column per year holding the
    state's label (and the submission it links to, in a *_submission column)."""
    if cells.empty:
        return pd.DataFrame(columns=["municipality_code", "municipality_name", "region", "country", "active"])
    base = cells.drop_duplicates("municipality_id")[["municipality_id", "code", "name", "region", "country"]]
    base = base.assign(
        active=cells.drop_duplicates("municipality_id")["active"].map({True: "yes", False: "no"})
    )
    labels = cells.pivot(index="municipality_id", columns="year", values="state").map(STATE_LABELS.get)
    ids = cells.pivot(index="municipality_id", columns="year", values="submission_id")
    out = base.set_index("municipality_id")
    for year in labels.columns:
        out[str(year)] = labels[year]
        out[f"{year}_submission"] = ids[year]
    out = out.reset_index(drop=True).rename(
        columns={"code": "municipality_code", "name": "municipality_name"}
    )
    return out


def reporting_rates(cells: pd.DataFrame) -> pd.DataFrame:
    """Reporting rate per year and country, plus an "All countries" row per year (code "").

    expected = active municipalities; reported = active municipalities with an accepted return
    for the year; on_time = of those, the first accepted return arrived by the deadline;
    rate = reported / expected in %, None when nothing is expected."""
    columns = ["year", "country_code", "country", "expected", "reported", "on_time", "rate", "on_time_rate"]
    active = cells[cells["active"].astype(bool)].assign(
        reported=lambda f: f["state"].isin(REPORTED_STATES),
        in_time=lambda f: f["state"].isin(REPORTED_STATES) & f["on_time"].fillna(False).astype(bool),
    )
    if active.empty:
        return pd.DataFrame(columns=columns)
    by_country = active.groupby(["year", "country_code", "country"], as_index=False).agg(
        expected=("municipality_id", "size"), reported=("reported", "sum"), on_time=("in_time", "sum")
    )
    total = active.groupby("year", as_index=False).agg(
        expected=("municipality_id", "size"), reported=("reported", "sum"), on_time=("in_time", "sum")
    )
    total = total.assign(country_code="", country="All countries")
    rates = pd.concat([by_country, total], ignore_index=True)
    rates["rate"] = (100 * rates["reported"] / rates["expected"]).where(rates["expected"] > 0)
    rates["on_time_rate"] = (100 * rates["on_time"] / rates["expected"]).where(rates["expected"] > 0)
    order = rates["country_code"].eq("")  # the total last within a year
    rates = rates.assign(_total=order).sort_values(["year", "_total", "country_code"]).drop(columns="_total")
    return rates[columns].astype({"expected": int, "reported": int, "on_time": int}).reset_index(drop=True)


CHASE_COLUMNS = [
    "municipality_code",
    "municipality_name",
    "region",
    "country",
    "year",
    "state",
    "last_year",
    "last_received",
]


def chase_list(snapshot: Any, cells: pd.DataFrame, year: int | None) -> pd.DataFrame:
    """Active municipalities with no accepted return for ``year`` (from ``coverage_cells``, which
    must cover that year), those silent longest first: their state that year (missing, or rejected
    files only), the last year they have an accepted return for (any year; None if never) and when
    that return arrived."""
    wanted = cells[
        (cells["year"] == year) & ~cells["state"].isin(REPORTED_STATES) & cells["active"].astype(bool)
    ]
    if wanted.empty:
        return pd.DataFrame(columns=CHASE_COLUMNS)
    current = snapshot.returns[
        (snapshot.returns["status"] == "current")
        & snapshot.returns["municipality_id"].isin(wanted["municipality_id"])
    ]
    last = current.sort_values(["year", "received_at"]).drop_duplicates("municipality_id", keep="last")
    last = last[["municipality_id", "year", "received_at"]].rename(
        columns={"year": "last_year", "received_at": "last_received"}
    )
    out = wanted[["municipality_id", "code", "name", "region", "country", "year", "state"]].merge(
        last, on="municipality_id", how="left"
    )
    out["last_year"] = out["last_year"].astype("Int64")
    out = out.sort_values(["last_year", "code"], na_position="first")
    return out.rename(columns={"code": "municipality_code", "name": "municipality_name"})[
        CHASE_COLUMNS
    ].reset_index(drop=True)


def submission_detail(engine: Engine, submission_id: int) -> dict[str, Any] | None:
    """One submission as its report page shows it: the stored file's facts, its validation report
    (ValidationReport.to_dict()) and the municipality-years it covers (returns), or None."""
    newer = aliased(ReturnRecord)
    with engine.connect() as connection:
        row = connection.execute(
            select(
                Submission.id,
                Submission.original_filename,
                Submission.uploader,
                Submission.received_at,
                Submission.status,
                Submission.layout,
                Submission.report,
                Submission.sha256,
                Submission.municipality_id,
            ).where(Submission.id == submission_id)
        ).first()
        if row is None:
            return None
        returns = connection.execute(
            select(
                Municipality.code,
                Municipality.name,
                ReturnRecord.year,
                ReturnRecord.status,
                newer.submission_id.label("superseded_by_submission"),
            )
            .join(Municipality, ReturnRecord.municipality_id == Municipality.id)
            .outerjoin(newer, ReturnRecord.superseded_by == newer.id)
            .where(ReturnRecord.submission_id == submission_id)
            .order_by(Municipality.code, ReturnRecord.year)
        ).all()
    return {
        "id": row.id,
        "filename": row.original_filename,
        "uploader": row.uploader,
        "received_at": row.received_at,
        "status": row.status,
        "layout": row.layout,
        "report": row.report or {},
        "sha256": row.sha256,
        "municipality_id": row.municipality_id,
        "returns": [r._asdict() for r in returns],
    }
