"""The deadline ladder, walked by the sweep: reminders to whoever holds a ticket before and on
its due day, then escalation to the department head and to the leader (DESIGN.md).

The sweep reads only the tickets whose `next_due_at` has come (due.py), and decides from the
database what each one needs, so a sweep run twice (or two at once) sends each reminder once and
records each escalation once; nothing waits weeks in Redis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import selectinload

from feedback.background.outbox import commit_and_relay
from feedback.extensions import db
from feedback.models import Ticket, utcnow
from feedback.services.deadlines.due import clock_of
from feedback.services.handling.events import apply_step, case_of
from feedback.services.notifications.messages import enqueue_delivery, message, officers_or_heads, staff_language, write
from workflows import OPEN, Action, Role, Rung, case, escalation_due, ladder

# Tickets are walked in batches, each committed on its own: one slow sweep must not hold a
# transaction over the backlog.
BATCH = 500
_REMINDERS = (Rung.REMIND_BEFORE, Rung.REMIND_DUE)


def escalate_late_tickets(now: datetime | None = None) -> int:
    """Record an escalation for every due ticket whose ladder reached a new rung; returns how
    many were escalated."""
    now = now or utcnow()
    return over_due(now, lambda ticket: escalate(ticket, now))


def send_reminders(now: datetime | None = None) -> int:
    """Remind whoever holds a due ticket that its due day is near or here; returns how many
    messages were written."""
    now = now or utcnow()
    return over_due(now, lambda ticket: remind(ticket, now))


def escalate(ticket: Ticket, now: datetime) -> bool:
    """Record the escalation the ticket's ladder reached, if it has not been recorded. A ticket
    at the leader's rung is not touched again."""
    if ticket.status not in OPEN or ticket.paused_at is not None:
        return False
    current = case_of(ticket)
    level = escalation_due(current, clock_of(ticket), now)
    if level is None:
        return False
    apply_step(
        ticket, Action.ESCALATE, case.escalate(current, Role.SYSTEM, level),
        actor=None, role=Role.SYSTEM, now=now,
        payload={"level": level.value, "why": "overdue", "due": current.due.isoformat()},
        is_public=False,
    )
    return True


def remind(ticket: Ticket, now: datetime) -> list[dict[str, Any]]:
    """The reminder of the latest rung reached, if it is a reminder: none once the ticket is
    overdue (escalation takes over). Returns the messages, to write with the batch's."""
    current = case_of(ticket)
    reached = [step for step in ladder(current, clock_of(ticket)) if step.at <= now]
    if not reached or reached[-1].rung not in _REMINDERS:
        return []
    rung = reached[-1].rung
    return [
        row
        for user in officers_or_heads(ticket)
        for row in message(
            f"{rung.value}:{ticket.id}:{current.due.isoformat()}:u{user.id}", rung.value, "email",
            user.email, language=staff_language(), now=now, ticket=ticket, user=user,
            params={"due": current.due.isoformat()},
        )
    ]


def open_unpaused() -> Select[Ticket]:
    return select(Ticket).where(Ticket.status.in_([s.value for s in OPEN]), Ticket.paused_at.is_(None))


def due_batches(now: datetime, *, part: int = 0, parts: int = 1) -> Iterator[list[Ticket]]:
    """The tickets whose next_due_at has come, BATCH at a time in the order of the due index,
    with what the sweep reads of them; with `parts` > 1, those whose id leaves `part`. A batch
    is handled and committed before the next is read."""
    last: tuple[datetime, int] | None = None
    while True:
        query = select(Ticket).where(Ticket.next_due_at <= now)
        if parts > 1:
            query = query.where(Ticket.id % parts == part)
        if last is not None:
            query = query.where(
                or_(Ticket.next_due_at > last[0], and_(Ticket.next_due_at == last[0], Ticket.id > last[1]))
            )
        batch = list(
            db.session.scalars(
                query.options(
                    selectinload(Ticket.department), selectinload(Ticket.assignee), selectinload(Ticket.rating),
                    # Whom the progress updates and the reminders to rate go to.
                    selectinload(Ticket.submitter),
                )
                .order_by(Ticket.next_due_at, Ticket.id)
                .limit(BATCH)
            )
        )
        if not batch:
            return
        tail = batch[-1]
        # Read before the batch is handled: handling moves next_due_at on.
        assert tail.next_due_at is not None
        last = (tail.next_due_at, tail.id)
        yield batch


def over_due(now: datetime, handle: Callable[[Ticket], bool | list[dict[str, Any]]]) -> int:
    """One kind of work over the due tickets, without moving their next_due_at on: the other
    kinds may still be owed (the sweep does them all, then moves it on). `handle` says whether
    it acted, or which messages it owes; those are written a batch at a time, and count when new."""
    done = 0
    for batch in due_batches(now):
        owed: list[dict[str, Any]] = []
        for ticket in batch:
            outcome = handle(ticket)
            if isinstance(outcome, list):
                owed += outcome
            else:
                done += outcome
        created = write(owed)
        done += len(created)
        enqueue_delivery(created)
        commit_and_relay()
    return done
