"""The coverage page in a real browser, checked against an independent source: the names of the
bundled sample returns (sent date, municipality code, year, "_revised") and the sample register.
Every cell of the matrix, the reporting rates, the chase list and the downloads must agree with
what those file names say; each cell links to its submission's validation report.

Only years up to 2024 are checked, so the 2025 returns that the upload tests add do not matter."""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd
import pytest
from playwright.sync_api import expect

from data_ingest.sample import SAMPLE_DIR

pytestmark = pytest.mark.browser

YEARS = list(range(2015, 2025))
NAME = re.compile(
    r"^\d{4}-\d{2}-\d{2}_(?P<code>[A-Z]{3}-\d{3})_(?P<year>\d{4})_[a-z]{2}(?P<revised>_revised)?\."
)
EXTRACT = re.compile(
    r"^\d{4}-\d{2}-\d{2}_(?P<country>[A-Z]{3})_national-statistics-extract_(?P<year>\d{4})\."
)


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE_DIR / "municipalities.csv", dtype=str)
    frame["active"] = frame["active"].str.casefold().eq("yes")
    return frame


@pytest.fixture(scope="module")
def files(register) -> Counter:
    """(municipality code, year) -> number of sample files sent for it."""
    sent: Counter = Counter()
    for path in (SAMPLE_DIR / "returns").iterdir():
        if m := NAME.match(path.name):
            sent[(m["code"], int(m["year"]))] += 1
        elif m := EXTRACT.match(path.name):
            for code in register[register["country_code"] == m["country"]]["municipality_code"]:
                sent[(code, int(m["year"]))] += 1
    assert sum(sent.values()) > 100
    return sent


def expected_label(files: Counter, code: str, year: int) -> set[str]:
    n = files[(code, year)]
    if n == 0:
        return {"Missing"}
    # Whether the first return was on time depends on when the server loaded the sample.
    return {"Revised"} if n > 1 else {"Accepted", "Late"}


def matrix_texts(page) -> dict[str, dict[int, str]]:
    """The matrix as {municipality code: {year: cell text}}, read in one round trip."""
    return page.evaluate(
        """() => {
        const table = document.querySelector('#coverage-matrix-table');
        const years = [...table.querySelectorAll('thead th')].slice(1).map(th => th.textContent.trim());
        const out = {};
        for (const tr of table.querySelectorAll('tbody tr')) {
            const code = tr.querySelector('th .muni-code').textContent.trim();
            out[code] = {};
            [...tr.querySelectorAll('td')].forEach((td, i) => { out[code][years[i]] = td.innerText.trim(); });
        }
        return out;
    }"""
    )


def test_every_cell_agrees_with_the_sample_returns(live_server, page, register, files):
    page.goto(f"{live_server}/coverage?country=XAA&year=2024")
    expect(page.locator("#coverage-matrix-table tbody tr")).to_have_count(6)
    shown = matrix_texts(page)
    codes = register[register["country_code"] == "XAA"]["municipality_code"].tolist()
    assert sorted(shown) == sorted(codes)
    for code in codes:
        for year in YEARS:
            text = shown[code][str(year)]
            label = text.split(maxsplit=1)[-1]  # after the symbol
            assert label in expected_label(files, code, year), (code, year, text)


