"""Changing a ticket's status: always through the workflow engine, always with an event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feedback.extensions import db
from feedback.models import Ticket, TicketEvent, User
from workflows import Action, Role, Status, transition


def apply_action(
    ticket: Ticket,
    action: Action,
    *,
    actor: User | None,
    role: Role,
    now: datetime,
    reason: str | None = None,
    payload: dict[str, Any] | None = None,
    is_public: bool = True,
) -> TicketEvent:
    """Check the move with the engine (which raises on an illegal one) and record it."""
    previous = Status(ticket.status)
    ticket.status = transition(previous, action, role, reason=reason)
    return record_event(
        ticket,
        action,
        from_status=previous,
        actor=actor,
        role=role,
        now=now,
        reason=reason,
        payload=payload,
        is_public=is_public,
    )


def record_event(
    ticket: Ticket,
    action: Action,
    *,
    from_status: Status | None,
    actor: User | None,
    role: Role,
    now: datetime,
    reason: str | None = None,
    payload: dict[str, Any] | None = None,
    is_public: bool = True,
) -> TicketEvent:
    event = TicketEvent(
        ticket=ticket,
        action=action.value,
        from_status=from_status.value if from_status else None,
        to_status=ticket.status,
        actor_id=actor.id if actor else None,
        actor_role=role.value,
        reason=reason,
        payload=payload or {},
        is_public=is_public,
        created_at=now,
    )
    db.session.add(event)
    return event
