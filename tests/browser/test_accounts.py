"""Logging in and out in a real browser; the administrator's audit log; a viewer reads but
cannot upload. (What is refused to crafted requests is tested at the HTTP level in
tests/test_security.py.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_login_page_is_accessible_and_a_wrong_password_is_answered_generically(
    live_server, page, check_accessible
):
    page.goto(f"{live_server}/login")
    check_accessible(page)
    page.fill("input[name=username]", "reader")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server}/login")
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    expect(page.locator("input[name=username]")).to_have_value("reader")


def test_a_viewer_reads_the_dashboard_but_cannot_upload(live_server, page, login):
    login(page, "reader")
    expect(page.locator("#account")).to_contain_text("reader (viewer)")
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    page.goto(f"{live_server}/upload")
    expect(page.locator("#main-content")).to_contain_text("may read the dashboard but not upload")
    page.locator("#account").get_by_role("button", name="Log out").click()
    expect(page.locator("#account").get_by_role("link", name="Log in")).to_be_visible()


def test_the_administrator_reads_the_audit_log(live_server, page, login, check_accessible):
    login(page, "chief")
    page.get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(f"{live_server}/admin/audit")
    table = page.locator("#audit-table")
    # The accounts were created with the command line, and this login is logged with its address.
    expect(table).to_contain_text("user-added")
    first = table.locator("tbody tr").first
    expect(first).to_contain_text("chief")
    expect(first).to_contain_text("login")
    expect(first).to_contain_text("127.0.0.1")
    check_accessible(page)
    page.locator("#audit-action").get_by_role("link", name="user-added", exact=True).click()
    expect(page).to_have_url(f"{live_server}/admin/audit?action=user-added")
    expect(table.locator("tbody tr")).to_have_count(4)
