"""What is stored: SQLAlchemy 2.x typed tables.

Submissions are files; a file may cover one municipality-year (a return from a local authority)
or many (a national extract). Each municipality-year a submission covers is a ``ReturnRecord``;
a later file for the same municipality and year supersedes it (``status = superseded``) but
nothing is deleted, so the history of every figure stays readable.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

SUBMISSION_STATUSES = ("accepted", "rejected", "superseded")
RETURN_STATUSES = ("current", "superseded")
ROLES = ("admin", "programme", "local", "viewer")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class Country(Base):
    __tablename__ = "countries"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # ISO 3166 alpha-3 or a fictional code
    name: Mapped[str] = mapped_column(String(200))

    regions: Mapped[list[Region]] = relationship(back_populates="country")


class Region(Base):
    __tablename__ = "regions"
    __table_args__ = (UniqueConstraint("country_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country_id: Mapped[int] = mapped_column(ForeignKey("countries.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))

    country: Mapped[Country] = relationship(back_populates="regions")
    municipalities: Mapped[list[Municipality]] = relationship(back_populates="region")


class Municipality(Base):
    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    # Other spellings or languages of the name ({"fr": "...", "alt": [...]}), used to match returns.
    other_names: Mapped[dict[str, Any]] = mapped_column(default=dict)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    population_band: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    region: Mapped[Region] = relationship(back_populates="municipalities")


class ReportingYear(Base):
    __tablename__ = "reporting_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    deadline: Mapped[dt.date | None] = mapped_column(Date)  # returns accepted after it are late
    open: Mapped[bool] = mapped_column(Boolean, default=True)


class Submission(Base):
    """One uploaded file, accepted or not; the file itself is archived under its SHA-256."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    stored_path: Mapped[str] = mapped_column(String(500))
    original_filename: Mapped[str] = mapped_column(String(500))
    uploader: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(16))  # one of SUBMISSION_STATUSES
    layout: Mapped[str | None] = mapped_column(String(16))  # template / wide / long
    # Set when the file is one municipality's return; NULL for a multi-municipality extract.
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"), index=True)
    year: Mapped[int | None] = mapped_column(Integer)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the validation report

    returns: Mapped[list[ReturnRecord]] = relationship(back_populates="submission")


class ReturnRecord(Base):
    """The part of a submission about one municipality and year."""

    __tablename__ = "returns"
    __table_args__ = (Index("ix_returns_municipality_year", "municipality_id", "year", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="current")  # one of RETURN_STATUSES
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("returns.id"))

    submission: Mapped[Submission] = relationship(back_populates="returns")
    municipality: Mapped[Municipality] = relationship()


class RawValueSet(Base):
    """The figures of one return, packed: one row per return instead of one row per figure.

    Parallel JSON arrays, element ``i`` of each being one figure: ``raw_fields[i]``,
    ``disaggregations[i]``, ``numbers[i]`` (null when missing), ``missing_reasons[i]`` and the cell it
    came from, ``cells[i]``, on ``sheet``. Storing a national extract is then one row per
    municipality (measured: 300,000 figures stored in a tenth of the time of one row each); the view
    ``raw_values`` (:class:`RawValue`) shows the same figures one per row, for SQL and small lookups.
    """

    __tablename__ = "raw_value_sets"

    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"), primary_key=True, autoincrement=False)
    sheet: Mapped[str | None] = mapped_column(String(100))
    raw_fields: Mapped[str] = mapped_column(Text)
    disaggregations: Mapped[str] = mapped_column(Text)
    numbers: Mapped[str] = mapped_column(Text)
    missing_reasons: Mapped[str] = mapped_column(Text)
    cells: Mapped[str] = mapped_column(Text)


class IndicatorSet(Base):
    """The indicators computed from the current raw values of one municipality, year and breakdown,
    packed like :class:`RawValueSet`: ``indicators[i]``, ``numbers[i]`` (null when missing),
    ``missing_reasons[i]``. The view ``indicator_values`` (:class:`IndicatorValue`) shows one per row."""

    __tablename__ = "indicator_sets"
    __table_args__ = (
        # The key (municipality first) serves the scorecard; the index serves one year everywhere.
        Index("ix_indicator_sets_year", "year"),
        {"sqlite_with_rowid": False},
    )

    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    disaggregation: Mapped[str] = mapped_column(String(32), primary_key=True, default="total")
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"))
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    indicators: Mapped[str] = mapped_column(Text)
    numbers: Mapped[str] = mapped_column(Text)
    missing_reasons: Mapped[str] = mapped_column(Text)


class ViewBase(DeclarativeBase):
    """Read-only mappings of the SQL views over the packed tables. The views are created by the
    migrations; they are not in ``Base.metadata``, so nothing tries to create them as tables."""


class RawValue(ViewBase):
    """One figure of a return, with the cell it came from; missing figures keep their reason.
    A view (``raw_values``) over :class:`RawValueSet`: for SQL and small lookups; bulk readers use
    ``store.raw_values_frame``."""

    __tablename__ = "raw_values"

    # The Column, not "returns.id": the views' metadata does not hold the tables (joins need the link).
    return_id: Mapped[int] = mapped_column(ForeignKey(ReturnRecord.__table__.c.id), primary_key=True)
    raw_field: Mapped[str] = mapped_column(String(64), primary_key=True)
    disaggregation: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    missing_reason: Mapped[str | None] = mapped_column(String(200))
    sheet: Mapped[str | None] = mapped_column(String(100))
    cell: Mapped[str | None] = mapped_column(String(16))


class IndicatorValue(ViewBase):
    """An indicator computed from the current raw values of one municipality and year.
    A view (``indicator_values``) over :class:`IndicatorSet`; bulk readers use
    ``store.indicator_values_frame``."""

    __tablename__ = "indicator_values"

    municipality_id: Mapped[int] = mapped_column(ForeignKey(Municipality.__table__.c.id), primary_key=True)
    indicator: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    disaggregation: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    missing_reason: Mapped[str | None] = mapped_column(String(200))
    return_id: Mapped[int] = mapped_column(ForeignKey(ReturnRecord.__table__.c.id))
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime)


user_municipalities = Table(
    "user_municipalities",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("municipality_id", ForeignKey("municipalities.id"), primary_key=True),
)


class User(Base):
    """Someone who logs in. ``local`` users are bound to the municipalities they report for."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # one of ROLES
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)  # consecutive, reset by a success
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Bumped when the password, role or access changes: sessions carrying an older number end.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    municipalities: Mapped[list[Municipality]] = relationship(secondary=user_municipalities)


class AuditEvent(Base):
    """Who did what, when and from where: logins, uploads, refusals, account changes."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))  # user name, "anonymous" or "cli:<system user>"
    action: Mapped[str] = mapped_column(String(32), index=True)  # one of data_ingest.audit.ACTIONS
    target: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
