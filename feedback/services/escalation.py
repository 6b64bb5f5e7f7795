"""The deadline sweep: late tickets go up the ladder, to the department head and then to the
leader. Derived from the database each time, so it is idempotent and needs nothing scheduled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from feedback.background.outbox import commit_and_relay
from feedback.extensions import db
from feedback.models import Ticket, utcnow
from feedback.services.calendar import (
    as_policy,
    category_policy_records,
    working_calendar,
)
from feedback.services.events import apply_step, case_of
from workflows import (
    OPEN,
    Action,
    Clock,
    Escalation,
    Role,
    Urgency,
    case,
    escalation_due,
)


def escalate_late_tickets(now: datetime | None = None) -> int:
    """Record an escalation for every open ticket whose ladder reached a new rung; returns how
    many were escalated. A ticket at the leader's rung is not touched again."""
    now = now or utcnow()
    calendar = working_calendar()
    records = category_policy_records()
    late = db.session.scalars(
        select(Ticket)
        .where(
            Ticket.status.in_([s.value for s in OPEN]),
            Ticket.paused_at.is_(None),
            Ticket.deadline < now,
            Ticket.escalation != Escalation.LEADER.value,
        )
        .options(selectinload(Ticket.department), selectinload(Ticket.category))
        .order_by(Ticket.id)
    ).all()
    escalated = 0
    for ticket in late:
        policy = as_policy(records.get(ticket.category_id) or records.get(None))
        clock = Clock(calendar, policy, Urgency(ticket.category.urgency))
        current = case_of(ticket)
        level = escalation_due(current, clock, now)
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
