"""The audit log: who did what, when and from where. Written in the same transaction as the change
it describes, so a change is never stored without its line in the log (or the other way round)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from .db import session_scope
from .models import AuditEvent

ACTIONS = {
    "login": "logged in",
    "login-failed": "a login failed (wrong name or password, disabled or locked account)",
    "account-locked": "too many failed logins: the account was locked",
    "logout": "logged out",
    "upload-accepted": "a file was accepted and its figures stored",
    "upload-rejected": "a file with errors was kept as a rejected submission",
    "revision": "an accepted file superseded earlier returns for the same municipality and year",
    "access-denied": "something was refused because the role or municipality does not allow it",
    "user-added": "an account was created",
    "role-changed": "an account's role or municipalities changed",
    "user-disabled": "an account was disabled",
    "user-enabled": "an account was enabled again (and unlocked)",
    "password-reset": "an account's password was set by an administrator",
}


def record(
    session: Session, *, actor: str, action: str, target: str = "", ip: str = "", **detail: Any
) -> None:
    """Add one line to the log (committed with the caller's transaction)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(AuditEvent(actor=actor[:100], action=action, target=target[:200], ip=ip[:64], detail=detail))


def record_now(engine: Engine, **kwargs: Any) -> None:
    """Add one line to the log in a transaction of its own."""
    with session_scope(engine) as session:
        record(session, **kwargs)


def events(
    session: Session,
    *,
    limit: int = 200,
    actor: str | None = None,
    action: str | None = None,
    since: dt.datetime | None = None,
) -> list[AuditEvent]:
    """The newest events first."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action == action)
    if since:
        query = query.where(AuditEvent.at >= since)
    return list(session.scalars(query))


def describe(event: AuditEvent) -> str:
    """The event's details as one short line (e.g. "submission 12, XAA-001 2023")."""
    return ", ".join(
        f"{k.replace('_', ' ')}: {v}" for k, v in sorted(event.detail.items()) if v not in ("", None, [])
    )
