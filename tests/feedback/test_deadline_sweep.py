"""The deadline sweep, run as the periodic job through RQ at chosen moments: reminders, escalations,
owed progress updates, the rating reminder and closing, the heads' digest, its lock, its batches.

Run twice, it sends each message once. The moments fall in plain weeks (no public holiday, no
Saturday worked in exchange) after today, so that the working days counted below are the
weekdays, and every step is recent news to the notification rules."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from rq.job import Job
from sqlalchemy import select

from feedback.background.queues import get_queue, redis_connection
from feedback.demo import DEMO_PASSWORD
from feedback.extensions import db
from feedback.jobs import sweep_deadlines
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
from feedback.services.deadlines import automatic as followups
from feedback.services.deadlines import escalation
from feedback.services.handling.actions import (
    accept_ticket,
    assign_ticket,
    post_progress_update,
    request_information,
    resolve_ticket,
)
from feedback.services.intake.submissions import Submission, submit_ticket
from feedback.services.submitters.responses import rate_ticket
from workflows import TIMEZONE, Role, WorkingCalendar
from workflows.calendar import end_of_day, local_date

Sweep = Callable[[datetime], dict[str, int] | None]
OFFICERS = ["officer.sxd@example.org", "officer2.sxd@example.org"]
HEADS = ["head.sxd@example.org", "head2.sxd@example.org"]
REMINDERS = ("remind_before", "remind_due")
_titles = itertools.count(1)


@pytest.fixture
def monday(app: Flask, database: None) -> date:
    """A Monday at least a week from today that starts six plain weeks; with the demo's
    second officer and second head of the Department of Construction (SXD)."""
    calendar = WorkingCalendar()
    day = local_date(utcnow()) + timedelta(days=7)
    day += timedelta(days=-day.weekday() % 7)
    while not all(calendar.is_working_day(day + timedelta(days=n)) == (n % 7 < 5) for n in range(42)):
        day += timedelta(days=7)
    add_staff(app, "officer2.sxd@example.org", Role.DEPARTMENT_OFFICER, "SXD")
    add_staff(app, "head2.sxd@example.org", Role.DEPARTMENT_HEAD, "SXD")
    return day


@pytest.fixture
def sweep(app: Flask, run_worker: Callable[[], bool], monkeypatch: pytest.MonkeyPatch) -> Sweep:
    """Enqueue the periodic sweep and run the worker, with the sweep's clock at `at`; returns
    what the job returned. The worker also delivers the messages the sweep wrote."""

    def run(at: datetime) -> dict[str, int] | None:
        for module in (escalation, followups):
            monkeypatch.setattr(module, "utcnow", lambda: at)
        job = get_queue("deadlines", app).enqueue(sweep_deadlines)
        assert run_worker()
        result: dict[str, int] | None = Job.fetch(job.id, connection=redis_connection(app)).return_value()
        return result

    return run


def add_staff(app: Flask, email: str, role: Role, department: str) -> None:
    with app.app_context():
        user = User(email=email, name=email.split("@")[0], role=role.value, department_id=department_id(department))
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        db.session.commit()


def department_id(code: str) -> int:
    return db.session.scalars(select(Department.id).where(Department.code == code)).one()


def staff(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def at(day: date, days: int, hour: int = 9, minute: int = 0) -> datetime:
    """`days` days after `day`, at this local time."""
    return datetime.combine(day + timedelta(days=days), time(hour, minute), tzinfo=TIMEZONE)


def accepted(app: Flask, when: datetime, email: str = "", plain_weeks: bool = True) -> int:
    """An ordinary road ticket (10 working days), submitted and accepted into SXD at `when`,
    its submitter told by email in English if `email` is given; returns its id."""
    number = next(_titles)
    with app.app_context():
        receipt = submit_ticket(
            Submission(
                kind="feedback",
                category_id=db.session.scalars(select(Category.id).where(Category.code == "GTDB")).one(),
                area_id=db.session.scalars(select(Area.id).where(Area.name == "Phường Nha Trang")).one(),
                title=f"Ổ gà số {number}",
                description=f"Ổ gà số {number} trên đường Trần Phú chưa được sửa.",
                email=email,
                notify_by="email" if email else "none",
                language="en",
                consent_version="2025-07" if email else "",
            ),
            actor=None,
            now=when,
        )
        ticket = accept_ticket(staff("intake@example.org"), receipt.ticket.id, department_id("SXD"), now=when)
        if plain_weeks:
            assert ticket.resolve_due == end_of_day(local_date(when) + timedelta(days=14)), "ten weekdays"
        return receipt.ticket.id


def delivered(app: Flask, ticket_id: int | None = None, kinds: Any = None) -> Counter[tuple[str, str]]:
    """(kind, recipient) of the messages in the mailbox, counted."""
    with app.app_context():
        query = select(Notification.kind, MailboxMessage.recipient).join(
            MailboxMessage, MailboxMessage.notification_id == Notification.id
        )
        if ticket_id is not None:
            query = query.where(Notification.ticket_id == ticket_id)
        if kinds is not None:
            query = query.where(Notification.kind.in_(kinds))
        return Counter((kind, recipient) for kind, recipient in db.session.execute(query))


def events(app: Flask, ticket_id: int, action: str) -> list[TicketEvent]:
    with app.app_context():
        found = list(
            db.session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id, TicketEvent.action == action)
                .order_by(TicketEvent.id)
            )
        )
        db.session.expunge_all()
        return found


def each(kind: str, people: list[str]) -> Counter[tuple[str, str]]:
    return Counter((kind, person) for person in people)


# --- reminders and escalations ---------------------------------------------------------------


def test_each_reminder_and_escalation_is_sent_once_however_often_the_sweep_runs(
    app: Flask, monday: date, sweep: Sweep
) -> None:
    ticket_id = accepted(app, at(monday, 0))  # due at the end of Monday two weeks later
    staff_messages = (*REMINDERS, "escalated")

    sweep(at(monday, 9, 12))
    assert delivered(app, ticket_id, staff_messages) == Counter(), "not yet two working days before"

    # Thursday, two working days before the due day, from 07:00: each officer once.
    assert sweep(at(monday, 10, 6, 59)) is not None
    assert delivered(app, ticket_id, staff_messages) == Counter()
    sweep(at(monday, 10, 7))
    sweep(at(monday, 10, 7))
    sweep(at(monday, 11, 9))
    assert delivered(app, ticket_id, staff_messages) == each("remind_before", OFFICERS)

    # The due day: the later rung, once; the earlier one is not sent again.
    sweep(at(monday, 14, 7))
    sweep(at(monday, 14, 16))
    assert delivered(app, ticket_id, staff_messages) == each("remind_before", OFFICERS) + each("remind_due", OFFICERS)

    # Overdue: escalated to the department's heads, three working days later to the leader.
    first, second = sweep(at(monday, 15, 9)), sweep(at(monday, 15, 9))
    assert first is not None and second is not None
    assert (first["escalated"], second["escalated"]) == (1, 0)
    sweep(at(monday, 17, 23))
    assert [e.payload["level"] for e in events(app, ticket_id, "escalate")] == ["head"]
    sweep(at(monday, 18, 9))
    sweep(at(monday, 18, 9))
    sweep(at(monday, 25, 9))
    escalations = events(app, ticket_id, "escalate")
    assert [(e.payload["level"], e.actor_role, e.actor_id) for e in escalations] == [
        ("head", "system", None),
        ("leader", "system", None),
    ]
    assert delivered(app, ticket_id, staff_messages) == (
        each("remind_before", OFFICERS)
        + each("remind_due", OFFICERS)
        + each("escalated", HEADS)
        + each("escalated", ["leader@example.org"])
    )
    with app.app_context():
        assert db.session.get_one(Ticket, ticket_id).escalation == "leader"


def test_a_sweep_that_first_runs_on_the_due_day_sends_only_the_due_days_reminder(
    app: Flask, monday: date, sweep: Sweep
) -> None:
    ticket_id = accepted(app, at(monday, 0))
    sweep(at(monday, 14, 8))
    assert delivered(app, ticket_id, REMINDERS) == each("remind_due", OFFICERS)


def test_reminders_go_to_whoever_holds_the_ticket_and_not_while_the_submitter_is_asked(
    app: Flask, monday: date, sweep: Sweep
) -> None:
    unassigned, assigned, waiting = (accepted(app, at(monday, 0)) for _ in range(3))
    with app.app_context():
        assign_ticket(
            staff("head.sxd@example.org"), assigned, staff("officer2.sxd@example.org").id, now=at(monday, 0, 10)
        )
        request_information(staff("officer.sxd@example.org"), waiting, "Xin ảnh chụp hiện trường.", now=at(monday, 1))
    sweep(at(monday, 10, 7))
    sweep(at(monday, 14, 7))
    sweep(at(monday, 15, 9))
    # While nobody has it, the department's officers; once assigned, the assignee alone.
    assert delivered(app, unassigned, REMINDERS) == each("remind_before", OFFICERS) + each("remind_due", OFFICERS)
    assert delivered(app, assigned, REMINDERS) == each("remind_before", OFFICERS[1:]) + each("remind_due", OFFICERS[1:])
    # The clock is stopped while waiting for the submitter: no reminder, no escalation.
    assert delivered(app, waiting) == Counter()
    assert events(app, waiting, "escalate") == []
    assert len(events(app, unassigned, "escalate")) == len(events(app, assigned, "escalate")) == 1


def test_before_it_is_accepted_the_reminders_go_to_intake(
    app: Flask, monday: date, sweep: Sweep, make_ticket: Callable[..., int]
) -> None:
    """The routed department cannot accept or reject; intake classifies within two working days."""
    ticket_id = make_ticket(now=at(monday, 0))
    sweep(at(monday, 0, 10))
    sweep(at(monday, 2, 8))
    intake = ["intake@example.org"]
    assert delivered(app, ticket_id, REMINDERS) == each("remind_before", intake) + each("remind_due", intake)


# --- progress updates ------------------------------------------------------------------------


def test_a_progress_update_is_owed_after_seven_working_days_without_contact(
    app: Flask, monday: date, sweep: Sweep
) -> None:
    silent, updated, waiting = (accepted(app, at(monday, 0), email=f"citizen{n}@example.com") for n in range(3))
    with app.app_context():
        officer = staff("officer.sxd@example.org")
        request_information(officer, waiting, "Xin cho biết vị trí chính xác.", now=at(monday, 1))
        post_progress_update(officer, updated, "Đã cử cán bộ khảo sát hiện trường.", now=at(monday, 8))
        due = db.session.get_one(Ticket, silent).resolve_due
        assert due is not None

    def automatic(ticket_id: int) -> list[TicketEvent]:
        return [e for e in events(app, ticket_id, "progress_update") if e.actor_role == "system"]

    # Seven working days after Monday is the end of Wednesday of the next week.
    sweep(at(monday, 9, 23, 59))
    assert not any(automatic(t) for t in (silent, updated, waiting))
    first, second = sweep(at(monday, 10, 8)), sweep(at(monday, 10, 8))
    assert first is not None and second is not None
    assert (first["progress_updates"], second["progress_updates"]) == (1, 0)
    [posted] = automatic(silent)
    assert (posted.actor_id, posted.payload["automatic"], posted.is_public) == (None, True, True)
    assert posted.reason == (
        "Your submission is still being handled by Department of Construction. "
        f"The answer is due by {due.astimezone(TIMEZONE):%d/%m/%Y}."
    )
    assert delivered(app, silent, ["progress"]) == each("progress", ["citizen0@example.com"])
    with app.app_context():
        [message] = db.session.scalars(
            select(MailboxMessage)
            .where(MailboxMessage.recipient == "citizen0@example.com")
            .join(Notification, Notification.id == MailboxMessage.notification_id)
            .where(Notification.kind == "progress")
        ).all()
        assert posted.reason in message.body

    # The staff's own update on Tuesday counted: theirs is owed at the end of the next Thursday.
    assert automatic(updated) == []
    assert delivered(app, updated, ["progress"]) == each("progress", ["citizen1@example.com"]), "the staff's own"
    sweep(at(monday, 17, 20))
    assert automatic(updated) == []
    sweep(at(monday, 18, 8))
    assert len(automatic(updated)) == 1
    assert delivered(app, updated, ["progress"]) == each("progress", ["citizen1@example.com"] * 2)
    # The next one for the silent ticket is counted from the automatic one.
    assert len(automatic(silent)) == 1
    # Waiting for the submitter's answer: the department owes nothing.
    assert automatic(waiting) == []
    assert delivered(app, waiting, ["progress"]) == Counter()


# --- rating ----------------------------------------------------------------------------------


def test_an_unrated_answer_gets_one_reminder_and_is_closed_by_the_system(
    app: Flask, monday: date, sweep: Sweep
) -> None:
    unrated, rated = (accepted(app, at(monday, 0), email=f"citizen{n}@example.com") for n in range(2))
    with app.app_context():
        for ticket_id in (unrated, rated):
            resolve_ticket(staff("officer.sxd@example.org"), ticket_id, "Đã vá ổ gà.", now=at(monday, 0, 10))
        # Not satisfied: the ticket stays open for a reopening.
        rate_ticket(db.session.get_one(Ticket, rated), "not_satisfied", "Vá chưa kỹ.", now=at(monday, 0, 11))

    sweep(at(monday, 3, 23))
    assert delivered(app, kinds=["rating_reminder"]) == Counter(), "three working days end on Thursday night"
    first, second = sweep(at(monday, 4, 8)), sweep(at(monday, 4, 8))
    assert first is not None and second is not None
    assert (first["rating_reminders"], second["rating_reminders"]) == (1, 0)
    sweep(at(monday, 11, 8))
    assert delivered(app, kinds=["rating_reminder"]) == each("rating_reminder", ["citizen0@example.com"])

    sweep(at(monday, 14, 23))
    assert events(app, unrated, "close") == []
    first, second = sweep(at(monday, 15, 8)), sweep(at(monday, 15, 8))
    assert first is not None and second is not None
    assert (first["closed"], second["closed"]) == (2, 0)
    closes = {t: [(e.actor_role, e.payload["why"]) for e in events(app, t, "close")] for t in (unrated, rated)}
    assert closes == {unrated: [("system", "not_rated")], rated: [("system", "not_reopened")]}
    assert delivered(app, kinds=["closed", "rating_reminder"]) == (
        each("rating_reminder", ["citizen0@example.com"])
        + each("closed", ["citizen0@example.com", "citizen1@example.com"])
    )


# --- the digest ------------------------------------------------------------------------------


def test_each_head_gets_one_digest_a_working_day_of_what_is_overdue_and_due(
    app: Flask, monday: date, sweep: Sweep, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Staff messages are written in the office's language; English here, to read the lists by their headings.
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
    add_staff(app, "head.sct@example.org", Role.DEPARTMENT_HEAD, "SCT")
    overdue = accepted(app, at(monday, 0))  # due Monday of the third week
    due_today = accepted(app, at(monday, 1))  # Tuesday
    due_in_two = accepted(app, at(monday, 3))  # Thursday: the second working day from Tuesday
    later = accepted(app, at(monday, 4))  # Friday
    with app.app_context():
        codes = {t: db.session.get_one(Ticket, t).code for t in (overdue, due_today, due_in_two, later)}

    sweep(at(monday, 8, 8))
    assert delivered(app, kinds=["digest"]) == Counter(), "nothing due within two working days"

    tuesday = 15
    sweep(at(monday, tuesday, 6, 59))
    assert delivered(app, kinds=["digest"]) == Counter(), "not before 07:00"
    first, second = sweep(at(monday, tuesday, 7)), sweep(at(monday, tuesday, 11))
    assert first is not None and second is not None
    assert (first["digests"], second["digests"]) == (2, 0)
    assert delivered(app, kinds=["digest"]) == each("digest", HEADS), "not to heads with nothing due"
    with app.app_context():
        digests = db.session.execute(
            select(Notification.params, MailboxMessage.subject, MailboxMessage.body)
            .join(MailboxMessage, MailboxMessage.notification_id == Notification.id)
            .where(Notification.kind == "digest")
        ).all()
    for params, subject, body in digests:
        assert (params["overdue"], params["due"]) == ([overdue], [due_today, due_in_two])
        assert subject == "Your department today: 1 overdue, 2 due soon"
        overdue_part, due_part = body.split("Due within two working days")
        assert codes[overdue] in overdue_part and codes[due_today] not in overdue_part
        assert codes[due_today] in due_part and codes[due_in_two] in due_part
        assert codes[later] not in body

    sweep(at(monday, tuesday + 1, 7))
    assert delivered(app, kinds=["digest"]) == each("digest", HEADS * 2), "the next working day, again"
    sweep(at(monday, 19, 9))  # Saturday
    sweep(at(monday, 20, 9))  # Sunday
    assert delivered(app, kinds=["digest"]) == each("digest", HEADS * 2), "none at the weekend"


def test_no_digest_on_a_public_holiday(app: Flask, database: None, sweep: Sweep) -> None:
    calendar = WorkingCalendar()
    holiday = local_date(utcnow()) + timedelta(days=2)
    while holiday.weekday() >= 5 or calendar.is_working_day(holiday):
        holiday += timedelta(days=1)
    after = calendar.shift_working_days(holiday, 1)
    accepted(app, at(holiday, -40), plain_weeks=False)
    sweep(at(holiday, 0, 8))
    assert delivered(app, kinds=["digest"]) == Counter()
    sweep(at(after, 0, 8))
    assert delivered(app, kinds=["digest"]) == each("digest", ["head.sxd@example.org"])


# --- one sweep at a time, in batches ---------------------------------------------------------


def test_the_sweep_does_nothing_while_another_holds_its_lock(
    app: Flask, redis: Redis, monday: date, sweep: Sweep
) -> None:
    late = accepted(app, at(monday, 0))
    lock = redis.lock("pakn:lock:sweep-deadlines", timeout=60)
    assert lock.acquire(blocking=False)
    assert sweep(at(monday, 25, 9)) is None
    with app.app_context():
        assert sweep_deadlines() is None
    assert events(app, late, "escalate") == [] and delivered(app, late) == Counter()
    lock.release()
    result = sweep(at(monday, 25, 9))
    assert result is not None and result["escalated"] == 1
    assert redis.get("pakn:lock:sweep-deadlines") is None, "released after the run"


def test_every_late_ticket_is_escalated_once_whatever_the_batch_size(
    app: Flask, monday: date, sweep: Sweep, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(escalation, "BATCH", 3)
    late = [accepted(app, at(monday, 0)) for _ in range(8)]
    first, second = sweep(at(monday, 25, 9)), sweep(at(monday, 25, 9))
    assert first is not None and second is not None
    assert (first["escalated"], second["escalated"]) == (8, 0)
    for ticket_id in late:
        assert [e.payload["level"] for e in events(app, ticket_id, "escalate")] == ["leader"]
        assert delivered(app, ticket_id, ["escalated"]) == each("escalated", ["leader@example.org"])
