"""Tickets, their append-only event log, ratings, attachments and followers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import Model
from feedback.models.org import Area, Category, Department, RoutingRule
from feedback.models.types import UTCDateTime, utcnow
from feedback.models.users import User


class Ticket(Model):
    __table_args__ = (
        Index(
            "ix_ticket_next_due_at",
            "next_due_at",
            "id",
            sqlite_where=text("next_due_at IS NOT NULL"),
            postgresql_where=text("next_due_at IS NOT NULL"),
        ),
        Index("ix_ticket_department_status_due", "department_id", "status", "resolve_due"),
        # The inbox (feedback/services/inbox.py): its pages walk the open tickets in deadline
        # order, testing visibility and the common filters on the index before reading a row.
        # The status list must be written exactly as the inbox query renders it (same order),
        # or SQLite will not use this partial index.
        Index(
            "ix_ticket_open_deadline",
            text("coalesce(resolve_due, classify_due)"),
            "id",
            "status",
            "department_id",
            "assignee_id",
            "category_id",
            "paused_at",
            sqlite_where=text(
                "status IN ('submitted', 'accepted', 'in_progress', 'waiting_for_submitter', 'reopened')"
            ),
            postgresql_where=text(
                "status IN ('submitted', 'accepted', 'in_progress', 'waiting_for_submitter', 'reopened')"
            ),
        ),
        # ... and its counts (matching, overdue, due soon) are read from this index alone.
        Index(
            "ix_ticket_inbox_counts",
            "status",
            "department_id",
            "assignee_id",
            "category_id",
            "paused_at",
            "resolve_due",
            "classify_due",
        ),
        # The dashboard's list of tickets received in a period, newest first, and its count,
        # filtered by their dimensions on the index alone.
        Index("ix_ticket_received", "submitted_at", "id", "department_id", "category_id", "area_id", "channel", "kind"),
        # Staff find a ticket by the submitter's email or phone.
        Index("ix_ticket_submitter_email", "submitter_email"),
        Index("ix_ticket_submitter_phone", "submitter_phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(30), index=True)

    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    address: Mapped[str] = mapped_column(String(300), default="")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)

    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Answers to the category's extra fields, by field code.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A photo's address given by an Open311 client; linked to, never fetched.
    media_url: Mapped[str] = mapped_column(String(2000), default="", server_default="")

    submitter_type: Mapped[str] = mapped_column(String(20), default="citizen")
    submitter_name: Mapped[str] = mapped_column(String(200), default="")
    submitter_email: Mapped[str] = mapped_column(String(200), default="")
    submitter_phone: Mapped[str] = mapped_column(String(30), default="")
    business_name: Mapped[str] = mapped_column(String(200), default="")
    tax_code: Mapped[str] = mapped_column(String(14), default="")
    notify_by: Mapped[str] = mapped_column(String(10), default="email")
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    is_public: Mapped[bool] = mapped_column(default=True)
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    # When and to which text of the privacy notice the submitter agreed (Decree 13/2023).
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_version: Mapped[str] = mapped_column(String(20), default="")

    # Lower-case text without diacritics, so "duong" finds "đường" on every database.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Hash of the normalised title and description: the same text twice in minutes is one ticket.
    fingerprint: Mapped[str] = mapped_column(String(64), default="", index=True)

    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    routing_rule_id: Mapped[int | None] = mapped_column(ForeignKey("routing_rule.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)

    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    classify_due: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set while waiting for the submitter: the resolve clock is stopped from then.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    transfer_count: Mapped[int] = mapped_column(default=0)
    # Working days of the one extension allowed; 0 while not extended.
    extension_days: Mapped[int] = mapped_column(default=0)
    reopen_count: Mapped[int] = mapped_column(default=0)
    # The last progress update told to the submitter.
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How far the lateness of the current deadline went up: "", "head" or "leader".
    escalation: Mapped[str] = mapped_column(String(10), default="")
    # No transfer left: the department asked a leader to decide who handles it.
    decision_requested: Mapped[bool] = mapped_column(default=False)
    # The answer being written, before it is published; and where its approval stands.
    draft_answer: Mapped[str | None] = mapped_column(Text)
    answer_state: Mapped[str] = mapped_column(String(20), default="")
    answer: Mapped[str | None] = mapped_column(Text)
    # When the deadline sweep must next look at it (feedback/services/deadlines/due.py); None
    # when nothing can fall due before another step. The sweep reads only what is due.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[Category] = relationship()
    area: Mapped[Area] = relationship()
    department: Mapped[Department] = relationship()
    routing_rule: Mapped[RoutingRule | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    submitter: Mapped[User | None] = relationship(foreign_keys=[submitter_id])
    events: Mapped[list[TicketEvent]] = relationship(back_populates="ticket", order_by="TicketEvent.id")
    ratings: Mapped[list[Rating]] = relationship(back_populates="ticket", order_by="Rating.id")
    # After a reopening the earlier rating is kept but superseded: only the current one counts.
    rating: Mapped[Rating | None] = relationship(
        primaryjoin="and_(Rating.ticket_id == Ticket.id, Rating.superseded.is_(False))",
        viewonly=True,
    )
    attachments: Mapped[list[Attachment]] = relationship(back_populates="ticket", order_by="Attachment.id")
    contributions: Mapped[list[Contribution]] = relationship(back_populates="ticket", order_by="Contribution.id")

    @hybrid_property
    def deadline(self) -> datetime:
        """The deadline that matters now: to classify until accepted, then to resolve."""
        return self.resolve_due or self.classify_due

    @deadline.inplace.expression
    @classmethod
    def _deadline_expression(cls) -> ColumnElement[datetime]:
        return func.coalesce(cls.resolve_due, cls.classify_due)


class TicketEvent(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_role: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_public: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class Rating(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    superseded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="ratings")


class Attachment(Model):
    """A file a submitter or officer attached; the bytes live outside `static/`, under `storage_key`."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_event.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")
    event: Mapped[TicketEvent | None] = relationship()


class TicketFollower(Model):
    """Someone affected by the same problem who follows a published ticket instead of filing again."""

    __table_args__ = (UniqueConstraint("ticket_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    email: Mapped[str] = mapped_column(String(200))
    # The language of the page they followed from: their messages are written in it.
    language: Mapped[str] = mapped_column(String(5), default="vi")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship()


class Contribution(Model):
    """The lead department's request to a cooperating department, with its own deadline; the
    lead department still owns the answer."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    request: Mapped[str] = mapped_column(Text)
    due: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship(back_populates="contributions")
    department: Mapped[Department] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
