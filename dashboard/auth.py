"""Logins, sessions and web security on the Dash server (a Flask app).

- Sessions are Flask's signed cookies (HttpOnly, SameSite=Lax, Secure behind TLS) holding the
  user's id and the account's ``session_version``: a password reset, a role change, disabling an
  account or logging out bumps the version and so ends every session of that account.
- ``/login`` is a plain HTML form (fields ``username`` and ``password``), ``/logout`` a POST.
- Every state-changing request must come from this site (Origin, or else Referer, checked).
- With ``public_dashboard`` off, anonymous visitors reach only the login page and the assets.
- Every response carries the security headers; an unexpected error is logged with a reference
  the user can quote, never shown as a traceback.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from urllib.parse import quote, urlsplit

import dash
from flask import Flask, Response, g, redirect, request, session
from markupsafe import escape
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from data_ingest.accounts import ANONYMOUS, Principal, authenticate, get_user, principal_of
from data_ingest.audit import record, record_now
from data_ingest.db import session_scope
from data_ingest.models import User
from data_ingest.settings import Settings

from .context import get_context

log = logging.getLogger("migdash")

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
SESSION_COOKIE = "migdash_session"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Reachable without a login even when the dashboard is not public: the login page and what it loads.
OPEN_PREFIXES = (LOGIN_PATH, "/assets/", "/_favicon.ico")
MAX_FIELD = 200  # characters kept from a login form field
WRONG_LOGIN = "Wrong user name or password."


def install(app: dash.Dash, settings: Settings) -> None:
    """Add logins, the request checks and the security headers to the app's server."""
    server: Flask = app.server
    server.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_hours),
        SESSION_REFRESH_EACH_REQUEST=True,  # the lifetime counts from the last request
    )
    if settings.proxy_hops:
        hops = settings.proxy_hops
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    server.before_request(_check_request)
    # The policy is built per response: Dash adds inline scripts of its own on the first request.
    server.after_request(lambda response: _headers(response, content_security_policy(app), settings))
    server.add_url_rule(LOGIN_PATH, "migdash_login", _login, methods=["GET", "POST"])
    server.add_url_rule(LOGOUT_PATH, "migdash_logout", _logout, methods=["POST"])
    server.register_error_handler(Exception, _error)


def content_security_policy(app: dash.Dash) -> str:
    """Scripts only from this server, plus Dash's own inline scripts by hash (its renderer and the
    clientside callbacks); inline styles are allowed because Dash and plotly set them."""
    scripts = " ".join(["'self'", *app.csp_hashes()])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


# --- who is asking


def current_principal() -> Principal:
    """The logged-in user of this request (once per request), or ANONYMOUS."""
    if "principal" not in g:
        g.principal = _load_principal()
    return g.principal


def _load_principal() -> Principal:
    user_id, version = session.get("uid"), session.get("ver")
    if user_id is None:
        return ANONYMOUS
    with session_scope(get_context().engine) as db:
        user = db.get(User, user_id)
        if user is None or not user.active or user.session_version != version:
            session.clear()
            return ANONYMOUS
        return principal_of(user)


def client_ip() -> str:
    """The client's address (ProxyFix has already applied trusted X-Forwarded-For headers)."""
    return request.remote_addr or ""


def audit(action: str, target: str = "", **detail: object) -> None:
    """Log an action of the current user, from the current request."""
    record_now(
        get_context().engine,
        actor=current_principal().username,
        action=action,
        target=target,
        ip=client_ip(),
        **detail,
    )


# --- checks on every request


def _same_origin(url: str) -> bool:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() == request.host_url.rstrip("/").lower()


def _check_request() -> Response | None:
    if request.method in STATE_CHANGING:
        origin = request.headers.get("Origin")
        referer = request.headers.get("Referer")
        source = origin if origin and origin != "null" else referer
        if not source or not _same_origin(source):
            log.warning(
                "refused a %s to %s from origin %r (referer %r), client %s",
                request.method,
                request.path,
                origin,
                referer,
                client_ip(),
            )
            return _plain(
                403,
                "Refused",
                "This request did not come from a page of this site, so it was refused. "
                "Open the dashboard and try again from there.",
            )
    if get_context().settings.public_dashboard or request.path.startswith(OPEN_PREFIXES):
        return None
    if current_principal().authenticated:
        return None
    if request.path.startswith("/_dash") or request.method != "GET":
        return _plain(401, "Login needed", "Log in to see this dashboard.")
    return redirect(login_href(request.full_path))


