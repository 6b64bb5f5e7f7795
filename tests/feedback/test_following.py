"""Following a submission: the secret link, the department's question and the answer to it,
rating, and reopening once."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Rating, Ticket, User
from feedback.services.handling.actions import accept_ticket, request_information, resolve_ticket
from feedback.services.submitters.responses import provide_information
from workflows import TIMEZONE

ANSWER = "Đơn vị đã kiểm tra hiện trường và bố trí thêm thùng rác từ ngày 25/11."


@pytest.fixture
def submitted(app: Flask, client: FlaskClient, post_form: Callable[..., Any], database: None) -> dict[str, Any]:
    """A submission sent through the form; returns its code, id and private path."""

    def send(title: str) -> dict[str, Any]:
        with app.app_context():
            from feedback.models import Category

            category = db.session.scalar(select(Category.id).where(Category.code == "MTRT"))
        response = post_form(
            "/submit",
            {
                "kind": "feedback", "category": category, "x__MTRT__waste_type": "sinh_hoat",
                "area": "Phường Bắc Nha Trang", "title": title,
                "description": f"{title}: rác tồn đọng nhiều ngày, bốc mùi hôi.",
                "submitter_type": "citizen", "notify_by": "none", "visibility": "public", "consent": "y",
            },
        )
        assert response.status_code == 302
        page = client.get("/submitted").get_data(as_text=True)
        path = re.search(r'data-testid="tracking-link">http://[^/]+([^<]+)<', page).group(1)
        code = path.split("/")[2]
        with app.app_context():
            ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.code == code))
        return {"code": code, "id": ticket_id, "path": path}

    return {"send": send}


def staff(app: Flask, email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def status_of(app: Flask, ticket_id: int) -> str:
    with app.app_context():
        return db.session.get(Ticket, ticket_id).status


def test_secret_link_opens_only_its_own_ticket(
    app: Flask, client: FlaskClient, post_form: Callable[..., Any], submitted: dict[str, Any]
) -> None:
    first, second = submitted["send"]("Rác ở chợ Vĩnh Hải"), submitted["send"]("Rác ở bến xe phía Bắc")
    first_secret, second_secret = first["path"].rsplit("/", 1)[1], second["path"].rsplit("/", 1)[1]
    assert client.get(first["path"]).status_code == 200
    assert client.get(f"/track/{first['code']}/{second_secret}").status_code == 404
    assert client.get(f"/track/{second['code']}/{first_secret}").status_code == 404
    # Lower case still finds it; a wrong check symbol or a guessed code gets nothing.
    assert client.get(f"/track/{first['code'].lower()}/{first_secret}").status_code == 200
    body = first["code"].replace("-", "")
    wrong_check = body[:-1] + ("0" if body[-1] != "0" else "1")
    assert client.get(f"/track/{wrong_check}/{first_secret}").status_code == 404
    assert client.get(f"/track/AAAA-AAAA-A/{first_secret}").status_code == 404
    # Without a secret, only the account that filed it may look: nobody here.
    assert client.get(f"/account/submissions/{first['code']}").status_code == 404
    response = post_form("/track", {"code": first["code"], "secret": second_secret})
    assert response.status_code == 422
    with app.test_request_context(), force_locale("vi"):
        mismatch = gettext("No submission matches this code and secret key. Check both and try again.")
    assert mismatch in response.get_data(as_text=True)
    response = post_form("/track", {"code": first["code"], "secret": first_secret})
    assert response.status_code == 302 and response.headers["Location"].endswith(first["path"])


def test_the_department_asks_and_the_submitter_answers_on_the_tracking_page(
    app: Flask,
    client: FlaskClient,
    post_form: Callable[..., Any],
    login: Callable[..., Any],
    logout: Callable[[], None],
    submitted: dict[str, Any],
) -> None:
    ticket = submitted["send"]("Bãi rác tự phát ở hẻm 12")
    with app.app_context():
        intake = staff(app, "intake@example.org")
        department_id = db.session.get(Ticket, ticket["id"]).department_id
        accept_ticket(intake, ticket["id"], department_id)
        officer = db.session.scalars(
            select(User).where(User.department_id == department_id, User.role == "department_officer")
        ).first()
        officer_email = officer.email
    login(officer_email)
    question = "Xin cho biết bãi rác nằm ở đầu hay cuối hẻm, và có ảnh chụp không?"
    page = f"/staff/tickets/{ticket['id']}"
    assert post_form(f"{page}/request-info", {"question": "ngắn"}, page=page).status_code == 422
    assert post_form(f"{page}/request-info", {"question": question}, page=page).status_code == 302
    assert status_of(app, ticket["id"]) == "waiting_for_submitter"
    logout()

    tracking = client.get(ticket["path"]).get_data(as_text=True)
    assert 'data-testid="question"' in tracking and question in tracking
    # An empty answer is refused with a message; a real one goes back with a photo.
    assert post_form(f"{ticket['path']}/reply", {"text": ""}, page=ticket["path"]).status_code == 422
    photo = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (8, 8), "green").save(photo, "PNG")
    response = post_form(
        f"{ticket['path']}/reply",
        {"text": "Ở cuối hẻm, gần cột điện số 7.", "attachments": [(io.BytesIO(photo.getvalue()), "hem12.png")]},
        page=ticket["path"],
    )
    assert response.status_code == 302
    assert status_of(app, ticket["id"]) == "in_progress"
    tracking = client.get(ticket["path"]).get_data(as_text=True)
    assert "gần cột điện số 7" in tracking and "hem12.png" in tracking
    assert 'data-testid="question"' not in tracking
    # Answering twice is not possible: the page was out of date.
    response = post_form(f"{ticket['path']}/reply", {"text": "Thêm lần nữa."}, page="/")
    assert response.status_code == 302 and status_of(app, ticket["id"]) == "in_progress"


def test_the_wait_for_the_submitter_is_not_counted_against_the_department(
    app: Flask, make_ticket: Callable[..., int]
) -> None:
    ticket_id = make_ticket("MTRT", "Phường Bắc Nha Trang", "Nước thải chảy ra đường")
    monday = datetime(2026, 3, 9, 9, 0, tzinfo=TIMEZONE)
    with app.app_context():
        intake = staff(app, "intake@example.org")
        ticket = db.session.get(Ticket, ticket_id)
        accept_ticket(intake, ticket_id, ticket.department_id, now=monday)
        due_before = ticket.resolve_due
        head = db.session.scalars(
            select(User).where(User.department_id == ticket.department_id, User.role.in_(
                ["department_officer", "department_head"]))
        ).first()
        request_information(head, ticket_id, "Xin gửi thêm ảnh hiện trường.", now=monday.replace(day=10))
        assert ticket.paused_at is not None
        # Answered on Friday the 13th: Wednesday, Thursday and Friday were spent waiting.
        provide_information(ticket, "Đã gửi ảnh.", [], now=monday.replace(day=13, hour=16))
        assert ticket.paused_at is None
        from feedback.services.deadlines.calendar import working_calendar

        assert ticket.resolve_due == working_calendar().add_working_days(due_before, 3)


def test_rating_and_reopening_once(
    app: Flask,
    client: FlaskClient,
    post_form: Callable[..., Any],
    submitted: dict[str, Any],
) -> None:
    ticket = submitted["send"]("Thùng rác đầy tràn ở công viên")
    path = ticket["path"]

    def resolve() -> None:
        with app.app_context():
            intake = staff(app, "intake@example.org")
            current = db.session.get(Ticket, ticket["id"])
            if current.status == "submitted":
                accept_ticket(intake, ticket["id"], current.department_id)
            officer = db.session.scalars(
                select(User).where(User.department_id == current.department_id, User.role == "department_officer")
            ).first()
            resolve_ticket(officer, ticket["id"], ANSWER)

    resolve()
    page = client.get(path).get_data(as_text=True)
    assert ANSWER in page and "/reopen" not in page
    assert post_form(f"{path}/rate", {"level": "great"}, page=path).status_code == 422
    assert post_form(f"{path}/rate", {"level": "not_satisfied", "comment": "Chưa xử lý."}, page=path).status_code == 302
    # Not satisfied: the ticket stays answered, and may be reopened once, with a reason.
    assert status_of(app, ticket["id"]) == "resolved"
    page = client.get(path).get_data(as_text=True)
    assert f"{path}/reopen" in page
    assert post_form(f"{path}/reopen", {"reason": "ngắn"}, page=path).status_code == 422
    reason = "Thùng rác vẫn đầy, chưa có xe thu gom đến."
    assert post_form(f"{path}/reopen", {"reason": reason}, page=path).status_code == 302
    with app.app_context():
        reopened = db.session.get(Ticket, ticket["id"])
        assert reopened.status == "reopened" and reopened.resolved_at is None
        assert reopened.rating is None, "the earlier rating no longer counts"
        ratings = db.session.scalars(select(Rating).where(Rating.ticket_id == reopened.id))
        assert [r.superseded for r in ratings] == [True]
        assert reopened.resolve_due > reopened.submitted_at
    assert reason in client.get(path).get_data(as_text=True)

    # Answered again and still not satisfied: no second reopening, so the rating closes it.
    resolve()
    assert post_form(f"{path}/rate", {"level": "not_satisfied"}, page=path).status_code == 302
    assert status_of(app, ticket["id"]) == "closed"
    page = client.get(path).get_data(as_text=True)
    assert f"{path}/reopen" not in page
    response = post_form(f"{path}/reopen", {"reason": reason}, page="/")
    assert response.status_code == 302 and status_of(app, ticket["id"]) == "closed"


def test_a_satisfied_rating_closes_the_ticket(
    app: Flask, client: FlaskClient, post_form: Callable[..., Any], submitted: dict[str, Any]
) -> None:
    ticket = submitted["send"]("Rác thải xây dựng trên vỉa hè")
    with app.app_context():
        current = db.session.get(Ticket, ticket["id"])
        accept_ticket(staff(app, "intake@example.org"), ticket["id"], current.department_id)
        officer = db.session.scalars(
            select(User).where(User.department_id == current.department_id, User.role == "department_officer")
        ).first()
        resolve_ticket(officer, ticket["id"], ANSWER)
    client.get("/language/en?next=/")
    response = post_form(f"{ticket['path']}/rate", {"level": "satisfied"}, page=ticket["path"])
    assert response.status_code == 302
    page = client.get(ticket["path"]).get_data(as_text=True)
    assert "Thank you for rating the answer." in page and 'data-testid="rating">Satisfied<' in page
    assert status_of(app, ticket["id"]) == "closed"
