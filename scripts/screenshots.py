"""Save a PNG of each page into docs/screenshots/ (run by `make screenshots`, not by the tests)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from dashboard.live_server import add_user, running_server

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
PAGES = {
    "overview": "/",
    "scorecard": "/scorecard?municipality=XAA-001",
    "indicator": "/indicator?code=WORK-01",
    "compare": "/compare",
    "coverage": "/coverage",
    "catalogue": "/catalogue",
    "catalogue-indicator": "/catalogue/WORK-02",
    "login": "/login",
}
# Taken logged in as a data officer of XAA-001 (the upload page needs an account).
LOGGED_IN_PAGES = {"upload": "/upload"}
PASSWORD = "screenshot password"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    chromium = os.environ.get("MIGDASH_TEST_CHROMIUM", "/usr/bin/chromium")
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(Path(tmp) / "var") as url,
        sync_playwright() as pw,
    ):
        add_user(Path(tmp) / "var", "amina", "local", PASSWORD, ("XAA-001",))
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def save(name: str, path: str) -> None:
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)  # charts finish drawing
            page.screenshot(path=OUT / f"{name}.png")
            print(f"saved docs/screenshots/{name}.png")

        for name, path in PAGES.items():
            save(name, path)
        page.goto(url + "/login")
        page.fill("input[name=username]", "amina")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(url + "/")
        for name, path in LOGGED_IN_PAGES.items():
            save(name, path)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
