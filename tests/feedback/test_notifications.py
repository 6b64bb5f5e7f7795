"""Who hears of each step of a ticket, by which channel, in which language, and what the message
says: steps taken through the services (and the staff pages), messages delivered by a real RQ
worker into the development mailbox."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback.background.queues import get_queue
from feedback.demo import DEMO_PASSWORD
from feedback.extensions import db
from feedback.jobs import deliver_notifications, sweep_notifications
from feedback.models import (
    Area,
    Category,
    Department,
    MailboxMessage,
    Notification,
    Ticket,
    TicketEvent,
    User,
    utcnow,
)
from feedback.services.deadlines.automatic import remind_and_close_unrated, send_digests
from feedback.services.deadlines.calendar import working_calendar
from feedback.services.deadlines.escalation import escalate_late_tickets, send_reminders
from feedback.services.handling.actions import (
    accept_ticket,
    assign_ticket,
    extend_deadline,
    post_progress_update,
    reject_ticket,
    request_information,
    resolve_ticket,
    return_answer,
    save_draft,
)
from feedback.services.handling.cooperation import request_contribution, transfer_ticket
from feedback.services.intake.submissions import Submission, submit_ticket
from feedback.services.notifications.delivery import render
from feedback.services.notifications.messages import SUBMITTER_KINDS, notify_event
from feedback.services.submitters.board import follow_ticket
from feedback.services.submitters.responses import provide_information, rate_ticket, reopen_ticket
from feedback.text import without_accents
from tests.conftest import csrf_token
from workflows import TIMEZONE, Role

Worker = Callable[[], bool]
NAME = "Nguyễn Thị Lan"
EMAIL = "lan.nguyen@example.com"
PHONE = "0905123456"
TEMPLATES = Path(__file__).parents[2] / "templates" / "messages"
# Every kind of message there is a template for (base.txt and the _partials are pieces of them).
KINDS = sorted(path.stem for path in TEMPLATES.glob("*.txt") if path.stem != "base" and not path.stem.startswith("_"))
_titles = itertools.count(1)


# --- helpers -------------------------------------------------------------------------------


def staff(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def department_id(code: str) -> int:
    return db.session.scalars(select(Department.id).where(Department.code == code)).one()


def add_staff(app: Flask, email: str, role: Role, department: str) -> str:
    """A second head or officer, or a head for a department the demo has none for."""
    with app.app_context():
        if db.session.scalar(select(User.id).where(User.email == email)) is None:
            user = User(email=email, name=email.split("@")[0], role=role.value, department_id=department_id(department))
            user.set_password(DEMO_PASSWORD)
            db.session.add(user)
            db.session.commit()
    return email


def submit(
    app: Flask,
    *,
    notify_by: str = "none",
    language: str = "vi",
    now: datetime | None = None,
) -> int:
    """A citizen's submission about a road (routed to the Department of Construction, SXD),
    with their name, email and phone; returns the ticket id."""
    number = next(_titles)
    with app.app_context():
        receipt = submit_ticket(
            Submission(
                kind="feedback",
                category_id=db.session.scalars(select(Category.id).where(Category.code == "GTDB")).one(),
                area_id=db.session.scalars(select(Area.id).where(Area.name == "Phường Nha Trang")).one(),
                title=f"Ổ gà trên đường Trần Phú số {number}",
                description=f"Ổ gà lớn số {number} gây nguy hiểm cho xe máy vào ban đêm.",
                name=NAME,
                email=EMAIL,
                phone=PHONE,
                notify_by=notify_by,
                language=language,
                consent_version="2025-07",
            ),
            actor=None,
            now=now,
        )
        return receipt.ticket.id


def ticket(ticket_id: int) -> Ticket:
    return db.session.get_one(Ticket, ticket_id)


def written(app: Flask, ticket_id: int, kinds: Any = None) -> list[tuple[str, str, str, str]]:
    """(kind, channel, recipient, language) of the ticket's notifications, in the order written."""
    with app.app_context():
        query = select(Notification).where(Notification.ticket_id == ticket_id).order_by(Notification.id)
        if kinds is not None:
            query = query.where(Notification.kind.in_(kinds))
        return [(n.kind, n.channel, n.recipient, n.language) for n in db.session.scalars(query)]


