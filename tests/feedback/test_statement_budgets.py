"""The pages people hit most, each held to a number of SQL statements per view, whatever the
number of tickets, events or attachments: a query per row (N+1) fails here. bench/page_cost.py
reports their CPU per request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Area, Category, Department, User
from feedback.services.handling.actions import accept_ticket, assign_ticket, post_progress_update
from feedback.services.intake.submissions import Submission, submit_ticket
from tests.conftest import CSRF_PATTERN as CSRF
from tests.support.counting import counting

# Statements for one view of each page; measured, then fixed here. A page that needs one more
# for a good reason raises its number in the same change, with the reason in the message.
BUDGETS = {
    # The reference data's stamp; the rest comes from this process's copy.
    "submit form": 1,
    # Stamp, duplicate and code check, ticket, event, notification, statistics change, and the
    # outbox's two jobs (one INSERT on PostgreSQL, two on SQLite).
    "submission": 8,
    "tracking page": 7,
    "public board": 4,
    "staff inbox": 15,
    # With the audit entry of reading a ticket's personal data.
    "ticket page": 22,
}


def statements(app: Flask, view: Callable[[], Any]) -> list[str]:
    with app.app_context():
        connection = db.engines[None]
    with counting(connection) as counts:
        response = view()
    assert response.status_code in (200, 302), response.status_code
    # The tests run each transaction as a savepoint of their own: those statements are not the app's.
    return [sql for sql in counts.statements if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))]


def file(app: Flask, title: str, *, history: int = 0) -> tuple[int, str, str]:
    """A published ticket, accepted and assigned, with `history` progress updates; its id, code
    and secret."""
    with app.app_context():
        receipt = submit_ticket(
            Submission(
                kind="feedback",
                category_id=db.session.scalar(select(Category.id).where(Category.code == "GTDB")),
                area_id=db.session.scalar(select(Area.id).where(Area.name == "Phường Nha Trang")),
                title=title,
                description=f"{title}: kéo dài nhiều ngày, đề nghị cơ quan chức năng kiểm tra.",
                notify_by="email",
                email="dan@example.org",
            ),
            actor=None,
        )
        intake = db.session.scalars(select(User).where(User.email == "intake@example.org")).one()
        sxd = db.session.scalars(select(Department).where(Department.code == "SXD")).one()
        accept_ticket(intake, receipt.ticket.id, sxd.id)
        head = db.session.scalars(select(User).where(User.email == "head.sxd@example.org")).one()
        officer = db.session.scalars(select(User).where(User.email == "officer.sxd@example.org")).one()
        assign_ticket(head, receipt.ticket.id, officer.id)
        for number in range(history):
            post_progress_update(officer, receipt.ticket.id, f"Đã kiểm tra lần {number + 1}, đang xử lý tiếp.")
        return receipt.ticket.id, receipt.code, receipt.secret


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


def test_the_tracking_page_costs_the_same_however_long_the_history(
    app: Flask, client: FlaskClient, database: None
) -> None:
    _, short_code, short_secret = file(app, "Đèn đường hỏng")
    _, long_code, long_secret = file(app, "Ổ gà trên đường", history=5)
    short = counted(app, lambda: client.get(f"/track/{short_code}/{short_secret}"))
    long = counted(app, lambda: client.get(f"/track/{long_code}/{long_secret}"))
    assert short == long <= BUDGETS["tracking page"], (short, long)


def test_the_public_board_costs_the_same_however_many_tickets(app: Flask, client: FlaskClient, database: None) -> None:
    for n in range(2):
        file(app, f"Đèn đường hỏng số {n}")
    few = counted(app, lambda: client.get("/board/"))
    for n in range(6):
        file(app, f"Ổ gà trên đường số {n}", history=2)
    many = counted(app, lambda: client.get("/board/"))
    assert few == many <= BUDGETS["public board"], (few, many)


def test_the_staff_inbox_costs_the_same_however_many_tickets(
    app: Flask, client: FlaskClient, login: Callable[..., Any]
) -> None:
    login("officer.sxd@example.org")
    for n in range(2):
        file(app, f"Đèn đường hỏng số {n}")
    few = counted(app, lambda: client.get("/staff/"))
    for n in range(6):
        file(app, f"Ổ gà trên đường số {n}", history=2)
    many = counted(app, lambda: client.get("/staff/"))
    assert few == many <= BUDGETS["staff inbox"], (few, many)


def test_the_ticket_page_costs_the_same_however_long_the_history(
    app: Flask, client: FlaskClient, login: Callable[..., Any]
) -> None:
    login("officer.sxd@example.org")
    short_id, _, _ = file(app, "Đèn đường hỏng")
    long_id, _, _ = file(app, "Ổ gà trên đường", history=5)
    short = counted(app, lambda: client.get(f"/staff/tickets/{short_id}"))
    long = counted(app, lambda: client.get(f"/staff/tickets/{long_id}"))
    assert short == long <= BUDGETS["ticket page"], (short, long)
