"""Security at the HTTP level, against the real app served by `migdash serve` (gunicorn) on
loopback: who may upload and read what (also with crafted Dash callback requests), lockout,
cookie flags, security headers, cross-origin POSTs. A few checks that need other settings (not
public, HTTPS cookies, a small request limit, a failing view) use the same app in-process.

Data: the register of the sample data; an accepted and a rejected return of XAA-002; accounts:
ana (local, XAA-001), vera (viewer), paul (programme), lockme (viewer), root (admin).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import func, select

from dashboard.live_server import running_server
from data_ingest.accounts import add_user
from data_ingest.audit import events
from data_ingest.catalog import load_catalog
from data_ingest.db import make_engine, session_scope, upgrade
from data_ingest.models import Submission
from data_ingest.register import read_register
from data_ingest.sample import SAMPLE_DIR
from data_ingest.settings import DEFAULT_CATALOG, Settings
from data_ingest.store import import_municipalities, ingest

PASSWORD = "security test password"
UPLOAD_OUTPUT = (
    "..upload-result.children...upload-confirm-box.hidden...upload-pending.data"
    "...upload-client-message.children.."
)
PAGE_OUTPUT = ".._pages_content.children..._pages_store.data.."
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory, small_return) -> Iterator[dict]:
    data_dir = tmp_path_factory.mktemp("security") / "var"
    settings = Settings(data_dir=data_dir, load_sample_data=False)
    catalog = load_catalog(DEFAULT_CATALOG)
    engine = make_engine(settings)
    upgrade(engine)
    with session_scope(engine) as session:
        import_municipalities(
            session=session, frame=read_register((SAMPLE_DIR / "municipalities.csv").read_bytes())
        )
        add_user(session, username="ana", role="local", password=PASSWORD, municipality_codes=["XAA-001"])
        add_user(session, username="vera", role="viewer", password=PASSWORD)
        add_user(session, username="paul", role="programme", password=PASSWORD)
        add_user(session, username="lockme", role="viewer", password=PASSWORD)
        add_user(session, username="root", role="admin", password=PASSWORD)
    accepted = ingest(
        engine=engine,
        catalog=catalog,
        settings=settings,
        data=small_return("XAA-002", 2022),
        filename="a.xlsx",
    )
    rejected = ingest(
        engine=engine,
        catalog=catalog,
        settings=settings,
        data=small_return("XAA-002", 2023, population="lots"),
        filename="b.xlsx",
    )
    assert (accepted.status, rejected.status) == ("accepted", "rejected")
    with running_server(data_dir, env={"MIGDASH_LOAD_SAMPLE_DATA": "false"}) as url:
        yield {
            "url": url,
            "engine": engine,
            "return": small_return,
            "accepted": accepted.submission_id,
            "rejected": rejected.submission_id,
        }


def browser_like(site: dict) -> requests.Session:
    """A client that sends what a browser sends on this site's own pages: its Origin."""
    client = requests.Session()
    client.headers["Origin"] = site["url"]
    return client


def logged_in(site: dict, username: str) -> requests.Session:
    client = browser_like(site)
    response = client.post(
        f"{site['url']}/login", data={"username": username, "password": PASSWORD}, allow_redirects=False
    )
    assert response.status_code == 302, response.text
    return client


def crafted_upload(client: requests.Session, site: dict, data: bytes, filename: str) -> requests.Response:
    """The request the upload page's callback would send, built by hand (no page involved)."""
    contents = "data:application/octet-stream;base64," + base64.b64encode(data).decode()
    return client.post(
        f"{site['url']}/_dash-update-component",
        json={
            "output": UPLOAD_OUTPUT,
            "outputs": [
                {"id": "upload-result", "property": "children"},
                {"id": "upload-confirm-box", "property": "hidden"},
                {"id": "upload-pending", "property": "data"},
                {"id": "upload-client-message", "property": "children"},
            ],
            "inputs": [
                {"id": "upload-file", "property": "contents", "value": contents},
                {"id": "upload-confirm", "property": "n_clicks", "value": 0},
            ],
            "changedPropIds": ["upload-file.contents"],
            "state": [
                {"id": "upload-file", "property": "filename", "value": filename},
                {"id": "upload-pending", "property": "data", "value": None},
            ],
        },
    )