def mailbox(app: Flask, **where: Any) -> list[tuple[Notification, MailboxMessage]]:
    """The delivered messages, with their notifications, in the order written."""
    with app.app_context():
        query = select(Notification, MailboxMessage).join(
            MailboxMessage, MailboxMessage.notification_id == Notification.id
        )
        for column, value in where.items():
            query = query.where(getattr(Notification, column) == value)
        rows = [(n, m) for n, m in db.session.execute(query.order_by(Notification.id))]
        db.session.expunge_all()
        return rows


def recipients(app: Flask, ticket_id: int, kinds: Any) -> dict[str, list[str]]:
    """kind → the sorted recipients of the ticket's messages of those kinds."""
    by_kind: dict[str, list[str]] = {}
    for kind, _channel, recipient, _language in written(app, ticket_id, kinds):
        by_kind.setdefault(kind, []).append(recipient)
    return {kind: sorted(people) for kind, people in by_kind.items()}


def clock(start: datetime) -> Iterator[datetime]:
    """One minute later at every step: the steps' times keep their order."""
    return (start + timedelta(minutes=n) for n in itertools.count())


# --- the submitter ---------------------------------------------------------------------------


def walk_every_submitter_step(app: Flask, notify_by: str) -> tuple[int, int]:
    """One ticket rejected; another accepted, transferred, asked a question, extended, updated,
    answered and closed by the system. Returns (answered, rejected)."""
    head_sct = add_staff(app, "head.sct@example.org", Role.DEPARTMENT_HEAD, "SCT")
    times = clock(utcnow())
    answered = submit(app, notify_by=notify_by, now=next(times))
    refused = submit(app, notify_by=notify_by, now=next(times))
    with app.app_context():
        intake = staff("intake@example.org")
        reject_ticket(intake, refused, "Nội dung trùng với phản ánh đã có.", now=next(times))
        accept_ticket(intake, answered, department_id("SXD"), now=next(times))
        transfer_ticket(
            staff("head.sxd@example.org"), answered, department_id("SCT"), "Thuộc ngành Công Thương.", now=next(times)
        )
        officer = staff("officer.sct@example.org")
        request_information(officer, answered, "Xin cho biết vị trí chính xác.", now=next(times))
        provide_information(ticket(answered), "Trước nhà số 12.", [], now=next(times))
        extend_deadline(staff(head_sct), answered, 5, "Cần khảo sát hiện trường.", now=next(times))
        post_progress_update(officer, answered, "Đã cử cán bộ đến hiện trường.", now=next(times))
        resolved = resolve_ticket(officer, answered, "Đã vá ổ gà ngày 20/11.", now=next(times)).resolved_at
        assert resolved is not None
        # Never rated: the system closes it.
        assert remind_and_close_unrated(resolved + timedelta(days=40)) == (0, 1)
    return answered, refused


EVERY_SUBMITTER_STEP = [
    "acknowledgement",
    "accepted",
    "transferred",
    "info_requested",
    "extended",
    "progress",
    "answered",
    "closed",
]


@pytest.mark.parametrize(("notify_by", "channel", "address"), [("email", "email", EMAIL), ("sms", "sms", PHONE)])
def test_the_submitter_hears_of_every_step_once_by_the_channel_they_chose(
    app: Flask, database: None, run_worker: Worker, notify_by: str, channel: str, address: str
) -> None:
    answered, refused = walk_every_submitter_step(app, notify_by)
    assert {*EVERY_SUBMITTER_STEP, "rejected"} == set(SUBMITTER_KINDS.values())
    to_submitter = [(kind, channel, address, "vi") for kind in EVERY_SUBMITTER_STEP]
    assert written(app, answered, SUBMITTER_KINDS.values()) == to_submitter
    assert written(app, refused) == [(kind, channel, address, "vi") for kind in ("acknowledgement", "rejected")]

    assert run_worker()
    delivered = mailbox(app, recipient=address)
    assert Counter(n.kind for n, _ in delivered) == Counter([*EVERY_SUBMITTER_STEP, "acknowledgement", "rejected"])
    with app.app_context():
        codes = {answered: ticket(answered).code, refused: ticket(refused).code}
        sct = db.session.get_one(Department, department_id("SCT")).name_vi
    for notification, message in delivered:
        assert message.channel == channel
        assert codes[notification.ticket_id] in message.subject + message.body
        if channel == "sms":
            assert message.body.isascii(), message.body
            assert "/track/" in message.body
    if channel == "sms":
        transferred = next(m for n, m in delivered if n.kind == "transferred")
        assert without_accents(sct) in transferred.body and sct not in transferred.body


