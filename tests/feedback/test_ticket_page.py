"""The ticket page of the staff workspace: assigning, internal notes, answer templates, the draft
and its approval, and the history with who did what."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from feedback.extensions import db
from feedback.models import AnswerTemplate, Area, Category, Department, Ticket, User
from feedback.services.handling.actions import accept_ticket, add_note
from feedback.services.intake.submissions import Submission, submit_ticket
from tests.conftest import csrf_token

Login = Callable[..., Any]
pytestmark = pytest.mark.usefixtures("english")


def department_id(app: Flask, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Department.id).where(Department.code == code))


def user_id(app: Flask, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def accept_into(app: Flask, ticket_id: int, code: str = "SXD") -> int:
    with app.app_context():
        intake = db.session.scalars(select(User).where(User.email == "intake@example.org")).one()
        accept_ticket(intake, ticket_id, department_id(app, code))
    return ticket_id


@pytest.fixture
def accepted(app: Flask, make_ticket: Callable[..., int]) -> int:
    """A road ticket (GTDB) that intake accepted into the Department of Construction (SXD)."""
    return accept_into(app, make_ticket("GTDB"))


def act(client: FlaskClient, ticket_id: int, path: str, prefix: str, data: dict[str, Any]) -> Any:
    """Post one of the ticket page's forms, prefixed or not, with the page's CSRF token."""
    token = csrf_token(client.get(f"/staff/tickets/{ticket_id}"))
    fields = {f"{prefix}-{name}" if prefix else name: value for name, value in data.items()}
    fields[f"{prefix}-csrf_token" if prefix else "csrf_token"] = token
    return client.post(f"/staff/tickets/{ticket_id}/{path}", data=fields)


def page(client: FlaskClient, ticket_id: int, query: str = "") -> str:
    response = client.get(f"/staff/tickets/{ticket_id}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def stored(app: Flask, ticket_id: int) -> Ticket:
    with app.app_context():
        found = db.session.get_one(Ticket, ticket_id)
        _ = found.department.code, found.events, found.contributions
        db.session.expunge_all()
        return found


def textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, f"no {name} text area"
    return match.group(1).strip()


def test_an_officer_takes_the_ticket_and_the_history_names_them(
    app: Flask, client: FlaskClient, accepted: int, login: Login
) -> None:
    login("officer.sxd@example.org")
    before = page(client, accepted)
    assert "Nobody yet" in before and "Take this ticket" in before
    assert "assign-assignee" not in re.sub(r'<form class="inline-form".*?</form>', "", before, flags=re.S), \
        "an officer has no choice of colleagues"
    taken = act(client, accepted, "assign", "assign", {"assignee": user_id(app, "officer.sxd@example.org")})
    assert taken.status_code == 302
    assert stored(app, accepted).assignee_id == user_id(app, "officer.sxd@example.org")
    after = page(client, accepted)
    assert "Take this ticket" not in after
    assignee = re.search(r'data-testid="assignee">\s*([^<]+)', after)
    assert assignee and assignee.group(1).strip() == "officer.sxd"
    event = re.search(r'data-testid="event-assign">(.*?)</li>', after, re.S)
    assert event and "To officer.sxd" in event.group(1) and "Internal" in event.group(1)
    assert "officer.sxd · Department officer" in event.group(1)


def test_an_officer_cannot_give_the_ticket_to_a_colleague(
    app: Flask, client: FlaskClient, accepted: int, login: Login
) -> None:
    login("officer.sxd@example.org")
    refused = act(client, accepted, "assign", "assign", {"assignee": user_id(app, "head.sxd@example.org")})
    assert refused.status_code == 422
    assert "Officers can only take a ticket themselves" in refused.get_data(as_text=True)
    assert stored(app, accepted).assignee_id is None


def test_a_head_assigns_an_officer_of_the_department_only(
    app: Flask, client: FlaskClient, accepted: int, login: Login
) -> None:
    login("head.sxd@example.org")
    html = page(client, accepted)
    options = {int(v): n for v, n in re.findall(r'<option value="(\d+)">([^<]+)</option>',
                                                       html.split('id="assign-assignee"')[1].split("</select>")[0])}
    assert user_id(app, "officer.sxd@example.org") in options
    assert user_id(app, "officer.syt@example.org") not in options, "only the ticket's department"

    outsider = act(client, accepted, "assign", "assign", {"assignee": user_id(app, "officer.syt@example.org")})
    assert outsider.status_code == 422 and "Choose an officer." in outsider.get_data(as_text=True)
    officer = user_id(app, "officer.sxd@example.org")
    assert act(client, accepted, "assign", "assign", {"assignee": officer}).status_code == 302
    assert stored(app, accepted).assignee_id == officer
    again = act(client, accepted, "assign", "assign", {"assignee": officer})
    assert again.status_code == 422 and "already assigned to that person" in again.get_data(as_text=True)


def test_internal_notes_stay_off_the_tracking_page(
    app: Flask, client: FlaskClient, database: None, login: Login
) -> None:
    with app.app_context():
        receipt = submit_ticket(
            Submission(
                kind="feedback",
                category_id=db.session.scalar(select(Category.id).where(Category.code == "GTDB")),
                area_id=db.session.scalar(select(Area.id).where(Area.name == "Phường Nha Trang")),
                title="Cầu bộ hành bị gãy lan can",
                description="Lan can cầu bộ hành gãy một đoạn, trẻ em đi qua rất nguy hiểm.",
            ),
            actor=None,
        )
        ticket_id, code, secret = receipt.ticket.id, receipt.ticket.code, receipt.secret
    accept_into(app, ticket_id)
    login("officer.sxd@example.org")
    short = act(client, ticket_id, "note", "note", {"text": " "})
    assert short.status_code == 422 and "Write the note." in short.get_data(as_text=True)
    noted = act(client, ticket_id, "note", "note", {"text": "Đã gọi điện cho đội duy tu, chờ báo giá."})
    assert noted.status_code == 302
    html = page(client, ticket_id)
    note = re.search(r'data-testid="event-note">(.*?)</li>', html, re.S)
    assert note and "Đã gọi điện cho đội duy tu" in note.group(1) and "Internal" in note.group(1)

    tracking = client.get(f"/track/{code}/{secret}").get_data(as_text=True)
    assert "Accepted" in tracking, "the public events are shown"
    assert "Đã gọi điện cho đội duy tu" not in tracking and "Internal note" not in tracking


def test_answer_templates_of_the_subject_and_generic_ones_fill_the_answer(
    app: Flask, client: FlaskClient, accepted: int, login: Login
) -> None:
    with app.app_context():
        templates = {t.title: t.id for t in db.session.scalars(select(AnswerTemplate))}
    login("officer.sxd@example.org")
    html = page(client, accepted)
    picker = html.split('id="template"')[1].split("</select>")[0]
    titles = re.findall(r"<option[^>]*>([^<]+) \(", picker)
    # The ticket is in Vietnamese, about roads: its own subject's template first, then the generic
    # ones, Vietnamese before English; another subject's template is not offered.
    assert titles == ["Đã sửa chữa mặt đường", "Trả lời chung", "General answer"]
    assert textarea(html, "answer") == ""

    filled = page(client, accepted, f"?template={templates['Đã sửa chữa mặt đường']}")
    assert textarea(filled, "answer").startswith("Kính gửi ông/bà,")
    assert "đơn vị quản lý đường bộ" in textarea(filled, "answer")
    assert "Filled in from “Đã sửa chữa mặt đường”" in filled
    # Another subject's template, or an unknown id, fills nothing.
    assert textarea(page(client, accepted, f"?template={templates['Đã khơi thông cống thoát nước']}"), "answer") == ""
    assert textarea(page(client, accepted, "?template=999999"), "answer") == ""


def test_a_saved_draft_comes_back_and_the_answer_can_be_published(
    app: Flask, client: FlaskClient, accepted: int, login: Login
) -> None:
    login("officer.sxd@example.org")
    html = page(client, accepted)
    assert "Send to the head for approval" not in html, "this department publishes without approval"
    text = "Sở Xây dựng đã cho vá ổ gà\r\ntrên đường Trần Phú."
    saved = act(client, accepted, "draft", "", {"answer": text, "save": "Save draft"})
    assert saved.status_code == 302
    after = stored(app, accepted)
    assert (after.answer_state, after.draft_answer, after.status) == ("draft", text.replace("\r\n", "\n"), "accepted")
    html = page(client, accepted)
    assert textarea(html, "answer") == text.replace("\r\n", "\n")
    assert 'data-testid="answer-state">Draft<' in html
    assert act(client, accepted, "resolve", "", {"answer": text}).status_code == 302
    resolved = stored(app, accepted)
    assert (resolved.status, resolved.answer, resolved.draft_answer) == ("resolved", text.replace("\r\n", "\n"), None)


def test_an_approver_sees_nothing_to_approve_without_a_submitted_answer(
    app: Flask, client: FlaskClient, accepted: int, login: Login
) -> None:
    login("head.sxd@example.org")
    assert "approve-answer" not in page(client, accepted)
    response = act(client, accepted, "approve-answer", "approve", {})
    assert response.status_code == 302
    assert "No answer is awaiting approval." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert stored(app, accepted).answer_state == ""


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def test_the_history_loads_its_actors_at_once(app: Flask, client: FlaskClient, accepted: int, login: Login) -> None:
    login("head.sxd@example.org")
    page(client, accepted)
    with counted_queries() as few:
        page(client, accepted)
    with app.app_context():
        writers = [db.session.scalars(select(User).where(User.email == email)).one()
                   for email in ("officer.sxd@example.org", "head.sxd@example.org", "leader@example.org")]
        for n in range(9):
            add_note(writers[n % 3], accepted, f"Ghi chú nội bộ số {n}")
    with counted_queries() as many:
        html = page(client, accepted)
    assert html.count('data-testid="event-note"') == 9 and "leader@example.org" not in html
    assert len(many) == len(few), "one query per event's actor"
