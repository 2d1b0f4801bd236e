"""Browser tests: the real app in a subprocess on a free loopback port, driven by Playwright in
Debian's headless Chromium. Console errors fail the test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MIGDASH_TEST_CHROMIUM", "/usr/bin/chromium")
MIGDASH = Path(sys.executable).with_name("migdash")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[str]:
    """`migdash serve` with its own data folder; yields the base URL."""
    data_dir = tmp_path_factory.mktemp("live") / "var"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIGDASH_")}
    env.update(MIGDASH_DATA_DIR=str(data_dir), MIGDASH_PORT=str(port), MIGDASH_HOST="127.0.0.1")
    log = open(data_dir.parent / "server.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen([str(MIGDASH), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    try:
        while True:
            if process.poll() is not None:
                pytest.fail("the server exited: " + (data_dir.parent / "server.log").read_text())
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("the server did not start within 120 s")
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


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
