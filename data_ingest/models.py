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


class RawValue(Base):
    """One figure of a return, with the cell it came from; missing figures keep their reason."""

    # Clustered on its natural key (SQLite WITHOUT ROWID): one B-tree to fill on a bulk insert
    # instead of a table plus a unique index; figures are read per return.
    __tablename__ = "raw_values"
    __table_args__ = {"sqlite_with_rowid": False}

    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"), primary_key=True)
    raw_field: Mapped[str] = mapped_column(String(64), primary_key=True)
    disaggregation: Mapped[str] = mapped_column(String(32), primary_key=True, default="total")
    value: Mapped[float | None] = mapped_column(Float)
    missing_reason: Mapped[str | None] = mapped_column(String(200))
    sheet: Mapped[str | None] = mapped_column(String(100))
    cell: Mapped[str | None] = mapped_column(String(16))


class IndicatorValue(Base):
    """An indicator computed from the current raw values of one municipality and year."""

    __tablename__ = "indicator_values"
    __table_args__ = (
        # The key (municipality first) serves the scorecard; the index serves one indicator everywhere.
        Index("ix_indicator_values_indicator", "indicator", "year"),
        {"sqlite_with_rowid": False},
    )

    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), primary_key=True)
    indicator: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    disaggregation: Mapped[str] = mapped_column(String(32), primary_key=True, default="total")
    value: Mapped[float | None] = mapped_column(Float)
    missing_reason: Mapped[str | None] = mapped_column(String(200))
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"))
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


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
