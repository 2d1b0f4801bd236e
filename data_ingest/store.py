"""Keyword-only, typed functions that read and write the database.

A submission is stored all or nothing in one transaction; the uploaded file is archived byte for
byte under its SHA-256 before the transaction commits, so an accepted or rejected return is
never lost, and an interrupted upload leaves at most an unreferenced archive file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from .accounts import Principal
from .audit import record
from .catalog import TOTAL, Catalog
from .db import session_scope
from .models import (
    Country,
    IndicatorSet,
    IndicatorValue,
    Municipality,
    RawValueSet,
    Region,
    ReturnRecord,
    Submission,
    utcnow,
)
from .packed import group_starts, json_arrays, nullable, sort_codes, unpack
from .pipeline import Prepared, Register, compute_indicators, validate_file
from .readers import ReadLimits
from .settings import Settings
from .validation import ValidationReport, make_issue


def read_limits(settings: Settings) -> ReadLimits:
    return ReadLimits(max_file_bytes=int(settings.max_upload_mb * 1024 * 1024))


def load_register(session: Session) -> Register:
    rows = session.execute(
        select(
            Municipality.id,
            Municipality.code,
            Municipality.name,
            Municipality.other_names,
            Region.name.label("region"),
            Region.code.label("region_code"),
        ).join(Region, Municipality.region_id == Region.id)
    ).all()
    frame = pd.DataFrame(rows, columns=["id", "code", "name", "other_names", "region", "region_code"])
    frame["other_names"] = frame["other_names"].map(lambda d: list((d or {}).get("names", [])))
    return Register.from_frame(frame)


def raw_values_frame(
    connection: Session | Connection,
    *,
    current_only: bool = True,
    totals_only: bool = False,
    years: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Raw values, one row each: municipality_id, year, raw_field, disaggregation, value,
    missing_reason, return_id, submission_id, sheet, cell; of the current returns by default."""
    query = select(
        ReturnRecord.municipality_id,
        ReturnRecord.year,
        RawValueSet.return_id,
        ReturnRecord.submission_id,
        RawValueSet.sheet,
        RawValueSet.raw_fields,
        RawValueSet.disaggregations,
        RawValueSet.numbers,
        RawValueSet.missing_reasons,
        RawValueSet.cells,
    ).join(ReturnRecord, RawValueSet.return_id == ReturnRecord.id)
    if current_only:
        query = query.where(ReturnRecord.status == "current")
    if years is not None:
        query = query.where(ReturnRecord.year.in_([int(y) for y in years]))
    frame = unpack(
        connection.execute(query.order_by(RawValueSet.return_id)).all(),
        ["municipality_id", "year", "return_id", "submission_id", "sheet"],
        ["raw_field", "disaggregation", "value", "missing_reason", "cell"],
    )
    frame = frame.astype(
        {"municipality_id": "int64", "year": "int64", "return_id": "int64", "submission_id": "int64"}
    )
    frame["value"] = frame["value"].astype(float)
    if totals_only:
        frame = frame[frame["disaggregation"] == TOTAL].reset_index(drop=True)
    return frame[RAW_VALUE_COLUMNS]


RAW_VALUE_COLUMNS = [
    "municipality_id",
    "year",
    "raw_field",
    "disaggregation",
    "value",
    "missing_reason",
    "return_id",
    "submission_id",
    "sheet",
    "cell",
]


def current_raw_values(
    session: Session, *, totals_only: bool = False, years: Iterable[int] | None = None
) -> pd.DataFrame:
    """Current (not superseded) raw values: municipality_id, year, raw_field, disaggregation,
    value, missing_reason, return_id."""
    return raw_values_frame(session, totals_only=totals_only, years=years)[RAW_VALUE_COLUMNS[:7]]


def indicator_values_frame(connection: Session | Connection) -> pd.DataFrame:
    """Indicator values, one row each: municipality_id, indicator, year, disaggregation, value,
    missing_reason, return_id."""
    frame = unpack(
        connection.execute(
            select(
                IndicatorSet.municipality_id,
                IndicatorSet.year,
                IndicatorSet.disaggregation,
                IndicatorSet.return_id,
                IndicatorSet.indicators,
                IndicatorSet.numbers,
                IndicatorSet.missing_reasons,
            ).order_by(IndicatorSet.municipality_id, IndicatorSet.year, IndicatorSet.disaggregation)
        ).all(),
        ["municipality_id", "year", "disaggregation", "return_id"],
        ["indicator", "value", "missing_reason"],
    )
    frame = frame.astype({"municipality_id": "int64", "year": "int64", "return_id": "int64"})
    frame["value"] = frame["value"].astype(float)
    return frame[
        ["municipality_id", "indicator", "year", "disaggregation", "value", "missing_reason", "return_id"]
    ]


