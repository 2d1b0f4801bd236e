"""The indicator page in a real browser: a link opens the chosen indicator and municipalities with
the values of their returns; choices are links that keep the view in the URL; downloads open."""

from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest
from playwright.sync_api import expect

from data_ingest.settings import PROJECT_ROOT

pytestmark = pytest.mark.browser

RETURNS = PROJECT_ROOT / "sample_data" / "returns"


def work01_by_hand(code: str) -> dict[int, float]:
    """WORK-01 = migrants_employed / migrants_working_age * 100 from each sample template of a
    municipality, read with openpyxl (column D holds the totals)."""
    out = {}
    for path in RETURNS.glob(f"*_{code}_*.xlsx"):
        sheet = openpyxl.load_workbook(path, read_only=True, data_only=True)["Data"]
        total = {r[0]: r[3] for r in sheet.iter_rows(values_only=True) if r and isinstance(r[0], str)}
        out[int(path.name.split("_")[2])] = total["migrants_employed"] / total["migrants_working_age"] * 100
    return out


def plotted_names(page) -> list[str]:
    return page.evaluate(
        """() => document.querySelector('#indicator-chart .js-plotly-plot').data
                 .filter(t => t.mode === 'lines+markers').map(t => t.name)"""
    )


def test_indicator_link_opens_the_chosen_view_with_the_return_values(live_server, page, check_accessible):
    page.goto(f"{live_server}/indicator?code=WORK-01&municipalities=XAA-001,XAA-003")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Employment rate of migrants aged 15-64")
    expect(page.locator("#indicator-chart .main-svg").first).to_be_attached()
    assert plotted_names(page) == ["San Eulogio (XAA-001)", "Villa Carmesí (XAA-003)"]
    table = page.locator("#indicator-table")
    for code, name in (("XAA-001", "San Eulogio"), ("XAA-003", "Villa Carmesí")):
        for year, value in work01_by_hand(code).items():
            row = table.locator("tr", has_text=f"{name} ({code})").filter(has_text=str(year))
            expect(row).to_contain_text(f"{value:.1f}%")
    expect(page.locator("#indicator-definition")).to_contain_text("Source")
    catalogue_link = page.locator("#indicator-definition").get_by_role("link", name="Employment rate")
    expect(catalogue_link).to_have_attribute("href", "/catalogue/WORK-01")
    page.wait_for_load_state("networkidle")
    check_accessible(page)


def test_choices_are_links_that_keep_the_view_in_the_url(live_server, page):
    page.goto(f"{live_server}/indicator?code=WORK-01&municipalities=XAA-001,XAA-003")
    page.locator("#indicator-municipalities").get_by_role("link", name="Puerto Albarino").click()
    expect(page).to_have_url(re.compile(r"municipalities=XAA-001%2CXAA-003%2CXAA-004"))
    expect(page.locator("#indicator-chart .main-svg").first).to_be_attached()
    assert len(plotted_names(page)) == 3

    page.locator("#indicator-breakdown").get_by_role("link", name="Women").click()
    expect(page).to_have_url(re.compile(r"disaggregation=women"))
    expect(page.locator("#indicator-table caption")).to_contain_text("(women)")

    page.locator("#indicator-country").get_by_role("link", name=re.compile("Vaucelande")).click()
    expect(page).to_have_url(re.compile(r"country=XBB"))
    expect(page.locator("#indicator-chart .main-svg").first).to_be_attached()
    plotted = plotted_names(page)
    assert plotted and all("(XBB-" in name for name in plotted)
    # Not every municipality gives a breakdown by sex: the others are named, not dropped silently.
    without = page.locator("#indicator-no-values")
    listed = without.inner_text().count(",") + 1 if without.count() else 0
    assert len(plotted) + listed == 5

    search = page.get_by_label("Find an indicator")
    search.fill("WORK-02")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/indicator\?code=WORK-02"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("WORK-02")


def test_downloads_open_with_pandas_and_openpyxl(live_server, page):
    page.goto(f"{live_server}/indicator?code=WORK-01&municipalities=XAA-001")
    rows = page.locator("#indicator-table tbody tr")
    expect(rows.first).to_be_visible()
    n_rows = rows.count()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download chart data (CSV)").click()
    frame = pd.read_csv(download.value.path(), encoding="utf-8-sig")
    assert len(frame) == n_rows
    latest = frame.set_index("year").loc[2024, "value"]
    assert latest == pytest.approx(work01_by_hand("XAA-001")[2024])
    with page.expect_download() as download:
        page.get_by_role("button", name="Download chart data (XLSX)").click()
    assert download.value.suggested_filename == "WORK-01-values.xlsx"
    with open(download.value.path(), "rb") as file:
        assert openpyxl.load_workbook(file)["data"].max_row == n_rows + 1
