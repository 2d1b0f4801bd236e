"""Keyword-only, typed functions that read and write the database.

A submission is stored all or nothing in one transaction; the uploaded file is archived byte for
byte under its SHA-256 before the transaction commits, so an accepted or rejected return is
never lost, and an interrupted upload leaves at most an unreferenced archive file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from .accounts import Principal
from .audit import record
from .catalog import Catalog
from .db import session_scope
from .models import (
    Country,
    IndicatorValue,
    Municipality,
    RawValue,
    Region,
    ReturnRecord,
    Submission,
    utcnow,
)
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


def current_raw_values(
    session: Session, *, totals_only: bool = False, years: Iterable[int] | None = None
) -> pd.DataFrame:
    """Current (not superseded) raw values: municipality_id, year, raw_field, disaggregation,
    value, missing_reason, return_id."""
    query = (
        select(
            ReturnRecord.municipality_id,
            ReturnRecord.year,
            RawValue.raw_field,
            RawValue.disaggregation,
            RawValue.value,
            RawValue.missing_reason,
            RawValue.return_id,
        )
        .join(ReturnRecord, RawValue.return_id == ReturnRecord.id)
        .where(ReturnRecord.status == "current")
    )
    if totals_only:
        query = query.where(RawValue.disaggregation == "total")
    if years is not None:
        query = query.where(ReturnRecord.year.in_([int(y) for y in years]))
    rows = session.execute(query).all()
    return pd.DataFrame(
        rows,
        columns=[
            "municipality_id",
            "year",
            "raw_field",
            "disaggregation",
            "value",
            "missing_reason",
            "return_id",
        ],
    )


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
    with session_scope(engine) as session:
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
        single = (
            prepared.rows[["municipality_id", "year"]].dropna().drop_duplicates()
            if len(prepared.rows)
            else None
        )
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
            municipality_id=int(single.iloc[0, 0]) if single is not None and len(single) == 1 else None,
            year=int(single.iloc[0, 1]) if single is not None and len(single) == 1 else None,
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
    pairs = rows[["municipality_id", "year"]].drop_duplicates().astype(int)
    # Revisions: the newest file for a municipality and year supersedes the earlier one.
    previous = session.execute(
        select(ReturnRecord.id, ReturnRecord.municipality_id, ReturnRecord.year, ReturnRecord.submission_id)
        .where(ReturnRecord.status == "current")
        .where(ReturnRecord.municipality_id.in_(pairs["municipality_id"].unique().tolist()))
    ).all()
    wanted = set(map(tuple, pairs.to_numpy().tolist()))
    superseded = [p for p in previous if (p.municipality_id, p.year) in wanted]
    returns = [
        ReturnRecord(submission_id=submission.id, municipality_id=m, year=y) for m, y in sorted(wanted)
    ]
    session.add_all(returns)
    session.flush()
    return_ids = {(r.municipality_id, r.year): r.id for r in returns}
    for old in superseded:
        session.execute(
            update(ReturnRecord)
            .where(ReturnRecord.id == old.id)
            .values(status="superseded", superseded_by=return_ids[(old.municipality_id, old.year)])
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
    rows = _with_return_id(rows, return_ids).sort_values(["return_id", "raw_field", "disaggregation"])
    _executemany(
        session,
        "INSERT INTO raw_values (return_id, raw_field, disaggregation, value, missing_reason, sheet, cell) "
        f"VALUES ({_placeholders(session, 7)})",
        list(
            zip(
                rows["return_id"].tolist(),
                rows["raw_field"].tolist(),
                rows["disaggregation"].tolist(),
                _nullable(rows["value"]),
                _nullable(rows["missing_reason"]),
                rows["sheet"].tolist(),
                rows["cell"].tolist(),
                strict=True,
            )
        ),
    )
    _replace_indicator_values(session=session, computed=indicators, return_ids=return_ids)
    return sorted({p.submission_id for p in superseded})


def _with_return_id(frame: pd.DataFrame, return_ids: dict[tuple[int, int], int]) -> pd.DataFrame:
    ids = pd.DataFrame(
        [(m, y, r) for (m, y), r in return_ids.items()], columns=["municipality_id", "year", "return_id"]
    )
    frame = frame.assign(municipality_id=frame["municipality_id"].astype(int), year=frame["year"].astype(int))
    return frame.merge(ids, on=["municipality_id", "year"], how="inner")


def _nullable(column: pd.Series) -> list:
    """Python values with None for missing (NaN and pd.NA are not valid SQL parameters)."""
    return column.astype(object).where(column.notna(), None).tolist()


def _replace_indicator_values(
    *, session: Session, computed: pd.DataFrame, return_ids: dict[tuple[int, int], int]
) -> None:
    pairs = sorted(return_ids)
    _executemany(
        session,
        f"DELETE FROM indicator_values WHERE municipality_id = {_placeholders(session, 1)} "
        f"AND year = {_placeholders(session, 1)}",
        pairs,
    )
    if computed.empty:
        return
    computed = _with_return_id(computed, return_ids).sort_values(
        ["municipality_id", "indicator", "year", "disaggregation"]
    )
    now = utcnow()
    _executemany(
        session,
        "INSERT INTO indicator_values (municipality_id, indicator, year, disaggregation, value, "
        f"missing_reason, return_id, computed_at) VALUES ({_placeholders(session, 8)})",
        list(
            zip(
                computed["municipality_id"].tolist(),
                computed["indicator"].tolist(),
                computed["year"].tolist(),
                computed["disaggregation"].tolist(),
                _nullable(computed["value"]),
                _nullable(computed["missing_reason"]),
                computed["return_id"].tolist(),
                [now] * len(computed),
                strict=True,
            )
        ),
    )


def recompute(*, engine: Engine, catalog: Catalog) -> int:
    """Re-derive every indicator value from the current raw values (after a catalogue change)."""
    with session_scope(engine) as session:
        raw = current_raw_values(session)
        session.execute(delete(IndicatorValue))
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
