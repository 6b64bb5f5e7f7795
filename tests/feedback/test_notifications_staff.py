"""Which staff hear of the work put on their desk, through the services and the ticket page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Notification, TicketEvent, utcnow
from feedback.services.deadlines.calendar import working_calendar
from feedback.services.deadlines.escalation import escalate_late_tickets
from feedback.services.handling.actions import (
    accept_ticket,
    assign_ticket,
    request_information,
    resolve_ticket,
    return_answer,
    save_draft,
)
from feedback.services.handling.cooperation import request_contribution, transfer_ticket
from feedback.services.submitters.responses import provide_information, rate_ticket, reopen_ticket
from tests.conftest import csrf_token
from tests.feedback.notified_tickets import (
    Worker,
    add_staff,
    clock,
    department_id,
    recipients,
    staff,
    submit,
    ticket,
    written,
)
from workflows import Role

# --- staff -----------------------------------------------------------------------------------


STAFF_KINDS = [
    "assigned",
    "answer_for_approval",
    "answer_returned",
    "contribution_requested",
    "info_provided",
    "transferred_in",
    "reopened",
    "escalated",
]


def test_staff_hear_of_the_work_put_on_their_desk(app: Flask, database: None, run_worker: Worker) -> None:
    add_staff(app, "head2.sxd@example.org", Role.DEPARTMENT_HEAD, "SXD")
    add_staff(app, "officer2.sxd@example.org", Role.DEPARTMENT_OFFICER, "SXD")
    add_staff(app, "head.sct@example.org", Role.DEPARTMENT_HEAD, "SCT")
    add_staff(app, "head.syt@example.org", Role.DEPARTMENT_HEAD, "SYT")
    times = clock(utcnow())
    handled, taken, reopened, transferred = (submit(app, now=next(times)) for _ in range(4))
    with app.app_context():
        intake, head = staff("intake@example.org"), staff("head.sxd@example.org")
        officer, officer2 = staff("officer.sxd@example.org"), staff("officer2.sxd@example.org")
        for ticket_id in (handled, taken, reopened, transferred):
            accept_ticket(intake, ticket_id, department_id("SXD"), now=next(times))

        assign_ticket(head, handled, officer.id, now=next(times))
        assign_ticket(officer2, taken, officer2.id, now=next(times))
        save_draft(officer, handled, "Dự thảo trả lời.", submit=True, now=next(times))
        return_answer(head, handled, "Bổ sung thời gian khắc phục.", now=next(times))
        request_contribution(officer, handled, department_id("SYT"), "Xin ý kiến về an toàn.", 5, now=next(times))
        request_information(officer, handled, "Xin ảnh chụp hiện trường.", now=next(times))
        provide_information(ticket(handled), "Đã gửi ảnh.", [], now=next(times))

        resolve_ticket(officer, reopened, "Đã xử lý xong.", now=next(times))
        rate_ticket(ticket(reopened), "not_satisfied", "Chưa sửa.", now=next(times))
        reopen_ticket(ticket(reopened), "Ổ gà vẫn còn.", now=next(times))

        transfer_ticket(head, transferred, department_id("SCT"), "Thuộc ngành Công Thương.", now=next(times))

        # Late: the sweep escalates to the department's heads, then to the leaders.
        due = max(ticket(t).deadline for t in (handled, taken, reopened, transferred))
        assert escalate_late_tickets(due + timedelta(hours=1)) == 4
        assert escalate_late_tickets(working_calendar().add_working_days(due, 3) + timedelta(hours=1)) == 4

    heads = ["head.sxd@example.org", "head2.sxd@example.org"]
    assert recipients(app, handled, STAFF_KINDS) == {
        "assigned": ["officer.sxd@example.org"],
        "answer_for_approval": heads,
        "answer_returned": ["officer.sxd@example.org"],
        "contribution_requested": ["head.syt@example.org"],
        # The assignee, and nobody else of the department.
        "info_provided": ["officer.sxd@example.org"],
        "escalated": sorted([*heads, "leader@example.org"]),
    }
    assert recipients(app, taken, STAFF_KINDS) == {
        # The officer took it: nobody is told.
        "escalated": sorted([*heads, "leader@example.org"]),
    }
    # Nobody holds it: the department's officers are told.
    assert recipients(app, reopened, STAFF_KINDS) == {
        "reopened": ["officer.sxd@example.org", "officer2.sxd@example.org"],
        "escalated": sorted([*heads, "leader@example.org"]),
    }
    # The new department's heads, not the old one's, also when it is late.
    assert recipients(app, transferred, STAFF_KINDS) == {
        "transferred_in": ["head.sct@example.org"],
        "escalated": ["head.sct@example.org", "leader@example.org"],
    }
    with app.app_context():
        escalated = db.session.execute(
            select(Notification.recipient, TicketEvent.payload)
            .join(TicketEvent, Notification.params["event"].as_integer() == TicketEvent.id)
            .where(Notification.kind == "escalated", Notification.ticket_id == taken)
        ).all()
    assert sorted((recipient, payload["level"]) for recipient, payload in escalated) == [
        ("head.sxd@example.org", "head"),
        ("head2.sxd@example.org", "head"),
        ("leader@example.org", "leader"),
    ]

    assert run_worker()
    with app.app_context():
        staff_messages = db.session.scalars(select(Notification).where(Notification.kind.in_(STAFF_KINDS))).all()
        assert {(n.status, n.user.email) for n in staff_messages} == {("sent", n.recipient) for n in staff_messages}


def test_assigning_through_the_ticket_page_tells_the_new_assignee(
    app: Flask, client: FlaskClient, login: Callable[..., Any], run_worker: Worker
) -> None:
    add_staff(app, "officer2.sxd@example.org", Role.DEPARTMENT_OFFICER, "SXD")
    ticket_id = submit(app)
    with app.app_context():
        accept_ticket(staff("intake@example.org"), ticket_id, department_id("SXD"))
        officers = [staff("officer.sxd@example.org").id, staff("officer2.sxd@example.org").id]
    login("head.sxd@example.org")
    for officer_id in officers:
        token = csrf_token(client.get(f"/staff/tickets/{ticket_id}"))
        response = client.post(
            f"/staff/tickets/{ticket_id}/assign", data={"assign-assignee": officer_id, "assign-csrf_token": token}
        )
        assert response.status_code == 302
    assert [recipient for _kind, _channel, recipient, _language in written(app, ticket_id, ["assigned"])] == [
        "officer.sxd@example.org",
        "officer2.sxd@example.org",
    ]
