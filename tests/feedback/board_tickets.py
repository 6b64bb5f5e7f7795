"""Tickets for the public board, filed through the services and accepted as intake does, and
reading them and the board's pages back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from feedback.extensions import db
from feedback.models import Area, Category, Ticket, User
from feedback.services.handling.actions import accept_ticket, resolve_ticket
from feedback.services.intake.submissions import Submission, submit_ticket

INTAKE = "intake@example.org"
DESCRIPTION = "Sự việc kéo dài từ hôm qua, đề nghị cơ quan chức năng kiểm tra."


@pytest.fixture
def file_ticket(app: Flask, database: None) -> Callable[..., str]:
    """Submit a ticket through the service and, unless `accept=False`, accept it as intake
    does; returns its code."""

    def make(
        title: str,
        *,
        accept: bool = True,
        category: str = "GTDB",
        area: str = "Phường Nha Trang",
        description: str = DESCRIPTION,
        kind: str = "feedback",
        submitted_at: datetime | None = None,
        **details: Any,
    ) -> str:
        with app.app_context():
            receipt = submit_ticket(
                Submission(
                    kind=kind,
                    category_id=_id(Category, Category.code == category),
                    area_id=_id(Area, Area.name == area),
                    title=title,
                    description=description,
                    **details,
                ),
                actor=None,
                now=submitted_at,
            )
            if accept:
                accept_ticket(_intake(), receipt.ticket.id, receipt.ticket.department_id)
            return receipt.ticket.code

    return make


def _id(model: Any, condition: Any) -> int:
    found = db.session.scalar(select(model.id).where(condition))
    assert found is not None
    return int(found)


def _intake() -> User:
    return db.session.scalars(select(User).where(User.email == INTAKE)).one()


def _ticket(code: str) -> Ticket:
    return db.session.scalars(select(Ticket).where(Ticket.code == code)).one()


def _text(response: TestResponse) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def answer_ticket(app: Flask, code: str, answer: str) -> None:
    """Resolve as an officer of the department handling it."""
    with app.app_context():
        ticket = _ticket(code)
        officer = db.session.scalars(
            select(User).where(User.department_id == ticket.department_id, User.role == "department_officer")
        ).first()
        assert officer is not None
        resolve_ticket(officer, ticket.id, answer)
