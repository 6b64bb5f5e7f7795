"""Many citizens at once on the embedded default (`make run`: SQLite, waitress, the embedded
worker: the live server of tests/conftest.py): simultaneous submissions all succeed, and a
failure page says truthfully whether what was sent was saved."""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from feedback.extensions import db
from feedback.models import Category, Notification, Ticket, TicketEvent, TicketStat
from tests.conftest import csrf_token
from tests.support.waiting import wait_for

SIMULTANEOUS = 20
# Every visitor here comes from 127.0.0.1: the submission limit raised, as an operator would for a load test.
LIVE_APP_SETTINGS = {"SUBMIT_RATE_LIMIT": "1000 per minute"}
CATEGORY = re.compile(r'<option value="(\d+)"[^>]*>')


def visit_and_submit(base_url: str, category_id: str, start: threading.Barrier) -> requests.Response:
    """A fresh visitor: open the form, then send it at the same moment as the others."""
    browser = requests.Session()
    form = browser.get(f"{base_url}/submit", timeout=30)
    assert form.status_code == 200
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
    assert token
    reference = uuid.uuid4().hex[:10]
    start.wait(timeout=60)
    return browser.post(
        f"{base_url}/submit",
        data={
            "csrf_token": token.group(1),
            "kind": "feedback",
            "category": category_id,
            "x__GTDB__road_type": "do_thi",
            "area": "Phường Nha Trang",
            "title": f"Đèn đường hỏng, mã {reference}",
            "description": f"Đèn đường trước số nhà {reference} tắt nhiều đêm liền, đề nghị sửa.",
            "submitter_type": "citizen",
            "notify_by": "email",
            "email": f"dan.{reference}@example.org",
            "visibility": "public",
            "consent": "y",
        },
        allow_redirects=False,
        timeout=60,
    )


def test_simultaneous_submissions_all_succeed(live_app: Flask, live_server: str) -> None:
    with live_app.app_context():
        category_id = str(db.session.scalar(select(Category.id).where(Category.code == "GTDB")))
        before = db.session.scalar(select(func.count(Ticket.id))) or 0
    start = threading.Barrier(SIMULTANEOUS)
    with ThreadPoolExecutor(SIMULTANEOUS) as pool:
        responses = list(pool.map(lambda _: visit_and_submit(live_server, category_id, start), range(SIMULTANEOUS)))

    assert [r.status_code for r in responses] == [302] * SIMULTANEOUS, [r.text[:300] for r in responses]
    assert all(r.headers["Location"].endswith("/submitted") for r in responses)
    with live_app.app_context():
        new = db.session.scalars(select(Ticket).where(Ticket.id > before)).all()
        assert len(new) == SIMULTANEOUS
        assert len({ticket.code for ticket in new}) == SIMULTANEOUS
        ids = [ticket.id for ticket in new]
        # Each with everything a submission promises: its event, its acknowledgement, and its
        # place in the statistics, which the embedded worker counts meanwhile.
        assert db.session.scalar(select(func.count()).where(TicketEvent.ticket_id.in_(ids))) == SIMULTANEOUS
        acknowledgements = select(func.count()).where(Notification.ticket_id.in_(ids))
        assert db.session.scalar(acknowledgements) == SIMULTANEOUS

    def counted() -> bool:
        with live_app.app_context():
            return db.session.scalar(select(func.count()).where(TicketStat.ticket_id.in_(ids))) == SIMULTANEOUS

    wait_for(counted, "the statistics to count every new ticket")


def test_a_failed_submission_says_it_was_not_saved(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in production: the error page is shown instead of the exception reaching the test.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    form = client.get("/submit")
    with app.app_context():
        category_id = db.session.scalar(select(Category.id).where(Category.code == "GTDB"))
        before = db.session.scalar(select(func.count(Ticket.id)))
        # The statistics table gone, inside the test's own transaction: the submission fails at its last insert.
        db.session.execute(text("DROP TABLE stat_change"))
        db.session.commit()
    response = client.post(
        "/submit",
        data={
            "csrf_token": csrf_token(form),
            "kind": "feedback",
            "category": category_id,
            "x__GTDB__road_type": "do_thi",
            "area": "Phường Nha Trang",
            "title": "Cống thoát nước bị tắc",
            "description": "Cống trước chợ bị tắc từ tuần trước, nước tràn ra đường khi mưa.",
            "submitter_type": "citizen",
            "notify_by": "none",
            "visibility": "public",
            "consent": "y",
        },
    )
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "chưa được lưu" in page
    assert "đã được lưu" not in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Ticket.id))) == before
