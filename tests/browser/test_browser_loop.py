"""The loop in headless Chromium, as a person walks it, at phone and desktop widths, with an
axe-core audit of every page at phone width (pages.py).

Runs against a live server with its own migrated SQLite database and the embedded worker, as
`make run` serves it. Skipped, with the reason, where no Chromium is installed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.pages import BROWSER_ONLY, DESKTOP, PHONE, audit, follow, sign_in, sign_out

pytestmark = BROWSER_ONLY


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_loop_in_a_browser(live_server: str, browser: Any, viewport: dict[str, int]) -> None:
    base = live_server
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()

    page.goto(base)
    audit(page, "home")
    follow(page, page.get_by_role("link", name=re.compile("Gửi phản ánh")).first)
    # Sending the empty form shows the error summary, in Vietnamese.
    follow(page, page.get_by_role("button", name="Gửi", exact=True))
    assert page.locator(".error-summary").is_visible()
    audit(page, "submit-errors")
    page.get_by_label("Phản ánh", exact=True).check()
    page.locator("#category").select_option(label="Giao thông, đường bộ, cầu cống")
    # Only the chosen subject's extra fields are shown.
    assert page.locator("#x__GTDB__road_type").is_visible()
    assert not page.locator("#x__MTRT__waste_type").is_visible()
    page.locator("#x__GTDB__road_type").select_option("do_thi")
    # The place is typed without accents and understood.
    page.locator("#area").fill("nha trang")
    page.locator("#title").fill("Ổ gà lớn trên đường Trần Phú")
    # Each screen size sends its own text: the same text twice in minutes is one ticket.
    page.locator("#description").fill(f"Mặt đường có ổ gà sâu, xe máy đi ban đêm rất dễ ngã ({viewport['width']}).")
    page.locator("#email").fill("an@example.org")
    page.locator("#consent").check()
    follow(page, page.get_by_role("button", name="Gửi", exact=True))
    code = page.get_by_test_id("tracking-code").inner_text()
    link = page.get_by_test_id("tracking-link").inner_text()
    audit(page, "submitted")

    sign_in(page, base, "intake@example.org")
    audit(page, "inbox-intake")
    follow(page, page.get_by_role("link", name=code))
    audit(page, "ticket-intake")
    follow(page, page.get_by_role("button", name=re.compile("^Tiếp nhận")))
    sign_out(page)

    sign_in(page, base, "officer.sxd@example.org")
    follow(page, page.get_by_role("link", name=code))
    page.locator("#answer").fill("Sở Xây dựng đã vá ổ gà trên đường Trần Phú. Cảm ơn ông/bà đã phản ánh.")
    follow(page, page.locator("form[action$='/resolve'] button"))
    audit(page, "ticket-resolved")
    sign_out(page)

    page.goto(link)
    assert "Sở Xây dựng đã vá ổ gà" in page.get_by_test_id("answer").inner_text()
    audit(page, "track-resolved")
    page.get_by_label("Hài lòng", exact=True).check()
    follow(page, page.locator("form button[type=submit]").last)
    assert page.get_by_test_id("rating").is_visible()

    # The embedded worker compiles the statistics in the background; reload until it has.
    sign_in(page, base, "leader@example.org")
    for _ in range(50):
        page.goto(f"{base}/dashboard/")
        if page.locator('[data-testid="league"] [data-key="SXD"]').count():
            break
        page.wait_for_timeout(200)
    construction = page.locator('[data-testid="league"] [data-key="SXD"]')
    assert construction.locator('[data-indicator="satisfaction_rate"]').inner_text().startswith("100")
    audit(page, "dashboard")

    follow(page, page.get_by_role("link", name="English"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Leaders' dashboard").is_visible()
    context.close()