def archive_file(settings: Settings, sha256: str, data: bytes) -> Path:
    """Write the upload under uploads/<first two hex digits>/<sha256>, atomically and durably."""
    folder = settings.upload_dir / sha256[:2]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / sha256
    if path.exists() and path.stat().st_size == len(data):
        return path
    with tempfile.NamedTemporaryFile(dir=folder, delete=False) as tmp:
        tmp.write(data)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, path)
    return path


@dataclass
class Outcome:
    """What happened to one file: accepted, rejected, duplicate, needs-confirmation, or refused
    (the uploader may not submit for a municipality in it: nothing stored, not even the file)."""

    status: str
    prepared: Prepared
    submission_id: int | None = None
    received_at: dt.datetime | None = None

    @property
    def report(self):  # noqa: ANN201
        return self.prepared.report


def prepare(
    *,
    session: Session,
    catalog: Catalog,
    settings: Settings,
    data: bytes,
    filename: str,
    default_year: int | None = None,
) -> Prepared:
    """Validate a file against the catalogue, the register and the stored history."""
    return validate_file(
        data,
        filename,
        catalog=catalog,
        register=load_register(session),
        history=lambda years: current_raw_values(session, totals_only=True, years=years),
        limits=read_limits(settings),
        first_year=settings.first_year,
        default_year=default_year,
    )


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the duration (reference counting still frees
    everything that is not in a cycle).

    One ingest of a national extract makes hundreds of thousands of short-lived objects (cells,
    values, JSON texts); their allocations trigger collector passes over every object the process
    holds, about 0.15 s per ingest, while what the ingest discards is freed by reference counting.
    The work is bounded by the file size limits, so pausing costs a few MB of uncollected cycles at
    most, collected normally afterwards. The collector is process-wide: it is turned back on only
    if it was on (an overlapping ingest in another thread may have turned it off first)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def ingest(
    *,
    engine: Engine,
    catalog: Catalog,
    settings: Settings,
    data: bytes,
    filename: str,
    uploader: str = "",
    accept_warnings: bool = False,
    default_year: int | None = None,
    received_at: dt.datetime | None = None,
    principal: Principal | None = None,
    ip: str = "",
) -> Outcome:
    """Validate and store one file, all or nothing.

    ``received_at`` back-dates the submission (loading historical returns); default: now.
    ``principal``: who uploads; their role and municipalities are enforced and they are recorded
    as the uploader (None: an operator acting for everyone, e.g. loading the sample data).
    Stored and rejected files are written to the audit log in the same transaction.

    - identical bytes already received: nothing stored, status "duplicate";
    - errors: recorded as a rejected submission with its report, no data changed;
    - warnings not confirmed: nothing stored, status "needs-confirmation";
    - otherwise accepted: raw values with their cells, computed indicators, revisions applied.
    """
    with _collector_paused(), session_scope(engine) as session:
        sha256 = hashlib.sha256(data).hexdigest()
        earlier = session.scalars(
            select(Submission).where(Submission.sha256 == sha256).order_by(Submission.id)
        ).first()
        if principal is not None:
            uploader = principal.username
        # A known file is answered at once only to someone who may submit it; anyone else gets the
        # full check below, which refuses it.
        if earlier is not None and (
            principal is None
            or principal.sees_all
            or (earlier.municipality_id is not None and principal.may_submit_for([earlier.municipality_id]))
        ):
            # Known bytes: answer at once, without reading the file again.
            report = ValidationReport(filename=filename)
            when = f"{earlier.received_at:%d %B %Y at %H:%M} UTC (submission {earlier.id}, {earlier.status})"
            report.add(make_issue("already-received", detail=when))
            prepared = Prepared(data=data, filename=filename, sha256=sha256, report=report)
            return Outcome("duplicate", prepared, earlier.id, earlier.received_at)
        prepared = prepare(
            session=session,
            catalog=catalog,
            settings=settings,
            data=data,
            filename=filename,
            default_year=default_year,
        )
        report = prepared.report
        if principal is not None:
            refused = _refuse_foreign(session, principal, prepared, ip)
            if refused is not None:
                return refused
        if report.ok and report.n_warnings and not accept_warnings:
            return Outcome("needs-confirmation", prepared)
        path = archive_file(settings, prepared.sha256, data)
        status = "accepted" if report.ok else "rejected"
        # A file about one municipality and year is filed under it, accepted or not (coverage page).
        single = _single_return(prepared.rows)
        submission = Submission(
            sha256=prepared.sha256,
            stored_path=str(path.relative_to(settings.data_dir))
            if path.is_relative_to(settings.data_dir)
            else str(path),
            original_filename=filename[:500],
            uploader=uploader,
            received_at=received_at or utcnow(),
            status=status,
            layout=report.layout,
            report=report.to_dict(),
            municipality_id=single[0] if single else None,
            year=single[1] if single else None,
        )
        session.add(submission)
        session.flush()
        actor = uploader or "system"
        target = f"submission {submission.id}"
        record(
            session,
            actor=actor,
            action=f"upload-{status}",
            target=target,
            ip=ip,
            file=submission.original_filename,
            sha256=prepared.sha256,
            errors=report.n_errors,
            warnings=report.n_warnings,
        )
        if status == "accepted":
            superseded = _store_rows(
                session=session, submission=submission, rows=prepared.rows, indicators=prepared.indicators
            )
            if superseded:
                record(session, actor=actor, action="revision", target=target, ip=ip, supersedes=superseded)
        return Outcome(status, prepared, submission.id, submission.received_at)


