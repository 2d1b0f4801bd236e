"""Save a PNG of each page into docs/screenshots/ (run by `make screenshots`, not by the tests)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from dashboard.live_server import running_server

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
PAGES = {
    "overview": "/",
    "scorecard": "/scorecard?municipality=XAA-001",
    "indicator": "/indicator?code=WORK-01",
    "compare": "/compare",
    "coverage": "/coverage",
    "upload": "/upload",
    "catalogue": "/catalogue",
    "catalogue-indicator": "/catalogue/WORK-02",
}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    chromium = os.environ.get("MIGDASH_TEST_CHROMIUM", "/usr/bin/chromium")
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(Path(tmp) / "var") as url,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for name, path in PAGES.items():
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(500)
            page.wait_for_timeout(1000)  # charts finish drawing
            page.screenshot(path=OUT / f"{name}.png")
            print(f"saved docs/screenshots/{name}.png")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
