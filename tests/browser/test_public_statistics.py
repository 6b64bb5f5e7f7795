"""The public statistics page and the open data page in headless Chromium, at phone and desktop
widths and in both languages, with an axe-core audit of each at phone width (pages.py); the
filters are used as a person uses them, without signing in, and a file is downloaded from the
page's link.

Runs against a live server with its own migrated SQLite database and the embedded worker, as
test_browser_loop.py does. Skipped, with the reason, where no Chromium is installed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Area, Category, StatChange, StatState, User, utcnow
from feedback.services.handling.actions import accept_ticket, resolve_ticket
from feedback.services.intake.submissions import Submission, submit_ticket
from feedback.services.submitters.responses import rate_ticket
from tests.browser.pages import BROWSER_ONLY, DESKTOP, PHONE, audit, follow

pytestmark = BROWSER_ONLY

SCREENSHOTS = Path("/tmp/opendata")
TICKETS = [
    # title, subject, days ago, rating (None: not answered)
    ("Ổ gà lớn trên đường Trần Phú, đoạn trước số 120", "GTDB", 50, "satisfied"),
    ("Đèn tín hiệu ở ngã tư Lê Thánh Tôn hỏng", "GTDB", 20, "not_satisfied"),
    ("Rác thải đổ trộm bên bờ sông Cái", "MTRT", 35, "satisfied"),
    ("Khói bụi từ xưởng gỗ ban đêm", "MTRT", 2, None),
    ("Cống thoát nước bị tắc sau mưa", "CTN", 1, None),
]


@pytest.fixture(scope="module")
def tickets(live_app: Flask) -> None:
    """Tickets over three months, handled and rated through the services before the server and
    its worker start: with SQLite, a transaction that reads and then writes fails if the worker
    commits in between."""
    with live_app.app_context():
        intake = db.session.scalars(select(User).where(User.email == "intake@example.org")).one()
        area = db.session.scalar(select(Area.id).where(Area.name == "Phường Nha Trang"))
        for title, subject, days, rating in TICKETS:
            at = utcnow() - timedelta(days=days)
            ticket = submit_ticket(
                Submission(
                    kind="feedback",
                    category_id=db.session.scalar(select(Category.id).where(Category.code == subject)),
                    area_id=area,
                    title=title,
                    description=f"{title}: đề nghị cơ quan chức năng kiểm tra.",
                    name="Nguyễn Thị Mai",
                    email="mai@example.org",
                ),
                actor=None,
                now=at,
            ).ticket
            accept_ticket(intake, ticket.id, ticket.department_id, now=at + timedelta(hours=1))
            if rating:
                officer = db.session.scalars(
                    select(User).where(User.department_id == ticket.department_id, User.role == "department_officer")
                ).first()
                resolve_ticket(officer, ticket.id, "Đã kiểm tra và xử lý xong.", now=at + timedelta(days=1))
                rate_ticket(ticket, rating, "", now=at + timedelta(days=1, hours=2))
        db.session.remove()


@pytest.fixture(scope="module")
def compiled(tickets: None, live_app: Flask, live_server: str) -> Iterator[str]:
    """The live server, once its embedded worker has compiled the statistics of the tickets."""
    with live_app.app_context():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _compiled():
            time.sleep(0.2)
        assert _compiled(), "the embedded worker compiled the statistics"
    yield live_server


def _compiled() -> bool:
    """Every change of every ticket is in the rollups."""
    db.session.remove()
    return db.session.get(StatState, 1) is not None and db.session.scalar(select(StatChange.id)) is None


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_public_statistics_in_a_browser(
    compiled: str, browser: Any, viewport: dict[str, int], language: str
) -> None:
    base = compiled
    context = browser.new_context(viewport=viewport, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    page.goto(f"{base}/language/{language}?next=/")
    follow(page, page.locator(".main-nav a[href='/statistics']"))
    assert page.locator('tr[data-key="SXD"] td[data-indicator="received"]').first.inner_text() == "2"
    # Nothing here needs JavaScript: the filters are a GET form, the charts are drawn on the server.
    assert page.locator("script").count() == 0
    audit(page, f"statistics-{language}")
    page.screenshot(path=str(SCREENSHOTS / f"statistics-{language}-{viewport['width']}.png"), full_page=True)

    # A wrong month is explained beside its field and in the summary, which links to it.
    page.locator("#first").fill("2026-13")
    follow(page, page.locator(".stats-filters button[type=submit]"))
    assert page.locator(".error-summary").is_visible()
    page.locator(".error-summary a").first.click()
    assert page.evaluate("document.activeElement.id") == "first"
    audit(page, f"statistics-errors-{language}")
    page.screenshot(path=str(SCREENSHOTS / f"statistics-errors-{language}-{viewport['width']}.png"), full_page=True)

    # Narrowed to one type with no such submission: the tables say so.
    page.locator("#first").fill("")
    page.locator("#kind").select_option("recommendation")
    follow(page, page.locator(".stats-filters button[type=submit]"))
    assert page.locator('tr[data-key="SXD"]').count() == 0
    assert "kind=recommendation" in (page.get_by_test_id("indicators-csv").get_attribute("href") or "")

    page.goto(f"{base}/statistics")
    with page.expect_download() as download:
        page.get_by_test_id("tickets-csv").click()
    assert download.value.suggested_filename.startswith("published-tickets_")
    assert "Nguyễn Thị Mai" not in Path(download.value.path()).read_text(encoding="utf-8-sig")

    follow(page, page.locator("a[href='/statistics/open-data']"))
    audit(page, f"open-data-{language}")
    page.screenshot(path=str(SCREENSHOTS / f"open-data-{language}-{viewport['width']}.png"), full_page=True)
    context.close()