def test_a_submitter_who_asked_for_no_messages_gets_none(app: Flask, database: None, run_worker: Worker) -> None:
    answered, _refused = walk_every_submitter_step(app, "none")
    with app.app_context():
        to_submitter = db.session.scalar(
            select(func.count(Notification.id)).where(Notification.key.like("%:submitter"))
        )
    assert to_submitter == 0
    run_worker()
    assert not mailbox(app, recipient=EMAIL) and not mailbox(app, recipient=PHONE)
    # The staff still hear of it: the walk did write messages.
    assert written(app, answered)


def test_the_acknowledgements_link_opens_the_ticket_and_a_wrong_one_does_not(
    app: Flask, client: FlaskClient, run_worker: Worker
) -> None:
    mine = submit(app, notify_by="email", language="en")
    other = submit(app, notify_by="email", language="en")
    assert run_worker()
    links = {}
    for notification, message in mailbox(app, kind="acknowledgement"):
        assert notification.channel == "email" and notification.language == "en"
        assert message.subject.startswith("We received your submission")
        link = re.search(r"https?://\S+/track/\S+", message.body)
        assert link, message.body
        assert link.group(0).startswith(app.config["PUBLIC_URL"] + "/track/")
        links[notification.ticket_id] = link.group(0).removeprefix(app.config["PUBLIC_URL"])
    with app.app_context():
        code = ticket(mine).code
    page = client.get(links[mine])
    assert page.status_code == 200
    assert code in page.get_data(as_text=True)

    prefix, token = links[mine].rsplit("/", 1)
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(f"{prefix}/{wrong}").status_code == 404
    # Another ticket's token does not open this one.
    assert client.get(f"{prefix}/{links[other].rsplit('/', 1)[1]}").status_code == 404


# --- followers -------------------------------------------------------------------------------


def test_followers_hear_of_the_answer_in_their_language_without_the_submitters_data(
    app: Flask, database: None, run_worker: Worker
) -> None:
    times = clock(utcnow())
    followed = submit(app, notify_by="email", now=next(times))
    answer = "Đã vá ổ gà và sơn lại vạch kẻ đường."
    with app.app_context():
        accept_ticket(staff("intake@example.org"), followed, department_id("SXD"), now=next(times))
        follow_ticket(ticket(followed), "Minh.Tran@Example.com", language="en")
        follow_ticket(ticket(followed), "hoa@example.com", language="vi")
        officer = staff("officer.sxd@example.org")
        # Followers hear of the answer, not of every step.
        post_progress_update(officer, followed, "Đã khảo sát hiện trường.", now=next(times))
        resolve_ticket(officer, followed, answer, now=next(times))
        code = ticket(followed).code
    assert written(app, followed, ["followed_update"]) == [
        ("followed_update", "email", "minh.tran@example.com", "en"),
        ("followed_update", "email", "hoa@example.com", "vi"),
    ]

    assert run_worker()
    messages = {n.recipient: m for n, m in mailbox(app, kind="followed_update")}
    assert set(messages) == {"minh.tran@example.com", "hoa@example.com"}
    english, vietnamese = messages["minh.tran@example.com"], messages["hoa@example.com"]
    assert "Answered" in english.subject and "The submission you follow is now: Answered." in english.body
    assert "Đã trả lời" in vietnamese.subject and "Answered" not in vietnamese.subject + vietnamese.body
    for message in (english, vietnamese):
        assert code in message.subject
        assert answer in message.body
        assert f"{app.config['PUBLIC_URL']}/board/{code}" in message.body
        for personal in (NAME, EMAIL, PHONE):
            assert personal not in message.subject + message.body
        # The submitter's private link is theirs alone.
        assert "/track/" not in message.body


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


# --- closing ---------------------------------------------------------------------------------


