"""The administrators' page of the Open311 API clients in headless Chromium, at phone and desktop
widths and in both languages, with an axe-core audit of each step at phone width (pages.py): the
form's errors, a client added and its key shown once, and the key revoked.

Runs against a live server with its own migrated SQLite database, as test_browser_loop.py does.
Skipped, with the reason, where no Chromium is installed.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.pages import BROWSER_ONLY, DESKTOP, PHONE, audit, follow, sign_in, sign_out

pytestmark = BROWSER_ONLY


def fits_the_screen(page: Any) -> bool:
    """Nothing pushes the page sideways: wide tables scroll inside their own region."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_api_clients_in_a_browser(live_server: str, browser: Any, viewport: dict[str, int], language: str) -> None:
    base = live_server
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{base}/language/{language}?next=/")
    sign_in(page, base, "admin@example.org")
    page.goto(f"{base}/admin/")
    follow(page, page.locator("a[href='/admin/api-clients']"))
    assert page.locator("#name").is_visible()
    audit(page, f"api-clients-{language}")

    page.locator("#hourly_limit").fill("0")
    follow(page, page.locator(".admin-form button[type=submit]"))
    assert page.locator(".error-summary").is_visible()
    assert page.locator("#name-error").is_visible() and page.locator("#hourly_limit-error").is_visible()
    audit(page, f"api-clients-errors-{language}")

    # The module's server keeps every run's clients: each run names its own.
    name = f"Tổng đài 1022 Khánh Hòa ({viewport['width']}, {language})"
    page.locator("#name").fill(name)
    page.locator("#contact_email").fill("to.cong.nghe.thong.tin.tong.dai.1022@khanhhoa.example.org")
    page.locator("#hourly_limit").fill("120")
    follow(page, page.locator(".admin-form button[type=submit]"))
    key = page.get_by_test_id("api-key").inner_text()
    assert key.startswith("pakn_") and len(key) == 37
    assert fits_the_screen(page), "the key wraps rather than pushing the page sideways"
    audit(page, f"api-client-key-{language}")

    follow(page, page.locator("main a.button[href^='/admin/api-clients']"))
    row = page.locator("tr", has_text=name)
    assert key[:12] in row.inner_text()
    assert key not in page.content(), "the key is shown once only"
    assert fits_the_screen(page)
    row.locator("details.api-revoke summary").click()
    assert row.locator("details.api-revoke button").is_visible()
    audit(page, f"api-clients-revoke-{language}")

    follow(page, row.locator("details.api-revoke button"))
    assert page.locator(".notice-success").is_visible()
    row = page.locator("tr", has_text=name)
    assert row.locator(".tag").is_visible() and row.locator("details.api-revoke").count() == 0
    audit(page, f"api-clients-revoked-{language}")
    sign_out(page)
    context.close()