def crafted_page(client: requests.Session, site: dict, pathname: str) -> str:
    """The page content Dash's router callback returns for a path (what the browser would show)."""
    response = client.post(
        f"{site['url']}/_dash-update-component",
        json={
            "output": PAGE_OUTPUT,
            "outputs": [
                {"id": "_pages_content", "property": "children"},
                {"id": "_pages_store", "property": "data"},
            ],
            "inputs": [
                {"id": "_pages_location", "property": "pathname", "value": pathname},
                {"id": "_pages_location", "property": "search", "value": ""},
            ],
            "changedPropIds": ["_pages_location.pathname"],
            "state": [],
        },
    )
    assert response.status_code == 200, response.text
    return response.text


def submissions(site: dict) -> int:
    with site["engine"].connect() as connection:
        return connection.scalar(select(func.count()).select_from(Submission))


def audit_lines(site: dict, action: str) -> list[tuple[str, str]]:
    with session_scope(site["engine"]) as session:
        return [(e.actor, e.target) for e in events(session, action=action)]


# --- uploads


def test_anonymous_visitors_cannot_upload(site):
    before = submissions(site)
    response = crafted_upload(browser_like(site), site, site["return"]("XAA-001", 2021), "x.xlsx")
    assert response.status_code == 200
    assert "Log in to upload a return" in response.text and "Accepted" not in response.text
    assert submissions(site) == before
    assert ("anonymous", "upload") in audit_lines(site, "access-denied")


def test_a_viewer_cannot_upload(site):
    before = submissions(site)
    response = crafted_upload(logged_in(site, "vera"), site, site["return"]("XAA-001", 2021), "x.xlsx")
    assert "may read the dashboard but not upload" in response.text
    assert submissions(site) == before
    assert ("vera", "upload") in audit_lines(site, "access-denied")


def test_a_local_user_cannot_upload_for_another_municipality(site):
    ana = logged_in(site, "ana")
    before = submissions(site)
    response = crafted_upload(ana, site, site["return"]("XAA-002", 2021), "vellmar.xlsx")
    assert "You may not submit figures for" in response.text and "(XAA-002)" in response.text
    assert submissions(site) == before
    assert ("ana", "upload") in audit_lines(site, "access-denied")
    # Their own municipality's return goes through, attributed to them.
    response = crafted_upload(ana, site, site["return"]("XAA-001", 2021), "own.xlsx")
    assert "Accepted" in response.text, response.text[:500]
    assert submissions(site) == before + 1
    with site["engine"].connect() as connection:
        newest = connection.execute(select(Submission.uploader).order_by(Submission.id.desc())).first()
    assert newest.uploader == "ana"


# --- reading submissions


def test_a_local_user_cannot_read_another_municipalitys_rejected_submission(site):
    path = f"/coverage/submission/{site['rejected']}"
    for client in (logged_in(site, "ana"), browser_like(site), logged_in(site, "vera")):
        text = crafted_page(client, site, path)
        assert "Not a public submission" in text
        assert "b.xlsx" not in text and "lots" not in text
    text = crafted_page(logged_in(site, "paul"), site, path)
    assert "b.xlsx" in text and "Rejected" in text and "lots" in text