def login_href(back: str = "/") -> str:
    """The login page's address, coming back to ``back`` (a path on this site) afterwards."""
    back = back.rstrip("?")
    return LOGIN_PATH if back in ("", "/") else f"{LOGIN_PATH}?next={quote(back, safe='/')}"


def safe_next(target: str | None) -> str:
    """Only a path on this site (never "//host" or "https://host"): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _headers(response: Response, csp: str, settings: Settings) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", csp)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if settings.secure_cookies:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if not request.path.startswith(("/assets/", "/_dash-component-suites/")):
        headers["Cache-Control"] = "no-store"  # pages and callback answers may hold private data
    return response


def _error(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _plain(exc.code or 500, exc.name, exc.description or "")
    reference = secrets.token_hex(4)
    log.exception("unexpected error on %s %s (reference %s)", request.method, request.path, reference)
    return _plain(
        500,
        "Something went wrong",
        f"An unexpected problem on our side stopped this request. If it happens again, tell the programme "
        f"team and quote the reference {reference}.",
    )


# --- pages served by Flask itself


def _page(title: str, body: str, status: int) -> Response:
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — migdash</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<div class="site">
<header class="site-header"><a class="brand" href="/"><span class="brand-name">migdash</span>
<span class="brand-tagline">Making migration work for the SDGs at local level</span></a></header>
<main class="site-main" id="main-content"><div class="plain-page">{body}</div></main>
</div>
</body>
</html>"""
    return Response(html, status=status, mimetype="text/html")


def _plain(status: int, title: str, text: str) -> Response:
    return _page(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>", status)


def _login_form(next_path: str, message: str = "", username: str = "") -> Response:
    settings = get_context().settings
    why = "to upload your municipality's returns"
    if settings.public_dashboard:
        why += ", or to see submissions that are not public"
    alert = f'<p class="login-error" role="alert">{escape(message)}</p>' if message else ""
    body = f"""<h1>Log in</h1>
<p>Log in {why}.</p>
{alert}
<form method="post" action="{LOGIN_PATH}" class="login-form">
<input type="hidden" name="next" value="{escape(next_path)}">
<div class="control"><label for="login-username">User name</label>
<input id="login-username" name="username" autocomplete="username" required maxlength="64"
 value="{escape(username)}" autofocus></div>
<div class="control"><label for="login-password">Password</label>
<input id="login-password" name="password" type="password" autocomplete="current-password" required></div>
<button type="submit" class="primary-button">Log in</button>
</form>
<p class="note">No account, or locked out? Ask the programme team. After {settings.login_max_failures} wrong
passwords in a row an account is locked for {settings.login_lockout_minutes:g} minutes.</p>"""
    return _page("Log in", body, 200)


def _login() -> Response:
    next_path = safe_next(request.values.get("next"))
    if request.method == "GET":
        return _login_form(next_path)
    context = get_context()
    settings = context.settings
    username = (request.form.get("username") or "").strip()[:MAX_FIELD]
    password = (request.form.get("password") or "")[: MAX_FIELD * 5]
    with session_scope(context.engine) as db:
        result = authenticate(
            db,
            username=username,
            password=password,
            max_failures=settings.login_max_failures,
            lockout=dt.timedelta(minutes=settings.login_lockout_minutes),
        )
        if result.user is None:
            record(
                db, actor=username or "(blank)", action="login-failed", ip=client_ip(), reason=result.reason
            )
            if result.reason == "locked-now":
                record(db, actor=username, action="account-locked", target=username, ip=client_ip())
            user_id = None
        else:
            record(db, actor=username, action="login", ip=client_ip())
            user_id, version = result.user.id, result.user.session_version
    if user_id is None:
        # 200, not 401: a browser would log a 401 page as a console error; the form says what happened.
        return _login_form(next_path, WRONG_LOGIN, username)
    session.clear()
    session.permanent = True
    session["uid"], session["ver"] = user_id, version
    return redirect(next_path)


def _logout() -> Response:
    principal = current_principal()
    if principal.authenticated:
        with session_scope(get_context().engine) as db:
            user = get_user(db, principal.username)
            if user is not None:
                user.session_version += 1  # a copy of the cookie is worth nothing after logging out
            record(db, actor=principal.username, action="logout", ip=client_ip())
    session.clear()
    return redirect("/")
