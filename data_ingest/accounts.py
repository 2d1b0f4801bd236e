"""Users, roles and what each role may do.

Roles (``models.ROLES``):
- ``admin``: everything, including user management and the audit log;
- ``programme``: all municipalities: upload, bulk import, recompute, rejected submissions;
- ``local``: bound to one or more municipalities: upload and see submissions only for those;
- ``viewer``: reads the dashboard, uploads nothing.

Passwords are hashed with argon2 (argon2-cffi); a wrong password, an unknown name, a disabled or
a locked account all get the same answer, in about the same time.
"""

from __future__ import annotations

import datetime as dt
import getpass
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .models import ROLES, Municipality, User, utcnow

ROLE_DESCRIPTIONS = {
    "admin": "everything, including user management and the audit log",
    "programme": "all municipalities: upload, bulk import, recompute, rejected submissions",
    "local": "upload and see submissions only for their own municipalities",
    "viewer": "read only",
}
UPLOAD_ROLES = frozenset({"admin", "programme", "local"})
ALL_MUNICIPALITIES_ROLES = frozenset({"admin", "programme"})
MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{1,63}")


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says why, in plain words."""


@dataclass(frozen=True)
class Principal:
    """Who is acting, as the permission checks see them (an anonymous visitor has no role)."""

    username: str
    role: str = ""
    municipality_ids: frozenset[int] = field(default_factory=frozenset)
    municipality_codes: tuple[str, ...] = ()

    @property
    def authenticated(self) -> bool:
        return self.role in ROLES

    @property
    def can_upload(self) -> bool:
        return self.role in UPLOAD_ROLES

    @property
    def sees_all(self) -> bool:
        """May act for every municipality and see every submission, rejected ones included."""
        return self.role in ALL_MUNICIPALITIES_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_submit_for(self, municipality_ids: Iterable[int]) -> bool:
        return self.can_upload and (self.sees_all or set(municipality_ids) <= self.municipality_ids)

    def may_see_submission(self, *, status: str, municipality_id: int | None, uploader: str) -> bool:
        """Accepted (or superseded) submissions are part of the public record; a rejected one is
        seen by programme staff, the municipality it is about, and whoever uploaded it."""
        if self.sees_all:
            return True
        if self.role == "local" and (municipality_id in self.municipality_ids or uploader == self.username):
            return True
        return status != "rejected"

    def may_see_uploader(self, *, municipality_id: int | None, uploader: str) -> bool:
        """Names of uploaders are personal data: shown to staff and to the municipality's own users."""
        return self.sees_all or (
            self.role == "local" and (municipality_id in self.municipality_ids or uploader == self.username)
        )


ANONYMOUS = Principal("anonymous")


def cli_principal() -> Principal:
    """Whoever runs the command line on the server already has the data folder: an administrator."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Principal(f"cli:{name}", "admin")


def principal_of(user: User) -> Principal:
    return Principal(
        user.username,
        user.role,
        frozenset(m.id for m in user.municipalities),
        tuple(sorted(m.code for m in user.municipalities)),
    )


# --- passwords


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Checked against when the user does not exist, so that the answer takes as long."""
    return _hasher().hash("not a real password, only here to spend the same time")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password_rules(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters.")
    if password.strip().lower() == username.lower():
        raise AccountError("The password must not be the user name.")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# --- looking up and changing accounts


def get_user(session: Session, username: str) -> User | None:
    return session.scalars(
        select(User).options(selectinload(User.municipalities)).where(User.username == username)
    ).first()


def _existing(session: Session, username: str) -> User:
    user = get_user(session, username)
    if user is None:
        raise AccountError(f"There is no user “{username}”. `migdash users list` shows who exists.")
    return user


def _municipalities(session: Session, role: str, codes: Iterable[str]) -> list[Municipality]:
    codes = sorted({c.strip() for c in codes if c.strip()})
    if role == "local" and not codes:
        raise AccountError(
            "A local user reports for one or more municipalities: name them with --municipality CODE."
        )
    if role != "local" and codes:
        raise AccountError(
            f"Only local users are bound to municipalities; a {role} user acts for all of them."
        )
    found = session.scalars(select(Municipality).where(Municipality.code.in_(codes))).all()
    unknown = sorted(set(codes) - {m.code for m in found})
    if unknown:
        raise AccountError(
            f"Unknown municipality code(s): {', '.join(unknown)}. Load the register first "
            "(`migdash municipalities import FILE`) or check the codes."
        )
    return list(found)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"Unknown role “{role}”: choose one of {', '.join(ROLES)}.")


def add_user(
    session: Session, *, username: str, role: str, password: str, municipality_codes: Iterable[str] = ()
) -> User:
    if not _USERNAME.fullmatch(username):
        raise AccountError(
            "A user name has 2 to 64 characters: letters, digits and . _ @ - "
            "(starting with a letter or digit)."
        )
    _check_role(role)
    if get_user(session, username) is not None:
        raise AccountError(f"The user “{username}” already exists.")
    check_password_rules(password, username)
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        active=True,
        failed_logins=0,
        session_version=0,
        municipalities=_municipalities(session, role, municipality_codes),
    )
    session.add(user)
    session.flush()
    return user


def set_role(session: Session, *, username: str, role: str, municipality_codes: Iterable[str] = ()) -> User:
    _check_role(role)
    user = _existing(session, username)
    user.municipalities = _municipalities(session, role, municipality_codes)
    user.role = role
    user.session_version += 1  # open sessions carry the old permissions: end them
    return user


def set_active(session: Session, *, username: str, active: bool) -> User:
    user = _existing(session, username)
    user.active = active
    user.failed_logins = 0
    user.locked_until = None
    user.session_version += 1
    return user


def reset_password(session: Session, *, username: str, password: str) -> User:
    user = _existing(session, username)
    check_password_rules(password, username)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.session_version += 1
    return user


def list_users(session: Session) -> list[User]:
    return list(
        session.scalars(select(User).options(selectinload(User.municipalities)).order_by(User.username))
    )


def count_users(session: Session) -> int:
    return len(session.scalars(select(User.id)).all())


# --- logging in


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    reason: str  # ok, unknown-user, wrong-password, disabled, locked, locked-now


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    max_failures: int,
    lockout: dt.timedelta,
    now: dt.datetime | None = None,
) -> LoginResult:
    """Check a login. ``max_failures`` consecutive wrong passwords lock the account for ``lockout``;
    while locked even the right password is refused (and the lock is not extended)."""
    now = now or utcnow()
    user = get_user(session, username) if len(username) <= 64 else None
    if user is None:
        _verify(_dummy_hash(), password)
        return LoginResult(None, "unknown-user")
    locked = user.locked_until is not None and user.locked_until > now
    right = _verify(user.password_hash, password)  # always, so that every answer takes as long
    if locked:
        return LoginResult(None, "locked")
    if not user.active:
        return LoginResult(None, "disabled")
    if not right:
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.failed_logins = 0
            user.locked_until = now + lockout
            return LoginResult(None, "locked-now")
        return LoginResult(None, "wrong-password")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return LoginResult(user, "ok")
