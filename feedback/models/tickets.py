"""Tickets, their append-only event log and their ratings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, String, Text, func
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import db
from feedback.models.org import Area, Category, Department, RoutingRule
from feedback.models.types import UTCDateTime, utcnow
from feedback.models.users import User


class Ticket(db.Model):
    __table_args__ = (Index("ix_ticket_department_status_due", "department_id", "status", "resolve_due"),)

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

    submitter_name: Mapped[str] = mapped_column(String(200), default="")
    submitter_email: Mapped[str] = mapped_column(String(200), default="")

    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    routing_rule_id: Mapped[int | None] = mapped_column(ForeignKey("routing_rule.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    classify_due: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)

    category: Mapped[Category] = relationship()
    area: Mapped[Area] = relationship()
    department: Mapped[Department] = relationship()
    routing_rule: Mapped[RoutingRule | None] = relationship()
    assignee: Mapped[User | None] = relationship()
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id"
    )
    rating: Mapped[Rating | None] = relationship(back_populates="ticket")

    @hybrid_property
    def deadline(self) -> datetime:
        """The deadline that matters now: to classify until accepted, then to resolve."""
        return self.resolve_due or self.classify_due

    @deadline.inplace.expression
    @classmethod
    def _deadline_expression(cls) -> ColumnElement[datetime]:
        return func.coalesce(cls.resolve_due, cls.classify_due)


class TicketEvent(db.Model):
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


class Rating(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), unique=True)
    level: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="rating")
