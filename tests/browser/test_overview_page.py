"""The overview in a real browser: the headline figures agree with the sample data counted straight
from its files, the country filter is a link that restores the view, the downloads open, and the
page prints as a one-page handout without navigation or buttons."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pandas as pd
import pytest
from playwright.sync_api import expect

from data_ingest.catalog import load_catalog
from data_ingest.settings import DEFAULT_CATALOG, PROJECT_ROOT

pytestmark = pytest.mark.browser

SAMPLE = PROJECT_ROOT / "sample_data"
RETURN_NAME = re.compile(r"_(X[A-Z]{2}-\d{3})_(\d{4})_")


@pytest.fixture(scope="module")
def sample():
    """By hand from the sample files: the register, and who sent a return for which year (one
    municipality's return per file; the national extract covers 2022 only)."""
    with open(SAMPLE / "municipalities.csv", encoding="utf-8") as f:
        register = list(csv.DictReader(f))
    sent: dict[int, set[str]] = {}
    for path in (SAMPLE / "returns").iterdir():
        match = RETURN_NAME.search(path.name)
        if match:
            sent.setdefault(int(match.group(2)), set()).add(match.group(1))
    year = max(sent)
    active = {r["municipality_code"] for r in register if r["active"] == "yes"}
    return {"register": register, "year": year, "sent": sent[year], "active": active}


def test_headline_figures_match_the_sample_files(live_server, page, sample, check_accessible):
    year, sent, active = sample["year"], sample["sent"], sample["active"]
    reporting = len(sent & active)
    page.goto(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(page.locator("#overview-card-municipalities .big-number")).to_have_text(str(len(active)))
    expect(page.locator("#overview-card-returns")).to_contain_text(f"Returns for {year}")
    expect(page.locator("#overview-card-returns .big-number")).to_have_text(str(len(sent)))
    expect(page.locator("#overview-card-rate .big-number")).to_have_text(
        f"{round(100 * reporting / len(active))}%"
    )
    highlights = page.locator("#overview-highlights")
    expect(highlights).to_contain_text(
        f"{reporting} of {len(active)} municipalities sent their {year} return"
    )
    # The municipalities still to come, named by hand from the register.
    missing = [r["municipality_name"] for r in sample["register"] if r["municipality_code"] in active - sent]
    for name in missing:
        expect(highlights).to_contain_text(name)
    # Status is never colour alone: the chart's legend has symbols and words.
    expect(page.locator("#overview-area-graph .legend")).to_contain_text("✔ Good")
    expect(page.locator("#overview-area-graph .legend")).to_contain_text("✖ Far behind")
    expect(page.locator("#overview-progress li").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    check_accessible(page)


def test_country_link_restores_the_view(live_server, page, sample):
    year = sample["year"]
    xbb = {r["municipality_code"] for r in sample["register"] if r["country_code"] == "XBB"}
    page.goto(f"{live_server}/")
    page.locator("#overview-country").get_by_role("link", name="République de Vaucelande").click()
    expect(page).to_have_url(f"{live_server}/?country=XBB")
    # Opened directly, the same link gives the same view.
    page.goto(f"{live_server}/?country=XBB")
    expect(page.locator("#overview-country [aria-current=true]")).to_have_text("République de Vaucelande")
    expect(page.locator("#overview-card-returns .big-number")).to_have_text(str(len(xbb & sample["sent"])))
    n_active = len(xbb & sample["active"])
    expect(page.locator("#overview-highlights")).to_contain_text(
        f"of {n_active} municipalities in République de Vaucelande sent their {year} return"
    )


def test_downloads_open_with_the_rows_shown(live_server, page, sample):
    catalog = load_catalog(DEFAULT_CATALOG)
    areas = [a for a in catalog.areas if a != "context"]
    page.goto(f"{live_server}/")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download area statuses (CSV)").click()
    assert re.fullmatch(r"area-status-\d{4}\.csv", download.value.suggested_filename)
    frame = pd.read_csv(download.value.path(), encoding="utf-8-sig")
    assert frame["area"].tolist() == areas
    counts = frame[["green", "amber", "red", "no_data"]].sum(axis=1)
    assert (counts == len(sample["active"])).all()  # every active municipality, once per area
    # The table under the chart shows the same numbers.
    page.get_by_text("Show the numbers as a table").click()
    first = page.locator(".overview-table tbody tr").first
    expect(first.locator("td").first).to_have_text(str(frame.loc[0, "green"]))
    with page.expect_download() as download:
        page.get_by_role("button", name="Download indicator ranking (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(download.value.path(), "rb") as f:
        sheet = openpyxl.load_workbook(io.BytesIO(f.read()), read_only=True)["data"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("indicator", "name")
    assert sorted(r[0] for r in rows[1:]) == sorted(i.code for i in catalog.indicators.values() if i.scored)


def test_prints_as_a_one_page_handout(live_server, page):
    page.goto(f"{live_server}/")
    expect(page.locator("#overview-area-graph-print .main-svg").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    page.emulate_media(media="print")
    expect(page.locator(".site-nav")).to_be_hidden()
    expect(page.locator(".downloads").first).to_be_hidden()
    expect(page.locator("#overview-country")).to_be_hidden()
    expect(page.locator("#overview-area-graph")).to_be_hidden()
    expect(page.locator("#overview-area-graph-print")).to_be_visible()
    expect(page.locator("#overview-card-rate")).to_be_visible()
    pdf = page.pdf(format="A4", print_background=True)
    assert re.findall(rb"/Count (\d+)", pdf) == [b"1"]
    assert len(pdf) > 10_000
