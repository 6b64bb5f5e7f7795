"""The pages about messages in headless Chromium, at phone and desktop widths and in both
languages, with an axe-core audit of each at phone width (pages.py): the development mailbox,
one kept message, and the administrators' jobs page with a failed job and a failed message on it.

Runs against a live server with its own migrated SQLite database and the embedded worker, as
test_browser_loop.py does. Skipped, with the reason, where no Chromium is installed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from feedback.background.queues import get_queue, on_queue
from feedback.extensions import db
from feedback.models import Area, Category, MailboxMessage, Notification
from feedback.services.intake.submissions import Submission, submit_ticket
from tests.browser.pages import BROWSER_ONLY, DESKTOP, PHONE, audit, follow, sign_in, sign_out

pytestmark = BROWSER_ONLY


@on_queue("statistics")
def fail_loudly(ticket_code: str) -> None:
    raise RuntimeError(f"the statistics of {ticket_code} could not be compiled: the database went away")


@pytest.fixture(scope="module")
def messages(live_app: Flask, live_server: str) -> Iterator[int]:
    """A receipt kept in the mailbox, a follow-up refused by the mail server, and a job that
    raised; yields the refused message's id."""
    with live_app.app_context():
        receipt = submit_ticket(
            Submission(
                kind="feedback",
                category_id=db.session.scalar(select(Category.id).where(Category.code == "GTDB")),
                area_id=db.session.scalar(select(Area.id).where(Area.name == "Phường Nha Trang")),
                title="Ổ gà lớn trên đường Trần Phú, đoạn trước số 120",
                description="Mặt đường có ổ gà sâu, xe máy đi ban đêm rất dễ ngã.",
                name="Nguyễn Thị Mai",
                email="nguyen.thi.mai.phuong.nha.trang@example.org",
                notify_by="email",
                language="vi",
            ),
            actor=None,
        )
        ticket_id, ticket_code = receipt.ticket.id, receipt.ticket.code
        # The worker is sending the receipt meanwhile: with SQLite, a transaction that reads and
        # then writes fails at once if the worker commits in between; one that only writes waits.
        db.session.commit()
        refused = Notification(
            key=f"browser-refused-{ticket_id}", kind="info_requested", channel="email",
            recipient="nguyen.thi.mai.phuong.nha.trang@example.org", ticket_id=ticket_id,
            status="failed", attempts=7,
            last_error="Gave up after 7 attempts: 451 4.7.1 <nguyen.thi.mai.phuong.nha.trang@example.org>: "
                       "temporarily deferred, try again later",
        )
        db.session.add(refused)
        db.session.commit()
        refused_id = refused.id
        failing = get_queue("statistics", live_app).enqueue(fail_loudly, ticket_code)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (
            db.session.scalar(select(MailboxMessage.id)) and failing.get_status(refresh=True) == "failed"
        ):
            db.session.remove()
            time.sleep(0.2)
        assert failing.get_status(refresh=True) == "failed"
        assert db.session.scalar(select(MailboxMessage.id)), "the worker kept the receipt"
    yield refused_id


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_message_pages_in_a_browser(
    live_server: str, browser: Any, messages: int, viewport: dict[str, int], language: str
) -> None:
    base = live_server
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{base}/language/{language}?next=/")
    follow(page, page.locator("footer a[href='/dev/mailbox/']"))
    assert page.locator(".notice-mailbox").is_visible()
    assert page.get_by_test_id("kept-message").count() == 1
    audit(page, f"mailbox-{language}")

    follow(page, page.get_by_test_id("kept-message").get_by_role("link"))
    link = page.get_by_test_id("message-body").locator("a")
    assert "/track/" in (link.get_attribute("href") or "")
    audit(page, f"mailbox-message-{language}")

    sign_in(page, base, "admin@example.org")
    page.goto(f"{base}/admin/")
    follow(page, page.locator("a[href='/admin/jobs/']"))
    assert page.locator(f'tr[data-notification="{messages}"]').is_visible()
    assert page.get_by_test_id("failed-jobs").locator("tbody").count() == 1
    page.get_by_test_id("failed-jobs").locator("summary").click()
    audit(page, f"jobs-{language}")
    sign_out(page)
    context.close()
