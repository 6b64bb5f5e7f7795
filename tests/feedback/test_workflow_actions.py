"""Transfers, the extension, progress updates, contributions and the deadline sweep, through the
ticket page as the staff use them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback.background.queues import get_queue
from feedback.demo import DEMO_PASSWORD
from feedback.extensions import db
from feedback.jobs import sweep_deadlines
from feedback.models import Department, Ticket, TicketEvent, User, utcnow
from feedback.services.deadlines.calendar import working_calendar
from feedback.services.handling.actions import accept_ticket, request_information
from tests.conftest import csrf_token
from workflows import Role

Login = Callable[..., Any]
# The messages checked are the English ones; the Vietnamese catalogue is tested on its own.
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def accepted(app: Flask, make_ticket: Callable[..., int]) -> int:
    """A road ticket that intake accepted into the Department of Construction (SXD)."""
    ticket_id = make_ticket("GTDB")
    with app.app_context():
        intake = db.session.scalars(select(User).where(User.email == "intake@example.org")).one()
        accept_ticket(intake, ticket_id, department_id(app, "SXD"))
    return ticket_id


def department_id(app: Flask, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Department.id).where(Department.code == code))


def make_head(app: Flask, code: str) -> str:
    email = f"head.{code.lower()}@example.org"
    with app.app_context():
        if db.session.scalar(select(User.id).where(User.email == email)) is None:
            user = User(email=email, name=email, role=Role.DEPARTMENT_HEAD.value,
                        department_id=department_id(app, code))
            user.set_password(DEMO_PASSWORD)
            db.session.add(user)
            db.session.commit()
    return email


def act(client: FlaskClient, ticket_id: int, path: str, prefix: str, data: dict[str, Any]) -> Any:
    """Post one of the ticket page's prefixed forms, with the page's CSRF token."""
    token = csrf_token(client.get(f"/staff/tickets/{ticket_id}"))
    fields = {f"{prefix}-{name}" if prefix else name: value for name, value in data.items()}
    fields[f"{prefix}-csrf_token" if prefix else "csrf_token"] = token
    return client.post(f"/staff/tickets/{ticket_id}/{path}", data=fields)


def ticket(app: Flask, ticket_id: int) -> Ticket:
    with app.app_context():
        found = db.session.get_one(Ticket, ticket_id)
        _ = found.department.code, found.events
        db.session.expunge_all()
        return found


def as_user(client: FlaskClient, login: Login, logout: Callable[[], None], email: str) -> None:
    logout_if_signed_in(client, logout)
    login(email)


def logout_if_signed_in(client: FlaskClient, logout: Callable[[], None]) -> None:
    if client.get("/staff/").status_code == 200:
        logout()


def test_transfer_needs_a_reason_and_keeps_the_deadline(
    app: Flask, client: FlaskClient, accepted: int, login: Login
) -> None:
    before = ticket(app, accepted)
    login("head.sxd@example.org")
    refused = act(client, accepted, "transfer", "transfer", {"department": department_id(app, "SCT"), "reason": ""})
    assert refused.status_code == 422
    assert "Give the reason for the transfer." in refused.get_data(as_text=True)

    moved = act(client, accepted, "transfer", "transfer",
                {"department": department_id(app, "SCT"), "reason": "Chợ và kinh doanh thuộc Sở Công Thương"})
    assert moved.status_code == 302
    after = ticket(app, accepted)
    assert (after.department.code, after.status, after.transfer_count) == ("SCT", "accepted", 1)
    assert after.resolve_due == before.resolve_due
    event = after.events[-1]
    assert (event.action, event.reason, event.payload["from"], event.payload["to"]) == (
        "transfer", "Chợ và kinh doanh thuộc Sở Công Thương", "SXD", "SCT")


def test_officers_cannot_transfer_and_other_departments_cannot_act(
    app: Flask, client: FlaskClient, accepted: int, login: Login, logout: Callable[[], None]
) -> None:
    login("officer.sxd@example.org")
    page = client.get(f"/staff/tickets/{accepted}").get_data(as_text=True)
    assert f'action="/staff/tickets/{accepted}/transfer"' not in page
    act(
        client,
        accepted,
        "transfer",
        "transfer",
        {"department": department_id(app, "SCT"), "reason": "không phải việc của tôi"},
    )
    assert ticket(app, accepted).department.code == "SXD"
    logout()
    login("officer.sct@example.org")
    assert client.get(f"/staff/tickets/{accepted}").status_code == 404


def test_after_two_transfers_only_a_leader_decides(
    app: Flask, client: FlaskClient, accepted: int, login: Login, logout: Callable[[], None]
) -> None:
    sct_head = make_head(app, "SCT")
    login("head.sxd@example.org")
    act(
        client,
        accepted,
        "transfer",
        "transfer",
        {"department": department_id(app, "SCT"), "reason": "Thuộc lĩnh vực thương mại"},
    )
    logout()
    login(sct_head)
    act(
        client,
        accepted,
        "transfer",
        "transfer",
        {"department": department_id(app, "SXD"), "reason": "Là công trình xây dựng"},
    )
    logout()

    login("head.sxd@example.org")
    page = client.get(f"/staff/tickets/{accepted}").get_data(as_text=True)
    assert "only a leader can move it again" in page
    refused = act(
        client,
        accepted,
        "transfer",
        "transfer",
        {"department": department_id(app, "SCT"), "reason": "Vẫn thuộc thương mại"},
    )
    assert refused.status_code == 422
    assert "Ask a leader to decide" in refused.get_data(as_text=True)
    assert (ticket(app, accepted).department.code, ticket(app, accepted).transfer_count) == ("SXD", 2)

    asked = act(client, accepted, "ask-leader", "decision", {"reason": "Hai sở chưa thống nhất thẩm quyền"})
    assert asked.status_code == 302
    assert ticket(app, accepted).decision_requested
    assert "A leader has been asked to decide." in client.get(f"/staff/tickets/{accepted}").get_data(as_text=True)
    logout()

    login("leader@example.org")
    inbox = client.get("/staff/").get_data(as_text=True)
    assert "A leader is asked to decide" in inbox
    decided = act(
        client,
        accepted,
        "transfer",
        "transfer",
        {"department": department_id(app, "SNNMT"), "reason": "Lãnh đạo giao Sở NN&MT chủ trì"},
    )
    assert decided.status_code == 302
    decided_ticket = ticket(app, accepted)
    assert (decided_ticket.department.code, decided_ticket.transfer_count) == ("SNNMT", 3)
    assert not decided_ticket.decision_requested


def test_one_extension_with_a_reason_the_submitter_sees(
    app: Flask, client: FlaskClient, accepted: int, login: Login
) -> None:
    before = ticket(app, accepted)
    login("head.sxd@example.org")
    too_long = act(client, accepted, "extend", "extend", {"days": "11", "reason": "Cần khảo sát hiện trường"})
    assert too_long.status_code == 422
    page = too_long.get_data(as_text=True)
    assert "Extend by 1 to 10 working days." in page
    assert "Cần khảo sát hiện trường" in page, "what was typed comes back"
    not_a_number = act(client, accepted, "extend", "extend", {"days": "năm", "reason": "Cần khảo sát"})
    assert not_a_number.status_code == 422 and "Enter a whole number of working days" in not_a_number.get_data(
        as_text=True
    )

    assert (
        act(client, accepted, "extend", "extend", {"days": "5", "reason": "Cần khảo sát hiện trường"}).status_code
        == 302
    )
    after = ticket(app, accepted)
    with app.app_context():
        assert after.resolve_due == working_calendar().add_working_days(before.resolve_due, 5)
    assert after.extension_days == 5

    again = act(client, accepted, "extend", "extend", {"days": "2", "reason": "Thêm thời gian"})
    assert again.status_code == 422
    assert "already been extended once" in again.get_data(as_text=True)
    assert ticket(app, accepted).resolve_due == after.resolve_due

    with app.app_context():
        secretless = db.session.get_one(Ticket, accepted)
        events = [e for e in secretless.events if e.is_public]
        assert any(e.action == "extend" and e.reason == "Cần khảo sát hiện trường" for e in events)


def test_officers_cannot_extend(app: Flask, client: FlaskClient, accepted: int, login: Login) -> None:
    login("officer.sxd@example.org")
    assert "extend-days" not in client.get(f"/staff/tickets/{accepted}").get_data(as_text=True)
    act(client, accepted, "extend", "extend", {"days": "3", "reason": "Xin thêm thời gian"})
    assert ticket(app, accepted).extension_days == 0


def test_progress_update_is_public_and_moves_the_next_one(
    app: Flask, client: FlaskClient, accepted: int, login: Login
) -> None:
    login("officer.sxd@example.org")
    page = client.get(f"/staff/tickets/{accepted}").get_data(as_text=True)
    assert "Next progress update owed" in page
    response = act(client, accepted, "progress", "progress", {"text": "Đã cử cán bộ kiểm tra hiện trường."})
    assert response.status_code == 302
    after = ticket(app, accepted)
    assert after.progress_at is not None and after.status == "accepted"
    assert after.events[-1].is_public and after.events[-1].reason == "Đã cử cán bộ kiểm tra hiện trường."


def test_contributions_of_a_cooperating_department(
    app: Flask, client: FlaskClient, accepted: int, login: Login, logout: Callable[[], None]
) -> None:
    login("officer.sxd@example.org")
    bad = act(
        client,
        accepted,
        "contributions",
        "contribution",
        {"department": department_id(app, "SCT"), "request": "Cho ý kiến", "days": "40"},
    )
    assert bad.status_code == 422 and "Give 1 to 20 working days." in bad.get_data(as_text=True)
    asked = act(
        client,
        accepted,
        "contributions",
        "contribution",
        {
            "department": department_id(app, "SCT"),
            "request": "Đề nghị cho ý kiến về giấy phép kinh doanh.",
            "days": "3",
        },
    )
    assert asked.status_code == 302
    with app.app_context():
        contribution = db.session.get_one(Ticket, accepted).contributions[0]
        contribution_id = contribution.id
        assert contribution.due == working_calendar().add_working_days(contribution.requested_at, 3)
    logout()

    login("officer.sct@example.org")
    assert "Contributions asked of your department" in client.get("/staff/").get_data(as_text=True)
    page = client.get(f"/staff/tickets/{accepted}")
    assert page.status_code == 200
    assert f'action="/staff/tickets/{accepted}/resolve"' not in page.get_data(as_text=True)
    # Reading is not handling: the cooperating department cannot answer the ticket itself.
    token = csrf_token(page)
    assert (
        client.post(
            f"/staff/tickets/{accepted}/resolve",
            data={"answer": "Trả lời thay cho sở chủ trì, không hợp lệ.", "csrf_token": token},
        ).status_code
        == 403
    )
    answered = act(
        client,
        accepted,
        f"contributions/{contribution_id}",
        f"answer{contribution_id}",
        {"answer": "Cơ sở đã có giấy phép kinh doanh hợp lệ."},
    )
    assert answered.status_code == 302
    assert "Contributions asked of your department" not in client.get("/staff/").get_data(as_text=True)
    logout()

    login("officer.sxd@example.org")
    lead_page = client.get(f"/staff/tickets/{accepted}").get_data(as_text=True)
    assert "Cơ sở đã có giấy phép kinh doanh hợp lệ." in lead_page
    assert "Contribution received" in lead_page
    logout()
    login("officer.syt@example.org")
    assert client.get(f"/staff/tickets/{accepted}").status_code == 404


def test_deadline_sweep_escalates_once_per_rung(
    app: Flask, make_ticket: Callable[..., int], run_worker: Callable[[], bool]
) -> None:
    now = utcnow()
    with app.app_context():
        intake = db.session.scalars(select(User).where(User.email == "intake@example.org")).one()
        calendar = working_calendar()
        long_late, just_late, waiting = (make_ticket("GTDB", title=f"Ổ gà số {n}") for n in range(3))
        # Ordinary roads: 10 working days. Accepted 30 days ago: well past the leader's rung.
        accept_ticket(intake, long_late, department_id(app, "SXD"), now=now - timedelta(days=30))
        # Accepted so that the deadline was the end of the last working day before today.
        start = now
        while calendar.add_working_days(start, 10) >= now:
            start -= timedelta(hours=6)
        accept_ticket(intake, just_late, department_id(app, "SXD"), now=start)
        accept_ticket(intake, waiting, department_id(app, "SXD"), now=now - timedelta(days=30))
        officer = db.session.scalars(select(User).where(User.email == "officer.sxd@example.org")).one()
        request_information(officer, waiting, "Xin gửi ảnh chụp hiện trường.", now=now - timedelta(days=20))
    run_worker()

    get_queue("deadlines", app).enqueue(sweep_deadlines)
    assert run_worker()
    get_queue("deadlines", app).enqueue(sweep_deadlines)
    assert run_worker()
    with app.app_context():
        levels = {tid: db.session.get_one(Ticket, tid).escalation for tid in (long_late, just_late, waiting)}
        escalations = db.session.scalar(
            select(func.count(TicketEvent.id)).where(
                TicketEvent.action == "escalate", TicketEvent.ticket_id.in_([long_late, just_late, waiting])
            )
        )
    assert levels[long_late] == "leader"
    assert levels[just_late] == "head"
    assert levels[waiting] == ""
    assert escalations == 2, "the second sweep found nothing new"


def test_a_paused_ticket_is_not_late_for_the_sweep_but_its_deadline_moves(
    app: Flask, client: FlaskClient, accepted: int, login: Login
) -> None:
    login("officer.sxd@example.org")
    response = client.post(
        f"/staff/tickets/{accepted}/request-info",
        data={
            "question": "Xin cho biết vị trí chính xác của ổ gà.",
            "csrf_token": csrf_token(client.get(f"/staff/tickets/{accepted}")),
        },
    )
    assert response.status_code == 302
    page = client.get(f"/staff/tickets/{accepted}").get_data(as_text=True)
    assert "while waiting for the submitter" in page
    assert not re.search(r"Reminders and escalations", page)
