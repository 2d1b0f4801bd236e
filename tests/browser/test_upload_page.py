"""The upload page in a real browser, end to end: a file with problems shows its issues with their
cells and is kept as rejected; a file with warnings waits for "Confirm and submit"; a good return
is accepted and its figures appear on the scorecard; the same file again is "already received";
too large a file never leaves the browser; the template downloads with the municipality's code.

These tests change the live server's data: they only add returns for 2025, a year the sample
data (2015-2024) does not have, for Tafourou-les-Falaises (XEE-004) and Port Halloway (XCC-001).
"""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest
from playwright.sync_api import expect

from data_ingest.catalog import load_catalog
from data_ingest.sample import SAMPLE_DIR
from data_ingest.settings import DEFAULT_CATALOG
from data_ingest.template import write_template

pytestmark = pytest.mark.browser

FILE_INPUT = "#upload-file input[type=file]"
RESULT = "#upload-result"
PROBLEMS = SAMPLE_DIR / "returns-with-problems"


def good_return(path, *, code="XEE-004", name="Tafourou-les-Falaises", year=2025) -> int:
    """XEE-004's 2025 return: its template filled with the totals of its 2024 sample return and the
    population 2 % higher (no plausibility warning); returns the population typed."""
    source = openpyxl.load_workbook(SAMPLE_DIR / "returns" / "2025-02-27_XEE-004_2024_fr.xlsx")["Data"]
    totals = {
        r[0]: r[3]
        for r in source.iter_rows(min_row=8, values_only=True)
        if r[0] and not str(r[0]).startswith("#")
    }
    catalog = load_catalog(DEFAULT_CATALOG)
    workbook = write_template(catalog, municipality_code=code, municipality_name=name, year=year, lang="en")
    sheet = workbook["Data"]
    population = round(totals["population_total"] * 1.02)
    for row in sheet.iter_rows(min_row=8):
        field = row[0].value
        if field in totals and totals[field] is not None:
            row[3].value = population if field == "population_total" else totals[field]
    workbook.save(path)
    return population


def test_problem_file_shows_each_issue_at_its_cell(live_server, page, login, check_accessible):
    login(page, "staff")
    page.goto(f"{live_server}/upload")
    page.set_input_files(FILE_INPUT, str(PROBLEMS / "template-text-and-negative-count.xlsx"))
    result = page.locator(RESULT)
    expect(result).to_contain_text("Not accepted: 2 errors to correct")
    expect(result).to_contain_text("Nothing was stored")
    rows = page.locator("#upload-issues tbody tr")
    texts = rows.all_inner_texts()
    errors = [t for t in texts if "Error" in t]
    assert any("D10" in t and "not a number" in t for t in errors), texts
    assert any("D14" in t and "cannot be negative" in t for t in errors), texts
    expect(page.locator("#upload-confirm-box")).to_be_hidden()
    # The file is kept as a rejected submission; its stored report says the same.
    page.get_by_role("link", name=re.compile(r"Validation report of submission \d+")).click()
    expect(page).to_have_url(re.compile(r"/coverage/submission/\d+$"))
    expect(page.locator("#submission-status")).to_contain_text("Rejected")
    expect(page.locator("#submission-issues")).to_contain_text("D14")
    page.go_back()
    page.set_input_files(FILE_INPUT, str(PROBLEMS / "template-text-and-negative-count.xlsx"))
    expect(page.locator(RESULT)).to_contain_text("Already received")
    check_accessible(page)


def test_warnings_wait_for_confirmation(live_server, page, login):
    login(page, "staff")
    page.goto(f"{live_server}/upload")
    page.set_input_files(FILE_INPUT, str(PROBLEMS / "warnings-only-large-change.xlsx"))
    result = page.locator(RESULT)
    expect(result).to_contain_text("Please check 1 warning")
    expect(result).to_contain_text("Nothing is stored until you confirm")
    expect(page.locator("#upload-issues")).to_contain_text("Warning")
    confirm = page.get_by_role("button", name="Confirm and submit")
    expect(confirm).to_be_visible()
    confirm.click()
    expect(result).to_contain_text("Accepted")
    expect(result).to_contain_text("1 warning confirmed")
    expect(page.get_by_role("link", name="See the updated scorecard of Port Halloway")).to_have_attribute(
        "href", "/scorecard?municipality=XCC-001"
    )
    expect(page.locator("#upload-confirm-box")).to_be_hidden()


def test_anonymous_visitors_are_asked_to_log_in(live_server, page):
    page.goto(f"{live_server}/upload?municipality=XEE-004")
    expect(page.locator("#main-content")).to_contain_text("Uploading a return needs an account")
    expect(page.locator(FILE_INPUT)).to_have_count(0)
    page.locator("#main-content").get_by_role("link", name="Log in").click()
    page.fill("input[name=username]", "tafourou")
    page.fill("input[name=password]", "browser test password")
    page.click("button[type=submit]")
    # Back on the upload page, with the municipality asked for.
    expect(page).to_have_url(f"{live_server}/upload?municipality=XEE-004")
    expect(page.locator("#upload-template-municipality")).to_have_value("XEE-004")