def test_closing_by_the_submitters_rating_sends_no_closed_message_closing_by_the_system_does(
    app: Flask, database: None
) -> None:
    times = clock(utcnow())
    rated, unrated = (submit(app, notify_by="email", now=next(times)) for _ in range(2))
    with app.app_context():
        officer = staff("officer.sxd@example.org")
        for ticket_id in (rated, unrated):
            accept_ticket(staff("intake@example.org"), ticket_id, department_id("SXD"), now=next(times))
            resolve_ticket(officer, ticket_id, "Đã vá ổ gà.", now=next(times))
        rate_ticket(ticket(rated), "satisfied", "Cảm ơn.", now=next(times))
        assert ticket(rated).status == "closed"
        assert remind_and_close_unrated(utcnow() + timedelta(days=40)) == (0, 1)
        closers = {
            t: db.session.scalars(
                select(TicketEvent.actor_role).where(TicketEvent.ticket_id == t, TicketEvent.action == "close")
            ).one()
            for t in (rated, unrated)
        }
    assert closers == {rated: "submitter", unrated: "system"}
    assert [kind for kind, *_ in written(app, rated)] == ["acknowledgement", "accepted", "answered"]
    assert [kind for kind, *_ in written(app, unrated)] == ["acknowledgement", "accepted", "answered", "closed"]


# --- history ---------------------------------------------------------------------------------


def test_steps_dated_more_than_a_day_ago_notify_nobody(app: Flask, database: None) -> None:
    """Imported or replayed history: news of it now would mislead."""
    times = clock(utcnow() - timedelta(days=3))
    old = submit(app, notify_by="email", now=next(times))
    with app.app_context():
        accept_ticket(staff("intake@example.org"), old, department_id("SXD"), now=next(times))
        assign_ticket(staff("head.sxd@example.org"), old, staff("officer.sxd@example.org").id, now=next(times))
        post_progress_update(staff("officer.sxd@example.org"), old, "Đang xử lý.", now=next(times))
    assert written(app, old) == []
    with app.app_context():
        request_information(staff("officer.sxd@example.org"), old, "Xin ảnh chụp.", now=utcnow())
    assert written(app, old) == [("info_requested", "email", EMAIL, "vi")]


# --- the templates ---------------------------------------------------------------------------


def write_every_kind(app: Flask) -> dict[str, int]:
    """One ticket's life with a message of every kind, through the services; kind → one
    notification id."""
    add_staff(app, "head.sct@example.org", Role.DEPARTMENT_HEAD, "SCT")
    add_staff(app, "head.syt@example.org", Role.DEPARTMENT_HEAD, "SYT")
    times = clock(utcnow())
    life = submit(app, notify_by="email", now=next(times))
    refused = submit(app, notify_by="email", now=next(times))
    with app.app_context():
        intake, head = staff("intake@example.org"), staff("head.sxd@example.org")
        officer, officer_sct = staff("officer.sxd@example.org"), staff("officer.sct@example.org")
        reject_ticket(intake, refused, "Trùng với phản ánh đã có.", now=next(times))
        accept_ticket(intake, life, department_id("SXD"), now=next(times))
        follow_ticket(ticket(life), "minh@example.com", language="en")
        assign_ticket(head, life, officer.id, now=next(times))

        calendar = working_calendar()
        due = ticket(life).resolve_due
        assert due is not None
        due_morning = datetime.combine(due.astimezone(TIMEZONE).date(), datetime.min.time(), TIMEZONE)
        before_morning = datetime.combine(
            calendar.shift_working_days(due_morning.date(), -2), datetime.min.time(), TIMEZONE
        )
        assert send_reminders(before_morning + timedelta(hours=8)) == 1
        assert send_reminders(due_morning + timedelta(hours=8)) == 1
        assert send_digests(due_morning + timedelta(hours=8)) == 1
        times = clock(due + timedelta(hours=9))
        assert escalate_late_tickets(next(times)) == 1

        request_information(officer, life, "Xin ảnh chụp hiện trường.", now=next(times))
        provide_information(ticket(life), "Đã gửi ảnh.", [], now=next(times))
        extend_deadline(head, life, 5, "Cần khảo sát thêm.", now=next(times))
        post_progress_update(officer, life, "Đã khảo sát hiện trường.", now=next(times))
        save_draft(officer, life, "Dự thảo.", submit=True, now=next(times))
        return_answer(head, life, "Bổ sung thời hạn.", now=next(times))
        request_contribution(officer, life, department_id("SYT"), "Xin ý kiến.", 5, now=next(times))
        transfer_ticket(head, life, department_id("SCT"), "Thuộc ngành Công Thương.", now=next(times))
        resolve_ticket(officer_sct, life, "Đã vá ổ gà.", now=next(times))
        rate_ticket(ticket(life), "not_satisfied", "Chưa sửa xong.", now=next(times))
        reopen_ticket(ticket(life), "Ổ gà vẫn còn.", now=next(times))
        resolved = resolve_ticket(officer_sct, life, "Đã vá lại ổ gà.", now=next(times)).resolved_at
        assert resolved is not None
        assert remind_and_close_unrated(calendar.add_working_days(resolved, 3) + timedelta(hours=9)) == (1, 0)
        assert remind_and_close_unrated(resolved + timedelta(days=40)) == (0, 1)
        return dict(
            db.session.execute(select(Notification.kind, func.min(Notification.id)).group_by(Notification.kind)).all()
        )


