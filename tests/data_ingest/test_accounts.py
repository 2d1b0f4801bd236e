"""Accounts on a real SQLite file: argon2 hashes, lockout after N failures, roles bound to
municipalities, and ingest refusing what a role does not allow (nothing stored, attempt logged)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select, text

from data_ingest.accounts import (
    AccountError,
    Principal,
    add_user,
    authenticate,
    get_user,
    principal_of,
    reset_password,
    set_active,
    set_role,
)
from data_ingest.audit import events
from data_ingest.catalog import load_catalog
from data_ingest.db import make_engine, session_scope, upgrade
from data_ingest.models import Submission
from data_ingest.register import read_register
from data_ingest.sample import SAMPLE_DIR
from data_ingest.settings import DEFAULT_CATALOG
from data_ingest.store import import_municipalities, ingest

PASSWORD = "correct horse battery"
LOCKOUT = dt.timedelta(minutes=15)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(DEFAULT_CATALOG)


@pytest.fixture
def engine(settings):
    engine = make_engine(settings)
    upgrade(engine)
    with session_scope(engine) as session:
        import_municipalities(
            session=session, frame=read_register((SAMPLE_DIR / "municipalities.csv").read_bytes())
        )
        add_user(session, username="ana", role="local", password=PASSWORD, municipality_codes=["XAA-001"])
        add_user(session, username="paul", role="programme", password=PASSWORD)
        add_user(session, username="vera", role="viewer", password=PASSWORD)
    return engine


def principal(engine, username: str) -> Principal:
    with session_scope(engine) as session:
        return principal_of(get_user(session, username))


def login(engine, username: str, password: str, now: dt.datetime) -> str:
    with session_scope(engine) as session:
        return authenticate(
            session, username=username, password=password, max_failures=5, lockout=LOCKOUT, now=now
        ).reason


@pytest.fixture
def upload(engine, catalog, settings):
    """upload(data, as_user, ip=""): ingest a file for one of the accounts."""

    def send(data: bytes, as_user: str, ip: str = ""):
        return ingest(
            engine=engine,
            catalog=catalog,
            settings=settings,
            data=data,
            filename="return.xlsx",
            principal=principal(engine, as_user),
            ip=ip,
        )

    return send


def counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("submissions", "returns", "raw_values", "indicator_values")
        }


def test_passwords_are_stored_as_argon2_hashes(engine):
    with session_scope(engine) as session:
        user = get_user(session, "ana")
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"username": "bob", "role": "viewer", "password": "short"}, "too short"),
        ({"username": "bob", "role": "viewer", "password": "bob"}, "too short"),
        ({"username": "bobby12345", "role": "viewer", "password": "BOBBY12345"}, "must not be the user name"),
        ({"username": "bob", "role": "owner", "password": PASSWORD}, "Unknown role"),
        ({"username": "bob", "role": "local", "password": PASSWORD}, "--municipality"),
        (
            {"username": "bob", "role": "local", "password": PASSWORD, "municipality_codes": ["XZZ-9"]},
            "Unknown municipality code(s): XZZ-9",
        ),
        (
            {"username": "bob", "role": "viewer", "password": PASSWORD, "municipality_codes": ["XAA-001"]},
            "Only local users",
        ),
        ({"username": "ana", "role": "viewer", "password": PASSWORD}, "already exists"),
        ({"username": "a b", "role": "viewer", "password": PASSWORD}, "2 to 64 characters"),
    ],
)
def test_bad_account_requests_are_refused_in_plain_words(engine, kwargs, words):
    with session_scope(engine) as session, pytest.raises(AccountError, match=re.escape(words)):
        add_user(session, **{"municipality_codes": (), **kwargs})


def test_login_succeeds_with_the_right_password_only(engine):
    now = dt.datetime(2026, 1, 5, 9, 0)
    assert login(engine, "ana", "wrong password", now) == "wrong-password"
    assert login(engine, "nobody", PASSWORD, now) == "unknown-user"
    assert login(engine, "ana", PASSWORD, now) == "ok"
    with session_scope(engine) as session:
        user = get_user(session, "ana")
        assert (user.failed_logins, user.last_login_at) == (0, now)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(engine):
    start = dt.datetime(2026, 1, 5, 9, 0)
    reasons = [login(engine, "ana", f"guess {i}", start + dt.timedelta(seconds=i)) for i in range(5)]
    assert reasons == ["wrong-password"] * 4 + ["locked-now"]
    # Locked: even the right password is refused, and trying does not extend the lock.
    assert login(engine, "ana", PASSWORD, start + dt.timedelta(minutes=10)) == "locked"
    assert login(engine, "ana", PASSWORD, start + dt.timedelta(minutes=14, seconds=59)) == "locked"
    assert login(engine, "ana", PASSWORD, start + dt.timedelta(minutes=15, seconds=5)) == "ok"


def test_a_success_resets_the_count_of_failures(engine):
    start = dt.datetime(2026, 1, 5, 9, 0)
    for i in range(4):
        login(engine, "ana", "guess", start + dt.timedelta(seconds=i))
    assert login(engine, "ana", PASSWORD, start + dt.timedelta(seconds=10)) == "ok"
    assert [login(engine, "ana", "guess", start + dt.timedelta(seconds=20 + i)) for i in range(4)] == [
        "wrong-password"
    ] * 4


def test_disabled_accounts_cannot_log_in_and_changes_end_open_sessions(engine):
    now = dt.datetime(2026, 1, 5, 9, 0)
    with session_scope(engine) as session:
        before = get_user(session, "ana").session_version
        set_active(session, username="ana", active=False)
    assert login(engine, "ana", PASSWORD, now) == "disabled"
    with session_scope(engine) as session:
        set_active(session, username="ana", active=True)
        set_role(session, username="ana", role="local", municipality_codes=["XAA-001", "XAA-002"])
        reset_password(session, username="ana", password="another long password")
        user = get_user(session, "ana")
        assert user.session_version == before + 4
        assert sorted(m.code for m in user.municipalities) == ["XAA-001", "XAA-002"]
    assert login(engine, "ana", PASSWORD, now) == "wrong-password"
    assert login(engine, "ana", "another long password", now) == "ok"


def test_what_each_role_may_do(engine):
    ana, paul, vera = (principal(engine, u) for u in ("ana", "paul", "vera"))
    (own,) = ana.municipality_ids
    other = own + 1
    assert (ana.can_upload, paul.can_upload, vera.can_upload) == (True, True, False)
    assert ana.may_submit_for([own]) and not ana.may_submit_for([own, other])
    assert paul.may_submit_for([own, other]) and not vera.may_submit_for([own])
    rejected = {"status": "rejected", "municipality_id": other, "uploader": "someone"}
    assert [p.may_see_submission(**rejected) for p in (ana, paul, vera)] == [False, True, False]
    assert ana.may_see_submission(**{**rejected, "uploader": "ana"})
    assert vera.may_see_submission(**{**rejected, "status": "accepted"})


def test_a_local_user_cannot_submit_for_another_municipality(engine, settings, upload, small_return):
    before = counts(engine)
    outcome = upload(small_return("XAA-002"), "ana", ip="192.0.2.7")
    assert outcome.status == "refused"
    assert outcome.report.flatten("code", "value") == [("not-your-municipality", "San Eulogio (XAA-002)")]
    assert counts(engine) == before
    assert not any(settings.upload_dir.rglob("*")), "a refused file is not archived"
    with session_scope(engine) as session:
        (event,) = events(session, action="access-denied")
        assert (event.actor, event.ip, event.detail["municipalities"]) == ("ana", "192.0.2.7", ["XAA-002"])


def test_a_viewer_cannot_upload_at_all(engine, upload, small_return):
    outcome = upload(small_return("XAA-001"), "vera")
    assert (outcome.status, outcome.report.flatten("code")) == ("refused", [("not-allowed-to-upload",)])
    assert counts(engine)["submissions"] == 0


def test_uploads_and_revisions_are_attributed_and_logged(engine, upload, small_return):
    first = upload(small_return("XAA-001"), "ana", ip="192.0.2.1")
    second = upload(small_return("XAA-001", population=42000), "ana", ip="192.0.2.1")
    assert (first.status, second.status) == ("accepted", "accepted")
    with session_scope(engine) as session:
        uploaders = session.scalars(select(Submission.uploader).order_by(Submission.id)).all()
        assert uploaders == ["ana", "ana"]
        logged = [(e.actor, e.action, e.target, e.ip) for e in reversed(events(session))]
    assert logged == [
        ("ana", "upload-accepted", f"submission {first.submission_id}", "192.0.2.1"),
        ("ana", "upload-accepted", f"submission {second.submission_id}", "192.0.2.1"),
        ("ana", "revision", f"submission {second.submission_id}", "192.0.2.1"),
    ]


def test_a_known_file_of_another_municipality_is_not_confirmed_to_a_local_user(engine, upload, small_return):
    data = small_return("XAA-002")
    assert upload(data, "paul").status == "accepted"
    assert upload(data, "paul").status == "duplicate"
    assert upload(data, "ana").status == "refused"  # not "already received on <date>"
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Submission)) == 1
