"""The deadline ladder, walked by the sweep: reminders to whoever holds a ticket before and on
its due day, then escalation to the department head and to the leader (DESIGN.md).

Everything is derived from the database each time, so a sweep run twice (or two at once)
sends each reminder once and records each escalation once; nothing waits weeks in Redis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from feedback.background.outbox import commit_and_relay
from feedback.extensions import db
from feedback.models import Ticket, utcnow
from feedback.services.handling.events import apply_step, case_of
from feedback.services.notifications.messages import create, enqueue_delivery, officers_or_heads, staff_language
from feedback.services.reference import current
from workflows import OPEN, Action, Clock, Escalation, Role, Rung, case, escalation_due, ladder

# Tickets are walked in batches, each committed on its own: one slow sweep must not hold a
# transaction over the whole backlog.
BATCH = 500
# The first reminder comes some working days before the due day; Tết can stretch those over
# more than a week of calendar days.
_REMINDER_HORIZON = timedelta(days=21)
_REMINDERS = (Rung.REMIND_BEFORE, Rung.REMIND_DUE)


def escalate_late_tickets(now: datetime | None = None) -> int:
    """Record an escalation for every open ticket whose ladder reached a new rung; returns how
    many were escalated. A ticket at the leader's rung is not touched again."""
    now = now or utcnow()
    query = open_unpaused().where(Ticket.deadline < now, Ticket.escalation != Escalation.LEADER.value)
    escalated = 0
    for batch, clocks in ticket_batches(query):
        for ticket in batch:
            current = case_of(ticket)
            level = escalation_due(current, clocks(ticket), now)
            if level is None:
                continue
            apply_step(
                ticket, Action.ESCALATE, case.escalate(current, Role.SYSTEM, level),
                actor=None, role=Role.SYSTEM, now=now,
                payload={"level": level.value, "why": "overdue", "due": current.due.isoformat()},
                is_public=False,
            )
            escalated += 1
        commit_and_relay()
    return escalated


def send_reminders(now: datetime | None = None) -> int:
    """Remind whoever holds a ticket that its due day is near or here; returns how many
    messages were written. Only the latest rung reached counts: no 'due in two days' once it
    is due, none once it is overdue (escalation takes over)."""
    now = now or utcnow()
    query = open_unpaused().where(Ticket.deadline >= now, Ticket.deadline < now + _REMINDER_HORIZON)
    written = 0
    for batch, clocks in ticket_batches(query):
        created: list[int] = []
        for ticket in batch:
            current = case_of(ticket)
            reached = [step for step in ladder(current, clocks(ticket)) if step.at <= now]
            if not reached or reached[-1].rung not in _REMINDERS:
                continue
            rung = reached[-1].rung
            for user in officers_or_heads(ticket):
                notification = create(
                    f"{rung.value}:{ticket.id}:{current.due.isoformat()}:u{user.id}", rung.value, "email",
                    user.email, language=staff_language(), now=now, ticket=ticket, user=user,
                    params={"due": current.due.isoformat()},
                )
                if notification is not None:
                    created.append(notification)
        enqueue_delivery(created)
        commit_and_relay()
        written += len(created)
    return written


def open_unpaused() -> Select[Ticket]:
    return select(Ticket).where(Ticket.status.in_([s.value for s in OPEN]), Ticket.paused_at.is_(None))


def ticket_batches(query: Select[Ticket]) -> Iterator[tuple[list[Ticket], Callable[[Ticket], Clock]]]:
    """The query's tickets by id, BATCH at a time, with a function giving each ticket's clock."""
    reference = current()

    def clock_of(ticket: Ticket) -> Clock:
        return reference.clock(ticket.category_id, ticket.category.urgency)

    last_id = 0
    while True:
        batch = list(
            db.session.scalars(
                query.where(Ticket.id > last_id)
                .options(selectinload(Ticket.department), selectinload(Ticket.category), selectinload(Ticket.assignee))
                .order_by(Ticket.id)
                .limit(BATCH)
            )
        )
        if not batch:
            return
        last_id = batch[-1].id
        yield batch, clock_of

