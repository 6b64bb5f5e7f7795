"""Reading the notification rows: a ticket's messages for its staff page, and the messages that
did not go out for the administrators' jobs page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from feedback.extensions import db
from feedback.models import Notification, Ticket

UNDELIVERED = ("failed", "uncertain")
UNDELIVERED_SHOWN = 200


@dataclass(frozen=True)
class TicketMessage:
    notification: Notification
    # None for a follower: they gave their address to hear the news, not for staff to read it.
    recipient: str | None


def ticket_messages(ticket: Ticket) -> list[TicketMessage]:
    """Every message the ticket caused, newest first."""
    notifications = db.session.scalars(
        select(Notification)
        .where(Notification.ticket_id == ticket.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return [
        TicketMessage(notification, None if notification.kind == "followed_update" else notification.recipient)
        for notification in notifications
    ]


def undelivered_messages(limit: int = UNDELIVERED_SHOWN) -> list[Notification]:
    """Failed and uncertain messages, newest first, with their tickets for the links."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.status.in_(UNDELIVERED))
            .options(selectinload(Notification.ticket))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )
