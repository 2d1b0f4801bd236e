"""The catalogue in a real browser: every indicator listed, search narrows the list and keeps the
view in the URL, each indicator has its own page, nothing is loaded from the internet."""

import re

import pytest
from playwright.sync_api import expect

from data_ingest.catalog import load_catalog
from data_ingest.settings import DEFAULT_CATALOG

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(DEFAULT_CATALOG)


def test_catalogue_lists_every_indicator(live_server, page, catalog):
    page.goto(f"{live_server}/catalogue")
    cards = page.locator(".indicator-card")
    expect(cards).to_have_count(len(catalog.indicators))
    expect(page.locator("#catalogue-count")).to_have_text(f"All {len(catalog.indicators)} indicators")
    # Spot-check one card against the catalogue itself.
    ind = catalog.indicators["WORK-02"]
    card = page.locator("#indicator-WORK-02")
    expect(card).to_contain_text(ind.name.en)
    for sdg in ind.sdg_targets:
        expect(card).to_contain_text(f"SDG {sdg}")


def test_search_narrows_the_list_and_opens_the_indicator_url(live_server, page, catalog):
    page.goto(f"{live_server}/catalogue")
    remittance = [i for i in catalog.indicators.values() if "10.c.1" in i.sdg_targets]
    assert remittance, "the catalogue should cover SDG 10.c.1 (remittance costs)"
    page.get_by_label("Search").fill("10.c.1")
    page.get_by_label("Search").press("Enter")
    cards = page.locator(".indicator-card")
    expect(cards).to_have_count(len(remittance))
    expect(page).to_have_url(re.compile(r"/catalogue\?q=10\.c\.1$"))
    target = remittance[0]
    page.get_by_role("link", name=target.name.en, exact=True).click()
    expect(page).to_have_url(f"{live_server}/catalogue/{target.code}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(target.name.en)
    expect(page.locator("#indicator-formula")).not_to_be_empty()


def test_indicator_url_opens_directly_and_in_other_languages(live_server, page, catalog):
    ind = (
        catalog.indicators["EDU-01"]
        if "EDU-01" in catalog.indicators
        else next(iter(catalog.indicators.values()))
    )
    page.goto(f"{live_server}/catalogue/{ind.code}?lang=fr")
    expect(page.get_by_role("heading", level=1)).to_contain_text(ind.name.fr)
    page.goto(f"{live_server}/catalogue/NOPE-99")
    expect(page.get_by_role("heading", level=1)).to_have_text("Indicator not found")


def test_search_view_is_restored_from_the_url(live_server, page, catalog):
    page.goto(f"{live_server}/catalogue?area=digital&kind=scored")
    expected = [i for i in catalog.indicators.values() if i.area == "digital" and i.scored]
    expect(page.locator(".indicator-card")).to_have_count(len(expected))


def test_no_request_leaves_the_server(live_server, page):
    outside = []
    page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(live_server) else None)
    page.goto(f"{live_server}/catalogue")
    expect(page.locator(".indicator-card").first).to_be_visible()
    page.goto(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert outside == []


def test_catalogue_pages_are_accessible(live_server, page, check_accessible):
    for path in ("/catalogue", "/catalogue/WORK-02", "/methodology"):
        page.goto(f"{live_server}{path}")
        expect(page.locator("h1")).to_be_visible()
        page.wait_for_load_state("networkidle")
        check_accessible(page)