def _single_return(rows: pd.DataFrame) -> tuple[int, int] | None:
    """(municipality id, year) if every row identified by both is about that one return, else None
    (compared as arrays: a pandas drop_duplicates of a national extract's pairs took 15 ms)."""
    if not len(rows):
        return None
    known = (rows["municipality_id"].notna() & rows["year"].notna()).to_numpy(dtype=bool)
    municipality_ids = rows["municipality_id"].to_numpy()[known].astype(np.int64)
    years = rows["year"].to_numpy()[known].astype(np.int64)
    if not len(years) or (municipality_ids != municipality_ids[0]).any() or (years != years[0]).any():
        return None
    return int(municipality_ids[0]), int(years[0])


def _refuse_foreign(session: Session, principal: Principal, prepared: Prepared, ip: str) -> Outcome | None:
    """A file naming a municipality the uploader may not submit for is refused whole, before
    anything is stored; the report says only that (no other check, so nothing of another
    municipality's stored figures leaks through a plausibility warning)."""
    ids = set(prepared.rows["municipality_id"].dropna().astype(int).tolist()) if len(prepared.rows) else set()
    if principal.can_upload and principal.may_submit_for(ids):
        return None
    foreign = sorted(ids - principal.municipality_ids) if principal.can_upload else sorted(ids)
    names = session.execute(
        select(Municipality.code, Municipality.name)
        .where(Municipality.id.in_(foreign))
        .order_by(Municipality.code)
    ).all()
    report = ValidationReport(filename=prepared.filename, layout=prepared.report.layout)
    if principal.can_upload:
        for code, name in names:
            report.add(make_issue("not-your-municipality", value=f"{name} ({code})"))
    else:
        report.add(make_issue("not-allowed-to-upload"))
    record(
        session,
        actor=principal.username,
        action="access-denied",
        target="upload",
        ip=ip,
        file=prepared.filename[:200],
        municipalities=[code for code, _ in names],
    )
    refused = Prepared(data=prepared.data, filename=prepared.filename, sha256=prepared.sha256, report=report)
    return Outcome("refused", refused)


def _placeholders(session: Session, n: int) -> str:
    mark = "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"
    return ", ".join([mark] * n)


def _executemany(session: Session, sql: str, rows: list[tuple]) -> None:
    """Bulk writes through the driver's executemany: several times faster than ORM inserts."""
    if rows:
        session.connection().exec_driver_sql(sql, rows)


