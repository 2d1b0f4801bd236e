"""The compare page in a real browser: the heatmap shows a sample municipality's value as computed
here by hand from its return, the ranking agrees with its download, the filters are links that
restore the view, and a heatmap cell or a ranking name opens the municipality's scorecard."""

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
RETURN_2024 = SAMPLE / "returns" / "2025-05-16_XAA-001_2024_es.xlsx"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(DEFAULT_CATALOG)


@pytest.fixture(scope="module")
def register():
    with open(SAMPLE / "municipalities.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def gov05():
    """GOV-05 of XAA-001 (San Eulogio, Alto Cereza) in 2024, by hand from the sample workbook:
    value, status label and 0-100 score (catalogue worst 0, target 100: the score is the value)."""
    sheet = openpyxl.load_workbook(RETURN_2024, read_only=True, data_only=True)["Data"]
    total = {row[0]: row[3] for row in sheet.iter_rows(values_only=True) if row and isinstance(row[0], str)}
    value = total["datasets_disaggregated_migratory"] / total["datasets_core_total"] * 100
    ind = load_catalog(DEFAULT_CATALOG).indicators["GOV-05"]
    assert (ind.worst, ind.target) == (0, 100)
    label = "Good" if value >= ind.green else "Far behind" if value < ind.red else "Part way"
    return value, label


def heatmap_cell(page, row: str, column: str) -> list:
    """[municipality code, hover text] of one heatmap cell, as the browser holds it."""
    return page.evaluate(
        """([row, column]) => {
            const trace = document.querySelector('#compare-heatmap .js-plotly-plot').data[0];
            return trace.customdata[trace.y.indexOf(row)][trace.x.indexOf(column)];
        }""",
        [row, column],
    )


def test_heatmap_shows_a_sample_value_computed_by_hand(live_server, page, gov05, catalog, check_accessible):
    value, label = gov05
    page.goto(f"{live_server}/compare")
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare municipalities")
    expect(page.locator("#compare-heatmap .main-svg").first).to_be_attached()
    code, hover = heatmap_cell(page, "San Eulogio (Alto Cereza)", "GOV-05")
    assert code == "XAA-001"
    assert f"Value: {value:.1f}% (2024)" in hover
    symbol = {"Good": "✔", "Part way": "◐", "Far behind": "✖"}[label]
    assert f"Status: {symbol} {label}" in hover
    assert f"Score: {value:.0f} / 100" in hover
    scored = [i.code for i in catalog.indicators.values() if i.scored]
    columns = page.evaluate("() => document.querySelector('#compare-heatmap .js-plotly-plot').data[0].x")
    assert columns == scored
    page.wait_for_load_state("networkidle")
    check_accessible(page)


def test_ranking_agrees_with_its_download(live_server, page, register, catalog):
    n_scored = sum(i.scored for i in catalog.indicators.values())
    page.goto(f"{live_server}/compare")
    rows = page.locator("#compare-ranking tbody tr")
    expect(rows).to_have_count(len(register))
    with page.expect_download() as download:
        page.get_by_role("button", name="Download ranking (CSV)").click()
    frame = pd.read_csv(download.value.path(), encoding="utf-8-sig")
    assert sorted(frame["municipality_code"]) == sorted(r["municipality_code"] for r in register)
    assert (frame["n_scored"] == n_scored).all()
    best = frame.iloc[0]
    first = rows.first
    expect(first.locator("td").first).to_have_text("1")
    expect(first).to_contain_text(f"{best['overall']:.1f}")
    expect(first).to_contain_text(f"rests on {best['n_indicators']} of {n_scored} indicators")
    unranked = frame[frame["overall"].isna()]
    assert not unranked.empty and (5 * (n_scored - unranked["n_indicators"]) > n_scored).all()
    expect(page.locator("#compare-ranking tr.not-ranked")).to_have_count(len(unranked))
    expect(page.locator("#compare-ranking tr.not-ranked").first).to_contain_text(
        "not ranked: too many missing"
    )
    with page.expect_download() as download:
        page.get_by_role("button", name="Download heatmap data (XLSX)").click()
    assert download.value.suggested_filename == "compare-scores.xlsx"
    with open(download.value.path(), "rb") as f:
        cells = pd.read_excel(io.BytesIO(f.read()), sheet_name="data", engine="openpyxl")
    assert len(cells) == len(register) * n_scored
    mine = cells[(cells["municipality_code"] == "XAA-001") & (cells["indicator"] == "GOV-05")].iloc[0]
    assert (mine["year"], mine["unit"], mine["status"]) == (2024, "%", "green")


def test_filters_are_links_that_restore_the_view(live_server, page, register, catalog):
    xbb = [r for r in register if r["country_code"] == "XBB"]
    page.goto(f"{live_server}/compare")
    page.locator("#compare-filter-country").get_by_role("link", name="République de Vaucelande").click()
    expect(page).to_have_url(f"{live_server}/compare?country=XBB")
    page.locator("#compare-filter-area").get_by_role("link", name=catalog.areas["digital"].name.en).click()
    expect(page).to_have_url(re.compile(r"/compare\?country=XBB&area=digital$"))
    # Opened directly, the link shows the same view.
    page.goto(f"{live_server}/compare?country=XBB&area=digital")
    expect(page.locator("#compare-filter-country [aria-current=true]")).to_have_text(
        "République de Vaucelande"
    )
    expect(page.locator("#compare-ranking tbody tr")).to_have_count(len(xbb))
    regions = sorted({r["region_name"] for r in xbb})
    expect(page.locator("#compare-filter-region a")).to_have_text(["All regions", *regions])
    expect(page.locator("#compare-heatmap .main-svg").first).to_be_attached()
    columns = page.evaluate("() => document.querySelector('#compare-heatmap .js-plotly-plot').data[0].x")
    assert columns == [i.code for i in catalog.indicators_in("digital") if i.scored]
    expect(page.locator("#compare-ranking thead")).to_contain_text(
        f"{catalog.areas['digital'].name.en} score"
    )


def test_a_cell_or_a_ranking_name_opens_the_scorecard(live_server, page):
    page.goto(f"{live_server}/compare?country=XCC")
    first = page.locator("#compare-ranking tbody tr").first.get_by_role("link")
    href = first.get_attribute("href")
    assert re.fullmatch(r"/scorecard\?municipality=XCC-\d{3}", href)
    # The top-left cell belongs to the first municipality of the ranking.
    drag = page.locator("#compare-heatmap .nsewdrag").first
    drag.scroll_into_view_if_needed()
    box = drag.bounding_box()
    page.mouse.click(box["x"] + 4, box["y"] + 4)
    expect(page).to_have_url(f"{live_server}{href}")
    # Without the chart: the ranking's link, from the keyboard.
    page.goto(f"{live_server}/compare?country=XCC")
    link = page.locator("#compare-ranking tbody tr").first.get_by_role("link")
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}{href}")