def test_the_problems_download_checks_the_submission_again(site):
    """The download callback takes the submission number from the browser: a crafted number of a
    submission the user may not see gives nothing."""
    payload = {
        "output": "submission-issues-dl-download.data",
        "outputs": {"id": "submission-issues-dl-download", "property": "data"},
        "inputs": [
            {"id": "submission-issues-dl-csv", "property": "n_clicks", "value": 1},
            {"id": "submission-issues-dl-xlsx", "property": "n_clicks", "value": None},
        ],
        "changedPropIds": ["submission-issues-dl-csv.n_clicks"],
        "state": [{"id": "submission-id", "property": "data", "value": site["rejected"]}],
    }
    refused = logged_in(site, "ana").post(f"{site['url']}/_dash-update-component", json=payload)
    assert refused.json() == {"multi": True, "response": {}}  # no update: nothing sent
    allowed = logged_in(site, "paul").post(f"{site['url']}/_dash-update-component", json=payload)
    sent = allowed.json()["response"]["submission-issues-dl-download"]["data"]
    assert sent["filename"] == f"submission-{site['rejected']}-problems.csv"
    assert "'lots' is not a number" in base64.b64decode(sent["content"]).decode("utf-8-sig")


def test_accepted_submissions_stay_public_without_the_uploaders_name(site):
    text = crafted_page(browser_like(site), site, f"/coverage/submission/{site['accepted']}")
    assert "validation report" in text and "not shown" in text


def test_only_administrators_read_the_audit_log(site):
    for client in (browser_like(site), logged_in(site, "paul")):
        text = crafted_page(client, site, "/admin/audit")
        assert "Only administrators see the audit log" in text and "audit-table" not in text
    text = crafted_page(logged_in(site, "root"), site, "/admin/audit")
    assert "audit-table" in text
    assert '"root"' in text and '"login"' in text  # this very login is in the log


# --- logins and sessions


def test_wrong_passwords_lock_the_account(site):
    client = browser_like(site)
    url = f"{site['url']}/login"
    answers = [client.post(url, data={"username": "lockme", "password": f"guess {i}"}) for i in range(5)]
    assert all("Wrong user name or password." in a.text and "Set-Cookie" not in a.headers for a in answers)
    # Locked now: the right password is refused too, with the same words.
    locked = client.post(url, data={"username": "lockme", "password": PASSWORD}, allow_redirects=False)
    assert locked.status_code == 200 and "Wrong user name or password." in locked.text
    assert "Set-Cookie" not in locked.headers
    assert ("lockme", "lockme") in audit_lines(site, "account-locked")
    # An unknown name gets the very same answer (no way to tell who exists).
    unknown = client.post(url, data={"username": "nobody-here", "password": PASSWORD})
    assert "Wrong user name or password." in unknown.text and "Set-Cookie" not in unknown.headers


def test_session_cookie_flags(site):
    client = browser_like(site)
    response = client.post(
        f"{site['url']}/login", data={"username": "vera", "password": PASSWORD}, allow_redirects=False
    )
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("migdash_session=")
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite", "expires", "path"} <= flags
    assert "SameSite=Lax" in cookie
    assert "secure" not in flags  # served over plain HTTP here; MIGDASH_SECURE_COOKIES adds it


def test_logging_out_ends_every_copy_of_the_session(site):
    ana = logged_in(site, "ana")
    copy = browser_like(site)
    copy.cookies.update(ana.cookies)
    assert '"ana"' in ana.get(f"{site['url']}/_dash-layout").text  # logged in
    assert ana.post(f"{site['url']}/logout", allow_redirects=False).status_code == 302
    response = crafted_upload(copy, site, site["return"]("XAA-001", 2020), "x.xlsx")
    assert "Log in to upload a return" in response.text


