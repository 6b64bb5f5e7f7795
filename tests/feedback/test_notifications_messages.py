"""When a message is written, what it says in both languages, and that the delivery job sends each once."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from feedback.background.queues import get_queue
from feedback.extensions import db
from feedback.jobs import deliver_notifications, sweep_notifications
from feedback.models import Notification, Ticket, utcnow
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
from feedback.services.notifications.delivery import render
from feedback.services.notifications.messages import notify_event
from feedback.services.submitters.board import follow_ticket
from feedback.services.submitters.responses import provide_information, rate_ticket, reopen_ticket
from tests.feedback.notified_tickets import (
    EMAIL,
    Worker,
    add_staff,
    clock,
    department_id,
    mailbox,
    staff,
    submit,
    ticket,
    written,
)
from workflows import TIMEZONE, Role

TEMPLATES = Path(__file__).parents[2] / "templates" / "messages"
# Every kind of message there is a template for (base.txt and the _partials are pieces of them).
KINDS = sorted(path.stem for path in TEMPLATES.glob("*.txt") if path.stem != "base" and not path.stem.startswith("_"))


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
            notify_event(ticket(ticket_id), event)
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
