"""Browser tests: the real app in a subprocess on a free loopback port, driven by Playwright in
Debian's headless Chromium. Console errors fail the test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dashboard.live_server import add_user, running_server

CHROMIUM = os.environ.get("MIGDASH_TEST_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "browser test password"
# name: (role, municipalities)
ACCOUNTS = {
    "staff": ("programme", ()),
    "tafourou": ("local", ("XEE-004",)),
    "reader": ("viewer", ()),
    "chief": ("admin", ()),
}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[str]:
    """`migdash serve` with its own data folder and the ACCOUNTS; yields the base URL."""
    data_dir = tmp_path_factory.mktemp("live") / "var"
    with running_server(data_dir) as url:
        for name, (role, codes) in ACCOUNTS.items():
            add_user(data_dir, name, role, PASSWORD, codes)
        yield url


@pytest.fixture
def login(live_server) -> Callable:
    """login(page, name): log in through the login form as one of the ACCOUNTS."""

    def log_in(page, name: str) -> None:
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server}/")
        page.locator("#account").get_by_text(name).wait_for()

    return log_in


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make test` (it installs it) or set MIGDASH_TEST_CHROMIUM"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page; any console error or uncaught page error fails the test at teardown."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(15000)
    yield page
    context.close()
    assert errors == [], f"browser console errors: {errors}"


def assert_accessible(page) -> None:
    """axe-core (bundled with axe-playwright-python, no network): no critical or serious violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("critical", "serious")
    ]
    assert bad == [], "accessibility violations:\n" + "\n".join(bad)


@pytest.fixture
def check_accessible():
    """The axe check as a fixture (test modules cannot import conftest under importlib mode)."""
    return assert_accessible
