"""The province's structure: areas, departments, categories and routing rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import Model


class Area(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)

    parent: Mapped[Area | None] = relationship(remote_side=[id])

    def path(self) -> list[Area]:
        """From the root of the tree down to this area."""
        chain: list[Area] = []
        node: Area | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain[::-1]


class Department(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    email: Mapped[str | None] = mapped_column(String(200))
    is_intake: Mapped[bool] = mapped_column(default=False)
    external: Mapped[bool] = mapped_column(default=False)
    # The head approves every answer an officer writes before it is published.
    requires_approval: Mapped[bool] = mapped_column(default=False)


class Category(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_vi: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[str] = mapped_column(String(20))
    applies_to: Mapped[str] = mapped_column(String(20), default="both")
    external: Mapped[bool] = mapped_column(default=False)
    extra_fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)


class RoutingRule(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    # Comma-separated words or phrases, one of which must be in the submission's text.
    keywords: Mapped[str] = mapped_column(String(500), default="")
    # A rule that tickets point at is switched off rather than deleted, so their history stays.
    active: Mapped[bool] = mapped_column(default=True)

    category: Mapped[Category | None] = relationship()
    area: Mapped[Area | None] = relationship()
    department: Mapped[Department] = relationship()


class DeadlinePolicyRecord(Model):
    """Working-day limits: the row without a category is the default, a category's row overrides it."""

    __tablename__ = "deadline_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), unique=True)
    classify_days: Mapped[int]
    urgent_days: Mapped[int]
    simple_days: Mapped[int]
    ordinary_days: Mapped[int]
    complex_days: Mapped[int]
    max_extension_days: Mapped[int]
    progress_update_every_days: Mapped[int]
    remind_before_days: Mapped[int]
    escalate_leader_after_days: Mapped[int]

    category: Mapped[Category | None] = relationship()


class CalendarException(Model):
    """A day the `holidays` package gets wrong for this province: an extra day off, or a make-up
    working day (a Saturday worked in exchange for a bridge day)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    working: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")


class AnswerTemplate(Model):
    """A standard answer staff start from; for one subject, or for any when it has none."""

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    language: Mapped[str] = mapped_column(String(5), default="vi")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)

    category: Mapped[Category | None] = relationship()


class ReferenceVersion(Model):
    """One row whose stamp database triggers change with any change to the tables above (migration
    0009): each process's cached copy of them is good while the stamp it was read with stands."""

    id: Mapped[int] = mapped_column(primary_key=True)
    stamp: Mapped[int] = mapped_column(BigInteger)
