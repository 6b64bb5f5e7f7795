"""The administrators' pages in headless Chromium, at phone and desktop widths, with an axe-core
audit of each at phone width (pages.py): a day off added to the calendar, a subject's policy
edited, a "try it" result.

Runs against a live server with its own migrated SQLite database, as test_browser_loop.py does.
Skipped, with the reason, where no Chromium is installed.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.pages import BROWSER_ONLY, DESKTOP, PHONE, audit, follow, sign_in

pytestmark = BROWSER_ONLY
# Each screen size adds its own day, away from the week tried below: the server's database
# lives for the whole module.
DAY_OFF = {390: ("2026-10-06", "06/10/2026"), 1280: ("2026-10-07", "07/10/2026")}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_administration_in_a_browser(live_server: str, browser: Any, viewport: dict[str, int]) -> None:
    base = live_server
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    sign_in(page, base, "admin@example.org")
    # The Vietnamese catalogue of these pages comes later: English gives stable labels meanwhile.
    page.goto(f"{base}/language/en?next=/admin/")
    audit(page, "admin-index")

    follow(page, page.get_by_role("link", name="Working calendar"))
    audit(page, "calendar")
    follow(page, page.get_by_role("button", name="Add the exception"))
    assert page.locator(".error-summary").is_visible()
    audit(page, "calendar-errors")
    day, shown = DAY_OFF[viewport["width"]]
    page.locator("#day").fill(day)
    page.get_by_label("Extra day off").check()
    page.get_by_label("Note").fill("Nghỉ bù theo quyết định của UBND tỉnh")
    follow(page, page.get_by_role("button", name="Add the exception"))
    row = page.locator(f'tr[data-day="{day}"]')
    assert shown in row.inner_text() and "Extra day off" in row.inner_text()
    assert page.locator(".notice-success").is_visible()
    audit(page, "calendar-added")

    follow(page, page.get_by_role("link", name="Administration").first)
    follow(page, page.get_by_role("link", name="Deadline policies"))
    audit(page, "policies")
    follow(page, page.get_by_role("link", name="Traffic, roads and bridges"))
    page.locator("#classify_days").fill("0")
    follow(page, page.get_by_role("button", name="Save the policy"))
    assert page.locator("#classify_days-error").is_visible()
    audit(page, "policy-errors")
    page.locator("#classify_days").fill("5")
    follow(page, page.get_by_role("button", name="Save the policy"))
    row = page.locator('tr[data-category="GTDB"]')
    assert "Own policy" in row.inner_text()
    audit(page, "policies-saved")
    follow(page, row.get_by_role("link"))
    assert page.get_by_role("button", name="Use the default policy").is_visible()
    audit(page, "policy-own")

    page.goto(f"{base}/admin/rules")
    audit(page, "rules")
    follow(page, page.get_by_role("link", name="Add a rule"))
    audit(page, "rule-new")

    page.goto(f"{base}/admin/try")
    audit(page, "try")
    page.locator("#category").select_option(label="Water supply, drainage and flooding")
    page.locator("#area").select_option(label="Phường Nha Trang")
    page.locator("#text").fill("Ngập nước sau mưa lớn ở đường Trần Phú")
    page.locator("#submitted_at").fill("2026-03-09T10:00")
    follow(page, page.get_by_role("button", name="Show the result"))
    assert page.get_by_test_id("classify-due").inner_text().startswith("11/03/2026 23:59")
    assert "Rule" in page.get_by_test_id("routing-reason").inner_text()
    assert page.get_by_test_id("ladder").locator("tbody tr").count() == 4
    audit(page, "try-result")
    context.close()