# --- headers and cross-origin requests


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/login"),
        ("GET", "/upload"),
        ("GET", "/assets/style.css"),
        ("GET", "/_dash-layout"),
        ("GET", "/_dash-dependencies"),
        ("GET", "/no/such/page"),
        ("POST", "/login"),
    ],
)
def test_security_headers_on_every_response(site, method, path):
    response = browser_like(site).request(
        method, f"{site['url']}{path}", data={"username": "x", "password": "y"}
    )
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'self'"
    assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in directives["script-src"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Referer": "http://evil.example/page"},
        {},  # neither: a browser always sends one of them on a POST
    ],
)
def test_cross_origin_posts_are_refused(site, headers):
    client = requests.Session()
    login = client.post(
        f"{site['url']}/login",
        data={"username": "paul", "password": PASSWORD},
        headers=headers,
        allow_redirects=False,
    )
    assert login.status_code == 403 and "Set-Cookie" not in login.headers
    assert "did not come from a page of this site" in login.text
    paul = logged_in(site, "paul")
    before = submissions(site)
    forged = requests.post(
        f"{site['url']}/_dash-update-component",
        json={"output": UPLOAD_OUTPUT},
        headers=headers,
        cookies=paul.cookies,
    )
    assert forged.status_code == 403
    assert submissions(site) == before


def test_same_origin_referer_is_accepted_without_origin(site):
    client = requests.Session()
    client.headers["Referer"] = f"{site['url']}/login"
    response = client.post(
        f"{site['url']}/login", data={"username": "paul", "password": PASSWORD}, allow_redirects=False
    )
    assert response.status_code == 302


# --- other settings, the same app in-process


@pytest.fixture
def local_app(tmp_path):
    def build(**overrides):
        from app import create_app

        settings = Settings(
            data_dir=tmp_path / "var", secret_key="x" * 32, load_sample_data=False, **overrides
        )
        engine = make_engine(settings)
        upgrade(engine)
        with session_scope(engine) as session:
            add_user(session, username="vera", role="viewer", password=PASSWORD)
        return create_app(settings)

    return build


def test_a_private_dashboard_needs_a_login_for_everything_but_the_login_page(local_app):
    client = local_app(public_dashboard=False).server.test_client()
    origin = {"Origin": "http://localhost"}
    page = client.get("/compare?country=XAA")
    assert page.status_code == 302 and page.headers["Location"] == "/login?next=/compare%3Fcountry%3DXAA"
    assert client.get("/_dash-layout").status_code == 401
    assert client.post("/_dash-update-component", json={}, headers=origin).status_code == 401
    assert client.get("/login").status_code == 200
    assert client.get("/assets/style.css").status_code == 200
    response = client.post(
        "/login", data={"username": "vera", "password": PASSWORD, "next": "/compare"}, headers=origin
    )
    assert response.status_code == 302 and response.headers["Location"] == "/compare"
    assert client.get("/_dash-layout").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_login_never_redirects_off_site(local_app, target):
    client = local_app().server.test_client()
    response = client.post(
        "/login",
        data={"username": "vera", "password": PASSWORD, "next": target},
        headers={"Origin": "http://localhost"},
    )
    assert response.headers["Location"] == "/"


def test_https_deployments_get_secure_cookies_and_hsts(local_app):
    client = local_app(secure_cookies=True).server.test_client()
    response = client.post(
        "/login", data={"username": "vera", "password": PASSWORD}, headers={"Origin": "http://localhost"}
    )
    assert "; Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_oversized_requests_are_refused_in_plain_words(local_app):
    client = local_app(max_upload_mb=0.1).server.test_client()
    response = client.post(
        "/_dash-update-component",
        data=b"x" * 2_000_000,
        headers={"Origin": "http://localhost"},
        content_type="application/json",
    )
    assert response.status_code == 413
    assert "Traceback" not in response.get_data(as_text=True)


def test_unexpected_errors_show_a_reference_not_a_traceback(local_app, caplog):
    app = local_app()

    def broken():
        raise RuntimeError("secret internal detail")

    app.server.add_url_rule("/broken", "broken", broken)
    with caplog.at_level(logging.ERROR, logger="migdash"):
        response = app.server.test_client().get("/broken")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internal detail" not in body and "Traceback" not in body
    reference = body.split("quote the reference ")[1][:8]
    assert any(reference in record.getMessage() for record in caplog.records)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