def test_reporting_rate_and_chase_list_agree_with_the_sample(live_server, page, register, files):
    page.goto(f"{live_server}/coverage?year=2024")
    active = register[register["active"]]
    reported = active[[files[(c, 2024)] > 0 for c in active["municipality_code"]]]
    rate = round(100 * len(reported) / len(active))
    expect(page.locator("#coverage-headline")).to_contain_text(
        f"2024: {len(reported)} of {len(active)} active municipalities sent an accepted return ({rate} %)"
    )
    table = page.locator("#coverage-rates-table")
    expect(table).to_be_visible()
    row_2024 = table.locator("tbody tr", has=page.locator("th", has_text=re.compile(r"^2024$")))
    headers = table.locator("thead th").all_inner_texts()[1:]
    cells = row_2024.locator("td").all_inner_texts()
    for country, cell in zip(headers, cells, strict=True):
        mine = active if country == "All countries" else active[active["country_code"] == country]
        n = sum(files[(c, 2024)] > 0 for c in mine["municipality_code"])
        assert cell.startswith(f"{round(100 * n / len(mine))} %"), (country, cell)
        assert f"{n} of {len(mine)}" in cell, (country, cell)
    # Who to chase: active municipalities with no 2024 file, with their last year sent.
    chase = sorted(set(active["municipality_code"]) - set(reported["municipality_code"]))
    assert chase, "the sample should leave someone to chase in 2024"
    rows = page.locator("#coverage-chase-table tbody tr")
    expect(rows).to_have_count(len(chase))
    for code in chase:
        last = max(y for (c, y) in files if c == code)
        row = rows.filter(has_text=code)
        expect(row.locator("td").nth(3)).to_have_text(str(last))
    # Downloads: the chase list (XLSX) and the reporting rates (CSV).
    with page.expect_download() as download:
        page.click("#coverage-chase-xlsx")
    frame = pd.read_excel(download.value.path(), engine="openpyxl")
    assert sorted(frame["municipality_code"]) == chase
    assert set(frame["state"]) <= {"Missing", "Rejected"}
    with page.expect_download() as download:
        page.click("#coverage-rates-csv")
    rates = pd.read_csv(download.value.path(), keep_default_na=False)
    xaa = rates[(rates["year"] == 2024) & (rates["country_code"] == "XAA")].iloc[0]
    n_xaa = sum(files[(c, 2024)] > 0 for c in active[active["country_code"] == "XAA"]["municipality_code"])
    assert (xaa["expected"], xaa["reported"]) == ((active["country_code"] == "XAA").sum(), n_xaa)


def test_matrix_download_has_every_municipality(live_server, page, register, files):
    page.goto(f"{live_server}/coverage?country=XBB")
    with page.expect_download() as download:
        page.click("#coverage-matrix-csv")
    frame = pd.read_csv(download.value.path())
    xbb = register[register["country_code"] == "XBB"]["municipality_code"].tolist()
    assert frame["municipality_code"].tolist() == xbb
    for row in frame.to_dict("records"):
        for year in YEARS:
            assert row[str(year)] in expected_label(files, row["municipality_code"], year), (row, year)


def test_a_cell_opens_its_submission_report(live_server, page, check_accessible):
    page.goto(f"{live_server}/coverage?country=XCC")
    row = page.locator("#coverage-matrix-table tbody tr", has_text="XCC-001")
    expect(row).to_be_visible()
    years = page.locator("#coverage-matrix-table thead th").all_inner_texts()
    cell = row.locator("td").nth(years.index("2023") - 1)
    expect(cell).to_contain_text("Revised")
    cell.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/coverage/submission/\d+$"))
    expect(page.locator("#submission-facts")).to_contain_text("2024-09-02_XCC-001_2023_en_revised.xlsx")
    expect(page.locator("#submission-status")).to_contain_text("Accepted")
    expect(page.locator("#submission-returns")).to_contain_text("Current")
    check_accessible(page)
    page.goto(f"{live_server}/coverage/submission/999999")
    expect(page.get_by_role("heading", level=1)).to_have_text("Submission not found")


def test_view_is_restored_from_the_url_and_accessible(live_server, page, check_accessible):
    page.goto(f"{live_server}/coverage?country=XDD&year=2020")
    expect(page.get_by_role("link", name="República de Alcaravel (XDD)")).to_have_attribute(
        "aria-current", "true"
    )
    expect(page.locator("#coverage-filters a[aria-current=true]", has_text="2020")).to_be_visible()
    expect(page.locator("#coverage-matrix-table tbody tr")).to_have_count(4)
    expect(page.get_by_role("heading", name="Who to chase for 2020")).to_be_visible()
    # Choosing another country keeps the year.
    page.get_by_role("link", name="République de Kanzéra (XEE)").click()
    expect(page).to_have_url(re.compile(r"/coverage\?country=XEE&year=2020$"))
    page.wait_for_load_state("networkidle")
    check_accessible(page)
