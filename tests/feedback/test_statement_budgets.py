"""The pages people hit most, each held to a number of SQL statements per view, whatever the
number of tickets, events or attachments: a query per row (N+1) fails here. bench/page_cost.py
reports their CPU per request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.codes import link_token
from feedback.extensions import db
from feedback.models import Category, Department, Ticket, User
from feedback.services.handling.actions import accept_ticket, assign_ticket, post_progress_update
from tests.conftest import CSRF_PATTERN as CSRF
from tests.conftest import id_of
from tests.support.counting import counting

# Statements for one view of each page; measured, then fixed here. A page that needs one more
# for a good reason raises its number in the same change, with the reason in the message.
BUDGETS = {
    # The reference data's stamp; the rest comes from this process's copy.
    "submit form": 1,
    # Stamp, duplicate and code check, ticket, event, notification, statistics change, and the
    # outbox's delivery job (the statistics update is nudged in Redis, with no row).
    "submission": 7,
    "tracking page": 7,
    "public board": 3,
    "staff inbox": 10,
    # With the audit entry of reading a ticket's personal data.
    "ticket page": 18,
}


def statements(app: Flask, view: Callable[[], Any]) -> list[str]:
    with app.app_context():
        connection = db.engines[None]
    with counting(connection) as counts:
        response = view()
    assert response.status_code in (200, 302), response.status_code
    # The tests run each transaction as a savepoint of their own: those statements are not the app's.
    return [sql for sql in counts.statements if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))]


@pytest.fixture
def handled(app: Flask, make_ticket: Callable[..., int]) -> Callable[..., int]:
    """A ticket submitted, accepted into SXD and assigned, with `history` progress updates."""

    def make(title: str, history: int = 0) -> int:
        ticket_id = make_ticket(title=title)
        with app.app_context():
            staff = {u.email: u for u in db.session.scalars(select(User).where(User.email.like("%.sxd@example.org")))}
            intake = db.session.scalars(select(User).where(User.email == "intake@example.org")).one()
            accept_ticket(intake, ticket_id, id_of(app, Department, code="SXD"))
            officer = staff["officer.sxd@example.org"]
            assign_ticket(staff["head.sxd@example.org"], ticket_id, officer.id)
            for number in range(history):
                post_progress_update(officer, ticket_id, f"Đã kiểm tra lần {number + 1}, đang xử lý tiếp.")
        return ticket_id

    return make


def tracking_path(app: Flask, ticket_id: int) -> str:
    """The private link the submitter's messages carry."""
    with app.app_context():
        ticket = db.session.get_one(Ticket, ticket_id)
        return f"/track/{ticket.code}/{link_token(app.config['SECRET_KEY'], ticket.code, ticket.secret_hash)}"


def counted(app: Flask, view: Callable[[], Any]) -> int:
    """Statements of the second view: the first may fill this process's reference cache."""
    view()
    return len(statements(app, view))


def test_the_submission_form_and_a_submission(app: Flask, client: FlaskClient, database: None) -> None:
    form = counted(app, lambda: client.get("/submit"))
    assert form <= BUDGETS["submit form"], form
    page = client.get("/submit").get_data(as_text=True)
    token = CSRF.search(page)
    assert token
    with app.app_context():
        category_id = db.session.scalar(select(Category.id).where(Category.code == "GTDB"))
    sent = statements(
        app,
        lambda: client.post(
            "/submit",
            data={
                "csrf_token": token.group(1), "kind": "feedback", "category": category_id,
                "x__GTDB__road_type": "do_thi", "area": "Phường Nha Trang",
                "title": "Cột đèn nghiêng sắp đổ",
                "description": "Cột đèn trước trường học nghiêng nhiều, rất nguy hiểm.",
                "submitter_type": "citizen", "notify_by": "email", "email": "dan@example.org",
                "visibility": "public", "consent": "y",
            },
        ),
    )
    assert len(sent) <= BUDGETS["submission"], "\n".join(s[:150] for s in sent)


@pytest.mark.parametrize(
    ("page", "who"), [("tracking page", None), ("ticket page", "officer.sxd@example.org")]
)
def test_a_ticket_costs_the_same_however_long_its_history(
    app: Flask, client: FlaskClient, login: Callable[..., Any], handled: Callable[..., int], page: str, who: str | None
) -> None:
    if who:
        login(who)
    short, long = handled("Đèn đường hỏng"), handled("Ổ gà trên đường", history=5)

    paths = [
        tracking_path(app, ticket_id) if page == "tracking page" else f"/staff/tickets/{ticket_id}"
        for ticket_id in (short, long)
    ]
    counts = [counted(app, lambda path=path: client.get(path)) for path in paths]
    assert counts[0] == counts[1] <= BUDGETS[page], counts


@pytest.mark.parametrize(
    ("page", "path", "who"),
    [("public board", "/board/", None), ("staff inbox", "/staff/", "officer.sxd@example.org")],
)
def test_a_list_costs_the_same_however_many_tickets(
    app: Flask, client: FlaskClient, login: Callable[..., Any], handled: Callable[..., int],
    page: str, path: str, who: str | None,
) -> None:
    if who:
        login(who)
    for n in range(2):
        handled(f"Đèn đường hỏng số {n}")
    few = counted(app, lambda: client.get(path))
    for n in range(6):
        handled(f"Ổ gà trên đường số {n}", history=2)
    many = counted(app, lambda: client.get(path))
    assert few == many <= BUDGETS[page], (few, many)