def test_local_user_uploads_own_return_and_it_shows_on_the_scorecard(live_server, page, login, tmp_path):
    login(page, "tafourou")  # a local user of Tafourou-les-Falaises (XEE-004)
    path = tmp_path / "tafourou-2025.xlsx"
    population = good_return(path)
    page.goto(f"{live_server}/upload")
    # Their own municipality is the only choice, filled in already.
    expect(page.locator("#upload-template-municipality")).to_have_value("XEE-004")
    expect(page.locator("datalist option")).to_have_count(1)
    page.set_input_files(FILE_INPUT, str(path))
    result = page.locator(RESULT)
    expect(result.locator("h3")).to_have_text(re.compile("Accepted$"))
    expect(result).to_contain_text("Your 2025 return for Tafourou-les-Falaises (XEE-004) was stored")
    page.get_by_role("link", name="See the updated scorecard of Tafourou-les-Falaises").click()
    expect(page).to_have_url(f"{live_server}/scorecard?municipality=XEE-004")
    # CTX-01 (resident population) is the population typed, shown with thousands separators.
    expect(page.locator("#main-content")).to_contain_text(f"{population:,}")
    expect(page.locator("#main-content")).to_contain_text("(2025)")
    # The coverage page shows the new return too.
    page.goto(f"{live_server}/coverage?country=XEE&year=2025")
    row = page.locator("#coverage-matrix-table tbody tr", has_text="XEE-004")
    expect(row.locator("td").last).not_to_contain_text("Missing")
    # The same file again: recognised, nothing stored twice.
    page.goto(f"{live_server}/upload")
    page.set_input_files(FILE_INPUT, str(path))
    expect(page.locator(RESULT)).to_contain_text("This exact file was already received on")
    # Another municipality's return is refused, and nothing of it is stored.
    other = tmp_path / "ndiamar-2025.xlsx"
    good_return(other, code="XEE-003", name="Ndiamar")
    page.set_input_files(FILE_INPUT, str(other))
    expect(page.locator(RESULT)).to_contain_text("You may not submit figures for Ndiamar (XEE-003)")
    page.goto(f"{live_server}/coverage?country=XEE&year=2025")
    row = page.locator("#coverage-matrix-table tbody tr", has_text="XEE-003")
    expect(row.locator("td").last).to_contain_text("Missing")


def test_too_large_file_never_leaves_the_browser(live_server, page, login, tmp_path):
    login(page, "staff")
    page.goto(f"{live_server}/upload")
    big = tmp_path / "huge.xlsx"
    big.write_bytes(b"\0" * (21 * 1024 * 1024))  # above the default 20 MB limit
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "_dash-update-component" in r.url else None)
    expect(page.locator("#upload-file")).to_be_visible()
    page.wait_for_load_state("networkidle")
    requests.clear()
    page.set_input_files(FILE_INPUT, str(big))
    message = page.locator("#upload-client-message")
    expect(message).to_contain_text("This file is 21 MB: the largest file accepted is")
    expect(message).to_contain_text("Nothing was uploaded")
    expect(page.locator(RESULT)).to_be_empty()
    page.wait_for_timeout(300)
    assert requests == []


def test_template_downloads_with_the_municipality_code(live_server, page, login, check_accessible):
    login(page, "staff")
    page.goto(f"{live_server}/upload?municipality=XEE-003&year=2023")
    expect(page.get_by_label("Municipality")).to_have_value("XEE-003")
    expect(page.get_by_label("Reporting year")).to_have_value("2023")
    page.get_by_label("Municipality").fill("")
    page.get_by_label("Municipality").press("Tab")
    page.get_by_role("button", name="English (.xlsx)").click()
    expect(page.locator("#upload-template-status")).to_contain_text("Choose your municipality first")
    page.get_by_label("Municipality").fill("Ndiamar")
    page.get_by_label("Reporting year").fill("2025")
    with page.expect_download() as download:
        page.get_by_role("button", name="Français (.xlsx)").click()
    assert download.value.suggested_filename == "migdash-return-XEE-003-2025-fr.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    assert workbook.sheetnames == ["Mode d'emploi", "Data"]
    assert workbook["Data"]["C3"].value == "XEE-003"
    assert workbook["Data"]["C4"].value == 2025
    expect(page.locator("#upload-template-status")).to_contain_text("Template of Ndiamar (XEE-003) for 2025")
    # The choice is in the address bar: the link opens the same choice.
    query = parse_qs(urlparse(page.url).query)
    assert (query["municipality"], query["year"]) == (["Ndiamar"], ["2025"])
    page.reload()
    expect(page.get_by_label("Municipality")).to_have_value("Ndiamar")
    expect(page.get_by_label("Reporting year")).to_have_value("2025")
    check_accessible(page)
