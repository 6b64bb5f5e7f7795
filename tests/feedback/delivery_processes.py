"""What the delivery tests share: a submission through the public form, its acknowledgement as
stored, and the periodic sweep run by a real worker.

The tests that kill a worker run it as a separate process (`flask worker`), so they use a
database of their own that is committed for real; the others run jobs in this process on the
test's rolled-back transaction."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from feedback.background.queues import get_queue
from feedback.background.workers import run_jobs
from feedback.extensions import db
from feedback.jobs import sweep_notifications
from feedback.models import Category, Notification, Ticket, utcnow

PUBLIC_URL = "http://localhost"


def submit(app: Flask, client: FlaskClient, post_form: Callable[..., TestResponse], **contact: str) -> str:
    """Send the public form as a citizen does; returns the code the confirmation page shows."""
    with app.app_context():
        category = db.session.scalar(select(Category.id).where(Category.code == "MTRT"))
    response = post_form(
        "/submit",
        {
            "kind": "recommendation",
            "category": category,
            "x__MTRT__waste_type": "sinh_hoat",
            "area": "Phường Bắc Nha Trang",
            "title": "Đặt thêm thùng rác ở bãi biển",
            "description": "Đề nghị đặt thêm thùng rác phân loại dọc bãi biển để du khách bỏ rác đúng chỗ.",
            "submitter_type": "citizen",
            "name": "Nguyễn Thị Lan",
            "visibility": "public",
            "consent": "y",
            **contact,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get("/submitted").get_data(as_text=True)
    match = re.search(r'data-testid="tracking-code">([^<]+)<', page)
    assert match, "the confirmation page shows no code"
    return match.group(1)


def acknowledgement(app: Flask, code: str) -> Notification:
    with app.app_context():
        notification = db.session.scalars(
            select(Notification).join(Ticket).where(Ticket.code == code, Notification.kind == "acknowledgement")
        ).one()
        db.session.expunge(notification)
        return notification


def sweep_and_work(app: Flask) -> None:
    """What the periodic `sweep_notifications` does in production, run by a real worker."""
    get_queue("notifications", app).enqueue(sweep_notifications)
    assert run_jobs(app)


def wait_until_due(notification: Notification) -> None:
    delay = (notification.retry_at - utcnow()).total_seconds()
    if delay > 0:
        time.sleep(delay + 0.05)