def _store_rows(
    *, session: Session, submission: Submission, rows: pd.DataFrame, indicators: pd.DataFrame
) -> list[int]:
    """Store an accepted file's values; returns the submissions whose returns it superseded."""
    municipality_ids = rows["municipality_id"].to_numpy(dtype=np.int64)
    years = rows["year"].to_numpy(dtype=np.int64)
    # The distinct (municipality, year) pairs, sorted: one integer per pair (years have four digits,
    # as in _return_id_of), not a set of 300,000 tuples.
    pairs = np.unique(municipality_ids * 10_000 + years)
    wanted = list(zip((pairs // 10_000).tolist(), (pairs % 10_000).tolist(), strict=True))
    # Revisions: the newest file for a municipality and year supersedes the earlier one.
    previous = session.execute(
        select(ReturnRecord.id, ReturnRecord.municipality_id, ReturnRecord.year, ReturnRecord.submission_id)
        .where(ReturnRecord.status == "current")
        .where(ReturnRecord.municipality_id.in_(sorted({m for m, _ in wanted})))
    ).all()
    wanted_set = set(wanted)
    superseded = [p for p in previous if (p.municipality_id, p.year) in wanted_set]
    # Driver-level bulk statements: a national extract has thousands of returns (ORM objects: 0.13 s).
    _executemany(
        session,
        "INSERT INTO returns (submission_id, municipality_id, year, status) "
        f"VALUES ({_placeholders(session, 3)}, 'current')",
        [(submission.id, m, y) for m, y in wanted],
    )
    return_ids = {
        (m, y): r
        for r, m, y in session.execute(
            select(ReturnRecord.id, ReturnRecord.municipality_id, ReturnRecord.year).where(
                ReturnRecord.submission_id == submission.id
            )
        )
    }
    _executemany(
        session,
        f"UPDATE returns SET status = 'superseded', superseded_by = {_placeholders(session, 1)} "
        f"WHERE id = {_placeholders(session, 1)}",
        [(return_ids[(old.municipality_id, old.year)], old.id) for old in superseded],
    )
    for submission_id in {p.submission_id for p in superseded}:
        left = session.scalar(
            select(func.count())
            .select_from(ReturnRecord)
            .where(ReturnRecord.submission_id == submission_id, ReturnRecord.status == "current")
        )
        if not left:
            session.execute(
                update(Submission).where(Submission.id == submission_id).values(status="superseded")
            )
    # One packed row per return, its figures in key order (raw field, breakdown).
    return_id = _return_id_of(municipality_ids, years, return_ids)
    order = np.lexsort((sort_codes(rows["disaggregation"]), sort_codes(rows["raw_field"]), return_id))
    return_id = return_id[order]
    starts = group_starts([return_id])
    sheets = rows["sheet"].to_numpy(dtype=object)[order][starts[:-1]]
    _executemany(
        session,
        "INSERT INTO raw_value_sets (return_id, sheet, raw_fields, disaggregations, numbers, "
        f"missing_reasons, cells) VALUES ({_placeholders(session, 7)})",
        list(
            zip(
                return_id[starts[:-1]].tolist(),
                nullable(sheets),
                json_arrays(rows["raw_field"].to_numpy(dtype=object)[order].tolist(), starts),
                json_arrays(rows["disaggregation"].to_numpy(dtype=object)[order].tolist(), starts),
                json_arrays(nullable(rows["value"].to_numpy(dtype=float)[order]), starts),
                json_arrays(nullable(rows["missing_reason"].to_numpy(dtype=object)[order]), starts),
                json_arrays(nullable(rows["cell"].to_numpy(dtype=object)[order]), starts),
                strict=True,
            )
        ),
    )
    _replace_indicator_values(session=session, computed=indicators, return_ids=return_ids)
    return sorted({p.submission_id for p in superseded})


def _return_id_of(
    municipality_ids: np.ndarray, years: np.ndarray, return_ids: dict[tuple[int, int], int]
) -> np.ndarray:
    """The return id of each (municipality, year), as an array."""
    keys = sorted(return_ids)
    packed_keys = np.array([m * 10_000 + y for m, y in keys], dtype=np.int64)
    ids = np.array([return_ids[k] for k in keys], dtype=np.int64)
    wanted = municipality_ids.astype(np.int64) * 10_000 + years.astype(np.int64)
    return ids[np.searchsorted(packed_keys, wanted)]


def _replace_indicator_values(
    *, session: Session, computed: pd.DataFrame, return_ids: dict[tuple[int, int], int]
) -> None:
    pairs = sorted(return_ids)
    _executemany(
        session,
        f"DELETE FROM indicator_sets WHERE municipality_id = {_placeholders(session, 1)} "
        f"AND year = {_placeholders(session, 1)}",
        pairs,
    )
    if computed.empty:
        return
    municipality_ids = computed["municipality_id"].to_numpy(dtype=np.int64)
    years = computed["year"].to_numpy(dtype=np.int64)
    known = np.isin(municipality_ids * 10_000 + years, [m * 10_000 + y for m, y in pairs])
    computed = computed[known]
    municipality_ids, years = municipality_ids[known], years[known]
    disaggregation = sort_codes(computed["disaggregation"])
    # One packed row per municipality, year and breakdown, its indicators in code order.
    order = np.lexsort((sort_codes(computed["indicator"]), disaggregation, years, municipality_ids))
    municipality_ids, years, disaggregation = municipality_ids[order], years[order], disaggregation[order]
    starts = group_starts([municipality_ids, years, disaggregation])
    first = starts[:-1]
    now = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's DateTime format for SQLite
    _executemany(
        session,
        "INSERT INTO indicator_sets (municipality_id, year, disaggregation, return_id, computed_at, "
        f"indicators, numbers, missing_reasons) VALUES ({_placeholders(session, 8)})",
        list(
            zip(
                municipality_ids[first].tolist(),
                years[first].tolist(),
                computed["disaggregation"].to_numpy(dtype=object)[order][first].tolist(),
                _return_id_of(municipality_ids[first], years[first], return_ids).tolist(),
                [now] * len(first),
                json_arrays(computed["indicator"].to_numpy(dtype=object)[order].tolist(), starts),
                json_arrays(nullable(computed["value"].to_numpy(dtype=float)[order]), starts),
                json_arrays(nullable(computed["missing_reason"].to_numpy(dtype=object)[order]), starts),
                strict=True,
            )
        ),
    )


def recompute(*, engine: Engine, catalog: Catalog) -> int:
    """Re-derive every indicator value from the current raw values (after a catalogue change)."""
    with session_scope(engine) as session:
        raw = current_raw_values(session)
        session.execute(delete(IndicatorSet))
        if raw.empty:
            return 0
        return_ids = {
            (int(m), int(y)): int(r)
            for m, y, r in raw[["municipality_id", "year", "return_id"]]
            .drop_duplicates()
            .itertuples(index=False)
        }
        _replace_indicator_values(
            session=session, computed=compute_indicators(raw, catalog), return_ids=return_ids
        )
        return int(session.scalar(select(func.count()).select_from(IndicatorValue)) or 0)


def import_municipalities(*, session: Session, frame: pd.DataFrame) -> tuple[int, int]:
    """Add or update municipalities from a register table; returns (added, updated).

    Columns: country_code, country_name, region_code, region_name, municipality_code,
    municipality_name, and optionally population_band, other_names (separated by ';'), active."""
    countries = {c.code: c for c in session.scalars(select(Country))}
    regions = {(r.country.code, r.code): r for r in session.scalars(select(Region))}
    municipalities = {m.code: m for m in session.scalars(select(Municipality))}
    added = updated = 0
    for row in frame.to_dict("records"):
        country = countries.get(row["country_code"])
        if country is None:
            country = countries[row["country_code"]] = Country(
                code=row["country_code"], name=row["country_name"]
            )
            session.add(country)
        region = regions.get((country.code, row["region_code"]))
        if region is None:
            region = regions[(country.code, row["region_code"])] = Region(
                code=row["region_code"], name=row["region_name"], country=country
            )
            session.add(region)
        names = [n.strip() for n in str(row.get("other_names") or "").split(";") if n.strip()]
        fields = {
            "name": row["municipality_name"],
            "region": region,
            "population_band": row.get("population_band") or None,
            "other_names": {"names": names},
            "active": str(row.get("active", "yes")).strip().casefold() not in ("no", "0", "false", "non"),
        }
        existing = municipalities.get(row["municipality_code"])
        if existing is None:
            session.add(Municipality(code=row["municipality_code"], **fields))
            added += 1
        else:
            for key, value in fields.items():
                setattr(existing, key, value)
            updated += 1
    session.flush()
    return added, updated


def integrity_ok(engine: Engine) -> bool:
    with engine.connect() as connection:
        return connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
