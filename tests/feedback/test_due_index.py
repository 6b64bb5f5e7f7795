"""The due-work index (feedback/services/deadlines/due.py): the sweep's cost follows what is due,
not how many tickets are stored, and a change to the calendar moves every waiting instant."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Flask
from sqlalchemy import insert, select

from feedback.extensions import db
from feedback.models import Rating, Ticket, TicketEvent, User
from feedback.services.deadlines import automatic
from feedback.services.deadlines.calendar import add_calendar_exception
from feedback.services.handling.actions import resolve_ticket
from feedback.services.submitters.board import follow_ticket
from feedback.services.submitters.responses import rate_ticket
from tests.feedback.deadline_sweep import Sweep, accepted, at, staff
from tests.feedback.deadline_sweep import monday as monday
from tests.feedback.deadline_sweep import sweep as sweep
from tests.support.counting import counting

COPIES = 1000


def sweep_statements(app: Flask, sweep: Sweep, when: datetime) -> tuple[list[str], dict[str, int] | None]:
    with app.app_context():
        connection = db.engines[None]
    with counting(connection) as counts:
        done = sweep(when)
    return [sql for sql in counts.statements if "ticket" in sql], done


def answered_and_rated_unhappy(app: Flask, when: datetime) -> int:
    """Resolved and rated "not satisfied": it stays resolved (the submitter may still reopen it)
    and waits only for its closing day."""
    ticket_id = accepted(app, when)
    with app.app_context():
        resolve_ticket(staff("officer.sxd@example.org"), ticket_id, "Đã sửa xong mặt đường.", now=when)
        rate_ticket(db.session.get_one(Ticket, ticket_id), "not_satisfied", "Chưa ổn", now=when)
    return ticket_id


def copies_of(app: Flask, ticket_id: int, count: int) -> list[int]:
    """`count` more tickets stored exactly as this one, with its history and rating: what years
    of answered tickets leave in the tables."""
    with app.app_context():
        table = Ticket.__table__
        row = dict(db.session.execute(select(table).where(table.c.id == ticket_id)).mappings().one())
        row.pop("id")
        copies = [{**row, "code": f"{row['code'][:4]}-C{number:04d}"} for number in range(count)]
        ids = db.session.execute(insert(table).returning(table.c.id), copies).scalars().all()
        events = TicketEvent.__table__
        # In the order they happened: replaying a history checks its first step.
        found = db.session.execute(
            select(events).where(events.c.ticket_id == ticket_id).order_by(events.c.id)
        ).mappings()
        history = [dict(e) for e in found]
        db.session.execute(
            insert(events),
            [{**{k: v for k, v in e.items() if k != "id"}, "ticket_id": i} for i in ids for e in history],
        )
        rating = db.session.scalars(select(Rating).where(Rating.ticket_id == ticket_id)).one()
        db.session.execute(
            insert(Rating.__table__),
            [{"ticket_id": i, "level": rating.level, "comment": "", "created_at": rating.created_at} for i in ids],
        )
        db.session.commit()
        return list(ids)


def test_the_idle_sweep_reads_no_more_for_a_thousand_more_answered_tickets(
    app: Flask, monday: date, sweep: Sweep
) -> None:
    answered = answered_and_rated_unhappy(app, at(monday, 0))
    accepted(app, at(monday, 0, 10))
    assert sweep(at(monday, 0, 11)) is not None
    before, done = sweep_statements(app, sweep, at(monday, 0, 12))
    assert done is not None and sum(done.values()) == 0, done

    copies = copies_of(app, answered, COPIES)
    after, done = sweep_statements(app, sweep, at(monday, 0, 13))
    assert len(after) == len(before), "the idle sweep's statements grew with the stored tickets"
    assert done is not None and sum(done.values()) == 0

    # Their closing day comes: each is read once, closed, and never read again.
    closing = at(monday, 16, 9)
    done = sweep(closing)
    assert done is not None and done["closed"] == COPIES + 1
    with app.app_context():
        left = db.session.execute(select(Ticket.status, Ticket.next_due_at).where(Ticket.id.in_(copies))).all()
    assert set(left) == {("closed", None)}


def test_a_new_holiday_makes_every_waiting_ticket_due_once_and_the_sweep_moves_its_instant(
    app: Flask, monday: date, sweep: Sweep
) -> None:
    ticket_id = accepted(app, at(monday, 0))
    with app.app_context():
        waiting = db.session.get_one(Ticket, ticket_id).next_due_at
        admin = db.session.scalars(select(User).where(User.email == "admin@example.org")).one()
        assert waiting is not None and waiting > at(monday, 0)
        # A day off in the ticket's second week: its due day and every rung move one working day on.
        add_calendar_exception(admin, monday + timedelta(days=8), working=False, note="Nghỉ bù")
        assert db.session.get_one(Ticket, ticket_id).next_due_at < waiting, "due at once"
    sweep(at(monday, 0, 12))
    with app.app_context():
        moved = db.session.get_one(Ticket, ticket_id).next_due_at
    assert moved is not None and moved.date() > waiting.date()


def followed_answers(app: Flask, when: datetime, count: int) -> None:
    """Answers left unrated, each followed by someone who hears when it closes."""
    for number in range(count):
        ticket_id = accepted(app, when)
        with app.app_context():
            follow_ticket(db.session.get_one(Ticket, ticket_id), f"theo.doi{number}@example.org")
            resolve_ticket(staff("officer.sxd@example.org"), ticket_id, "Đã sửa xong mặt đường.", now=when)


def sweep_alone(app: Flask, when: datetime) -> tuple[list[str], dict[str, int]]:
    """The sweep's own statements, without the worker delivering what it wrote."""
    with app.app_context(), counting(db.engines[None]) as counts:
        done = automatic.sweep(when)
    return [sql for sql in counts.statements if not sql.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))], done


def test_closing_a_batch_of_followed_answers_reads_their_followers_once(app: Flask, monday: date) -> None:
    followed_answers(app, at(monday, 0), 2)
    few, done = sweep_alone(app, at(monday, 16, 9))
    assert done["closed"] == 2
    followed_answers(app, at(monday, 21), 6)
    many, done = sweep_alone(app, at(monday, 37, 9))
    assert done["closed"] == 6
    # The events' INSERT is one statement a batch on PostgreSQL, one a row on SQLite.
    assert [sum("FROM ticket_follower" in sql for sql in found) for found in (few, many)] == [1, 1]
