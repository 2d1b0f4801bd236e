"""The scorecard in a real browser: a link opens one municipality's scorecard with the values of its
return, the search box and the compare links keep the view in the URL, the downloads open."""

from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest
from playwright.sync_api import expect

from data_ingest.catalog import load_catalog
from data_ingest.settings import DEFAULT_CATALOG, PROJECT_ROOT

pytestmark = pytest.mark.browser

RETURN_2024 = PROJECT_ROOT / "sample_data" / "returns" / "2025-05-16_XAA-001_2024_es.xlsx"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(DEFAULT_CATALOG)


@pytest.fixture(scope="module")
def work01():
    """WORK-01 of XAA-001 in 2024 and its status label, by hand from the sample workbook."""
    sheet = openpyxl.load_workbook(RETURN_2024, read_only=True, data_only=True)["Data"]
    total = {row[0]: row[3] for row in sheet.iter_rows(values_only=True) if row and isinstance(row[0], str)}
    value = total["migrants_employed"] / total["migrants_working_age"] * 100
    ind = load_catalog(DEFAULT_CATALOG).indicators["WORK-01"]
    label = "Good" if value >= ind.green else "Far behind" if value < ind.red else "Part way"
    return value, label


def test_scorecard_link_opens_the_municipality_with_its_values(live_server, page, work01, check_accessible):
    value, label = work01
    page.goto(f"{live_server}/scorecard?municipality=XAA-001")
    expect(page.get_by_role("heading", level=1)).to_contain_text("San Eulogio")
    expect(page.get_by_role("heading", level=1)).to_contain_text("XAA-001")
    expect(page.locator("#scorecard-header")).to_contain_text("Alto Cereza")
    row = page.locator("#scorecard-row-WORK-01")
    expect(row).to_contain_text(f"{value:.1f}%")
    expect(row).to_contain_text("(2024)")
    expect(row.locator(".status-badge")).to_contain_text(label)
    expect(row.get_by_role("link", name="WORK-01 over time")).to_have_attribute(
        "href", "/indicator?code=WORK-01&municipalities=XAA-001"
    )
    expect(page.locator("#scorecard-row-DIG-05")).to_contain_text("no data")
    expect(page.locator("#scorecard-row-DIG-05")).to_contain_text("input portal_migrant_languages missing")
    expect(page.locator("#scorecard-context")).to_contain_text("never scored")
    expect(page.locator("#scorecard-history-summary")).to_contain_text("Returns for")
    expect(page.locator(".sparkline .main-svg").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    check_accessible(page)


def test_list_search_and_compare_keep_the_view_in_the_url(live_server, page, check_accessible):
    page.goto(f"{live_server}/scorecard")
    expect(page.locator(".scorecard-country")).to_have_count(5)
    page.wait_for_load_state("networkidle")
    check_accessible(page)
    expect(page.get_by_role("link", name="Villa Carmesí")).to_have_attribute(
        "href", "/scorecard?municipality=XAA-003"
    )

    search = page.get_by_label("Find a municipality")
    search.fill("XBB-002 — Sainte-Aurélie-sur-Lisse (Deux-Rives, République de Vaucelande)")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/scorecard\?municipality=XBB-002$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sainte-Aurélie-sur-Lisse")
    search = page.get_by_label("Find a municipality")
    search.fill("nowhere")
    search.press("Enter")
    expect(page.locator("#scorecard-search-status")).to_contain_text("No municipality matches")

    compare = page.locator("#scorecard-compare")
    compare.get_by_role("link", name="Montbrisac").click()
    expect(page).to_have_url(re.compile(r"municipality=XBB-002&compare=XBB-001$"))
    expect(page.locator("#scorecard-areas th").filter(has_text="Montbrisac").first).to_be_visible()


def test_downloads_open_with_pandas_and_openpyxl(live_server, page, work01, catalog):
    value, _ = work01
    page.goto(f"{live_server}/scorecard?municipality=XAA-001")
    expect(page.locator("#scorecard-row-WORK-01")).to_contain_text(f"{value:.1f}%")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download scorecard (CSV)").click()
    frame = pd.read_csv(download.value.path(), encoding="utf-8-sig")
    assert len(frame) == len(catalog.indicators)
    assert frame.set_index("indicator").loc["WORK-01", "value"] == pytest.approx(value)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download scorecard (XLSX)").click()
    assert download.value.suggested_filename == "scorecard-XAA-001.xlsx"
    with open(download.value.path(), "rb") as file:  # the saved download has no file extension
        sheet = openpyxl.load_workbook(file)["data"]
    assert sheet.max_row == len(catalog.indicators) + 1
    with page.expect_download() as download:
        page.get_by_role("button", name="Download reporting history (CSV)").click()
    history = pd.read_csv(download.value.path(), encoding="utf-8-sig")
    assert 2024 in set(history["year"])
