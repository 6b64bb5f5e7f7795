"""What the deadline sweep's tests share: the sweep run as the periodic job through RQ at a chosen
moment, a plain Monday to start from, accepted tickets, and what the sweep sent and recorded.

Run twice, it sends each message once. The moments fall in plain weeks (no public holiday, no
Saturday worked in exchange) after today, so that the working days counted in the tests are the
weekdays, and every step is recent news to the notification rules."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from rq.job import Job
from sqlalchemy import select

from feedback.background.queues import get_queue, redis_connection
from feedback.demo import DEMO_PASSWORD
from feedback.extensions import db
from feedback.jobs import sweep_deadlines
from feedback.models import Area, Category, Department, MailboxMessage, Notification, TicketEvent, User, utcnow
from feedback.services.deadlines import automatic as followups
from feedback.services.deadlines import escalation
from feedback.services.handling.actions import accept_ticket
from feedback.services.intake.submissions import Submission, submit_ticket
from workflows import TIMEZONE, Role, WorkingCalendar
from workflows.calendar import end_of_day, local_date

Sweep = Callable[[datetime], dict[str, int] | None]
HEADS = ["head.sxd@example.org", "head2.sxd@example.org"]
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
