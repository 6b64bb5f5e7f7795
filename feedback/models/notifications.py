"""Messages owed to submitters, followers and staff, and the development mailbox.

A notification row is written in the same transaction as the change that causes it, and is the
record of whether the message went out: jobs and sweeps only ever move it forward.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import Model
from feedback.models.tickets import Ticket
from feedback.models.types import UTCDateTime, utcnow
from feedback.models.users import User

# pending: to send (again); sending: handed to the server, not yet confirmed; sent;
# failed: refused for good or out of attempts; uncertain: the worker died after handing the
# message over, so it may have arrived — an administrator decides, it is never resent by itself.
NOTIFICATION_STATUSES = ("pending", "sending", "sent", "failed", "uncertain")


class Notification(Model):
    __table_args__ = (
        # The delivery sweep's query: what is pending and due.
        Index("ix_notification_status_retry_at", "status", "retry_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The idempotency key: one message per key, however often a service or sweep asks for it.
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="vi")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the sweep should enqueue it if it is still pending (a lost job, a retry's backoff).
    retry_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # While a worker holds it; another worker may take it only once this has passed.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket | None] = relationship()
    user: Mapped[User | None] = relationship()


class MailboxMessage(Model):
    """A message kept instead of sent (the development mailbox), exactly as it would have gone."""

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), unique=True)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(200), index=True)
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