def test_every_kind_of_message_renders_in_both_languages(app: Flask, database: None) -> None:
    kinds = write_every_kind(app)
    assert sorted(kinds) == KINDS, "a message of every kind was written"
    with app.app_context():
        for kind in KINDS:
            written_row = db.session.get_one(Notification, kinds[kind])
            about = written_row.ticket or db.session.get_one(Ticket, written_row.params["tickets"][0])
            for language, channel in itertools.product(("vi", "en"), ("email", "sms")):
                if channel == "sms" and not written_row.key.endswith(":submitter"):
                    continue
                # A copy outside the session: the rows stay as they were written.
                notification = Notification(
                    id=written_row.id,
                    key=written_row.key,
                    kind=kind,
                    channel=channel,
                    recipient=written_row.recipient,
                    language=language,
                    ticket=written_row.ticket,
                    user=written_row.user,
                    params=written_row.params,
                )
                message = render(notification)
                where = f"{kind} by {channel} in {language}"
                assert message.subject and message.body.strip(), where
                assert "None" not in message.subject + message.body, where
                if written_row.ticket is not None:
                    assert about.code in message.subject, where
                else:
                    assert about.code in message.body and about.title in message.body, where
                if channel == "sms":
                    assert message.body.isascii() and about.code in message.body, where
                    assert "/track/" in message.body, where
                elif "messages/_staff.txt" in (TEMPLATES / f"{kind}.txt").read_text():
                    name = about.department.name_en if language == "en" else about.department.name_vi
                    assert name in message.body, where
            assert db.session.get_one(Notification, kinds[kind]).language == written_row.language


def test_telling_of_a_step_again_writes_nothing_new(app: Flask, database: None) -> None:
    ticket_id = submit(app, notify_by="email")
    with app.app_context():
        accept_ticket(staff("intake@example.org"), ticket_id, department_id("SXD"))
        assign_ticket(staff("head.sxd@example.org"), ticket_id, staff("officer.sxd@example.org").id)
        follow_ticket(ticket(ticket_id), "minh@example.com", language="en")
        resolve_ticket(staff("officer.sxd@example.org"), ticket_id, "Đã vá ổ gà.")
        before = written(app, ticket_id)
        for event in ticket(ticket_id).events:
            assert notify_event(ticket(ticket_id), event) == []
        db.session.commit()
    assert [kind for kind, *_ in before] == ["acknowledgement", "accepted", "assigned", "answered", "followed_update"]
    assert written(app, ticket_id) == before


# --- delivery --------------------------------------------------------------------------------


def test_running_the_delivery_job_twice_sends_each_message_once(app: Flask, database: None, run_worker: Worker) -> None:
    ticket_id = submit(app, notify_by="email")
    with app.app_context():
        accept_ticket(staff("intake@example.org"), ticket_id, department_id("SXD"))
        assign_ticket(staff("head.sxd@example.org"), ticket_id, staff("officer.sxd@example.org").id)
        ids = list(db.session.scalars(select(Notification.id).where(Notification.ticket_id == ticket_id)))
    assert len(ids) == 3
    queue = get_queue("notifications", app)
    # The outbox's jobs are queued already; two more for the same messages, before any ran.
    queue.enqueue(deliver_notifications, ids)
    queue.enqueue(deliver_notifications, ids)
    assert run_worker()
    queue.enqueue(deliver_notifications, ids)
    queue.enqueue(sweep_notifications)
    assert run_worker()
    delivered = mailbox(app, ticket_id=ticket_id)
    assert sorted(n.id for n, _ in delivered) == sorted(ids)
    assert {(n.status, n.attempts) for n, _ in delivered} == {("sent", 1)}
