"""Tickets filed through the services and taken as far as asked (accepted, answered, rated), for the
public statistics and its open data, read back without signing in."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from feedback.extensions import db
from feedback.models import Area, Category, Ticket, User, utcnow
from feedback.services.handling.actions import accept_ticket, resolve_ticket
from feedback.services.intake.submissions import Submission, submit_ticket
from feedback.services.submitters.responses import rate_ticket

INTAKE = "intake@example.org"
DESCRIPTION = "Sự việc kéo dài từ hôm qua, đề nghị cơ quan chức năng kiểm tra."


@pytest.fixture
def file_ticket(app: Flask, database: None) -> Callable[..., int]:
    """Submit a ticket through the service and take it as far as asked: accepted, answered,
    rated. Returns its id."""

    def make(
        title: str,
        *,
        category: str = "GTDB",
        at: datetime | None = None,
        accept: bool = True,
        answer: str | None = None,
        late: bool = False,
        rating: str | None = None,
        comment: str = "",
        **details: Any,
    ) -> int:
        at = at or utcnow() - timedelta(hours=6)
        with app.app_context():
            ticket = submit_ticket(
                Submission(
                    kind=details.pop("kind", "feedback"),
                    category_id=db.session.scalar(select(Category.id).where(Category.code == category)),
                    area_id=db.session.scalar(select(Area.id).where(Area.name == "Phường Nha Trang")),
                    title=title,
                    description=details.pop("description", f"{DESCRIPTION} ({title})"),
                    **details,
                ),
                actor=None,
                now=at,
            ).ticket
            if accept:
                accept_ticket(_user(INTAKE), ticket.id, ticket.department_id, now=at + timedelta(minutes=30))
            if answer is not None:
                answered = ticket.resolve_due + timedelta(days=1) if late else at + timedelta(hours=1)
                resolve_ticket(_officer(ticket), ticket.id, answer, now=answered)
            if rating is not None:
                rate_ticket(ticket, rating, comment, now=ticket.resolved_at + timedelta(minutes=5))
            return ticket.id

    return make


def _user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def _officer(ticket: Ticket) -> User:
    return db.session.scalars(
        select(User).where(User.department_id == ticket.department_id, User.role == "department_officer")
    ).first()


def _code(app: Flask, ticket_id: int) -> str:
    with app.app_context():
        return db.session.get(Ticket, ticket_id).code


def _text(response: TestResponse, status: int = 200) -> str:
    assert response.status_code == status, response.status_code
    return response.get_data(as_text=True)


def csv_rows(response: TestResponse) -> list[dict[str, str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
