"""The loop in headless Chromium, as a person walks it, with an axe-core audit of every page.

Runs against a live server with its own migrated SQLite database and the embedded worker, as
`make run` serves it. Skipped, with the reason, where no Chromium is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app import create_app
from feedback.background.embedded import EmbeddedWorker
from feedback.demo import DEMO_PASSWORD, seed_demo
from feedback.extensions import db

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason="no Chromium here: install Debian's `chromium` to run the browser tests",
    ),
]
SCREENSHOTS = Path(__file__).parents[2] / "test-artifacts" / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = create_app(
        {
            "SECRET_KEY": "browser-test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.sqlite3'}",
            "REDIS_URL": None,
            "EMBEDDED_WORKER_INTERVAL": 0.2,
        }
    )
    with app.app_context():
        upgrade(directory=str(Path(__file__).parents[2] / "migrations"))
        seed_demo()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    worker = EmbeddedWorker(app)
    worker.start()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    worker.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


def audit(page: Any, name: str) -> None:
    """Fail on any WCAG 2.2 AA violation axe-core finds; keep a screenshot to look at."""
    from axe_playwright_python.sync_playwright import Axe

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert results.violations_count == 0, results.generate_report()


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile("Mật khẩu|Password")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile("^(Đăng nhập|Sign in)$")).click()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name=re.compile("Đăng xuất|Sign out")).click()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_loop_in_a_browser(live_server: str, browser: Any, viewport: dict[str, int]) -> None:
    base = live_server
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()

    page.goto(base)
    audit(page, "home")
    page.get_by_role("link", name=re.compile("Gửi phản ánh")).first.click()
    # Sending the empty form shows the error summary, in Vietnamese.
    page.get_by_role("button", name="Gửi", exact=True).click()
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
    page.get_by_role("button", name="Gửi", exact=True).click()
    code = page.get_by_test_id("tracking-code").inner_text()
    link = page.get_by_test_id("tracking-link").inner_text()
    audit(page, "submitted")

    sign_in(page, base, "intake@example.org")
    audit(page, "inbox-intake")
    page.get_by_role("link", name=code).click()
    audit(page, "ticket-intake")
    page.get_by_role("button", name=re.compile("^Tiếp nhận")).click()
    sign_out(page)

    sign_in(page, base, "officer.sxd@example.org")
    page.get_by_role("link", name=code).click()
    page.locator("#answer").fill("Sở Xây dựng đã vá ổ gà trên đường Trần Phú. Cảm ơn ông/bà đã phản ánh.")
    page.locator("form[action$='/resolve'] button").click()
    audit(page, "ticket-resolved")
    sign_out(page)

    page.goto(link)
    assert "Sở Xây dựng đã vá ổ gà" in page.get_by_test_id("answer").inner_text()
    audit(page, "track-resolved")
    page.get_by_label("Hài lòng", exact=True).check()
    page.locator("form button[type=submit]").last.click()
    assert page.get_by_test_id("rating").is_visible()

    # The embedded worker compiles the statistics in the background; reload until it has.
    sign_in(page, base, "leader@example.org")
    for _ in range(50):
        page.goto(f"{base}/dashboard/")
        if page.locator('[data-department="SXD"]').count():
            break
        page.wait_for_timeout(200)
    assert page.locator('[data-department="SXD"] [data-testid="satisfaction"]').inner_text().startswith("100")
    audit(page, "dashboard")

    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Satisfaction and on-time rates").is_visible()
    context.close()
