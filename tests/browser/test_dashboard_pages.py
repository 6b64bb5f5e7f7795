"""The leaders' dashboard in headless Chromium, at phone and desktop widths and in both
languages, with an axe-core audit of each page at phone width (pages.py): the overview with its
charts and their tables open, each level of the drill-down, the ticket list and the printable
report.

Runs against a live server with its own migrated SQLite database and the embedded worker,
with the demo's sample tickets and their statistics. Skipped, with the reason, where
no Chromium is installed.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask

from feedback.background.queues import all_queues
from feedback.demo import seed_sample_tickets
from feedback.extensions import db
from feedback.models import utcnow
from feedback.services.statistics import rollups
from tests.browser.pages import BROWSER_ONLY, DESKTOP, PHONE, audit, follow, sign_in

pytestmark = BROWSER_ONLY


@pytest.fixture(scope="module")
def seeded(live_app: Flask) -> None:
    """The demo's sample tickets and their statistics, compiled in full before the server and
    its worker start (SQLite takes one writer at a time)."""
    with live_app.app_context():
        seed_sample_tickets(utcnow())
        rollups.rebuild()
        db.session.remove()


@pytest.fixture(scope="module")
def base(live_app: Flask, seeded: None, live_server: str) -> str:
    """The server, once its worker has done the jobs the seeding queued (its messages): a
    sign-in must not wait on SQLite's one writer meanwhile."""
    deadline = time.monotonic() + 60
    while any(queue.count or queue.started_job_registry.count for queue in all_queues(live_app)):
        assert time.monotonic() < deadline, "the worker did not finish the queued jobs"
        time.sleep(0.2)
    return live_server


def _received(page: Any) -> list[int]:
    cells = page.locator('[data-testid="league"] tbody td[data-indicator="received"]')
    return [int(n) for n in cells.all_inner_texts()]


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_dashboard_pages_in_a_browser(base: str, browser: Any, viewport: dict[str, int], language: str) -> None:
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{base}/language/{language}?next=/")
    sign_in(page, base, "leader@example.org")
    page.goto(f"{base}/dashboard/")
    assert page.get_by_test_id("freshness").is_visible()
    assert len(_received(page)) >= 5
    for chart in page.locator("figure.chart").all():
        chart.locator("summary").click()
        assert chart.locator("table tbody tr").count() in (12, 13)
    assert page.locator("svg[role=img]").count() == 4
    # No page scrolls sideways: wide tables scroll inside their own region.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    audit(page, f"dashboard-{language}")

    # Sorted by received, largest first; its heading reverses the order.
    assert _received(page) == sorted(_received(page), reverse=True)
    follow(page, page.locator('[data-testid="league"] thead a[href*="sort=received"]'))
    assert _received(page) == sorted(_received(page))
    assert page.locator('[data-testid="league"] th[aria-sort=ascending]').count() == 1
    page.goto(f"{base}/dashboard/")

    follow(page, page.locator('[data-testid="league"] tbody tr th a').first)
    assert page.locator("nav.breadcrumbs [aria-current=page]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    audit(page, f"dashboard-department-{language}")

    follow(page, page.locator('[data-testid="league"] tbody tr th a').first)
    assert page.locator("nav.breadcrumbs li").count() == 3
    audit(page, f"dashboard-subject-{language}")

    follow(page, page.locator('[data-testid="league"] tbody tr th a').first)
    assert page.get_by_test_id("tickets").locator("tbody tr").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    audit(page, f"dashboard-tickets-{language}")

    page.goto(f"{base}/dashboard/")
    follow(page, page.locator("a[href^='/dashboard/report']"))
    # The Print button shows only where a script can make it work.
    page.locator("[data-print]").wait_for(state="visible", timeout=5000)
    assert page.locator("svg[role=img]").count() == 4
    audit(page, f"dashboard-report-{language}")
    page.emulate_media(media="print")
    assert not page.locator("header.site-header").is_visible()
    assert not page.locator("[data-print]").is_visible()
    context.close()
