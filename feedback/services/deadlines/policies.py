"""The deadline policies per subject (the default row applies otherwise), as administrators keep
them, and the clock a ticket's deadlines are counted with."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Category, DeadlinePolicyRecord, User, utcnow
from feedback.services.access import require_administrator
from feedback.services.deadlines.due import make_pending_tickets_due
from feedback.services.errors import NotFoundError
from feedback.services.reference import Subject, as_policy, current
from workflows import Clock, DeadlinePolicy, Urgency

POLICY_FIELDS = (
    "classify_days",
    "urgent_days",
    "simple_days",
    "ordinary_days",
    "complex_days",
    "max_extension_days",
    "progress_update_every_days",
    "remind_before_days",
    "escalate_leader_after_days",
)


def policy_for(category: Category | Subject | None) -> DeadlinePolicy:
    """The category's own policy, else the default row, else DESIGN.md's defaults."""
    return current().policy(category.id if category is not None else None)


def clock_for(category: Category | Subject) -> Clock:
    return current().clock(category.id, category.urgency)


def default_policy_record() -> DeadlinePolicyRecord | None:
    return db.session.scalars(
        select(DeadlinePolicyRecord).where(DeadlinePolicyRecord.category_id.is_(None))
    ).first()


def _own_policy(category: Category) -> DeadlinePolicyRecord | None:
    return db.session.scalars(
        select(DeadlinePolicyRecord).where(DeadlinePolicyRecord.category_id == category.id)
    ).one_or_none()


@dataclass(frozen=True)
class CategoryPolicy:
    category: Category
    policy: DeadlinePolicy
    own: bool


def category_policy_records() -> dict[int | None, DeadlinePolicyRecord]:
    """Every stored policy by category id; the default under None."""
    return {r.category_id: r for r in db.session.scalars(select(DeadlinePolicyRecord))}


def category_policies() -> list[CategoryPolicy]:
    records = category_policy_records()
    default = as_policy(records.get(None))
    return [
        CategoryPolicy(c, as_policy(records[c.id]) if c.id in records else default, c.id in records)
        for c in db.session.scalars(select(Category).order_by(Category.id))
    ]


def save_policy(
    actor: User, category_id: int | None, values: dict[str, int], urgency: str | None = None
) -> DeadlinePolicyRecord:
    """Store the default policy (no category) or a category's own; the engine checks the
    values (ValueError for an impossible policy) before anything is written."""
    require_administrator(actor)
    category = db.session.get(Category, category_id) if category_id is not None else None
    if category_id is not None and category is None:
        raise NotFoundError("category")
    as_policy(DeadlinePolicyRecord(**{name: values[name] for name in POLICY_FIELDS}))
    record = (_own_policy(category) if category else default_policy_record()) or DeadlinePolicyRecord(
        category=category
    )
    for name in POLICY_FIELDS:
        setattr(record, name, values[name])
    if category is not None and urgency is not None:
        category.urgency = Urgency(urgency).value
    db.session.add(record)
    # The ladder's rungs and the progress updates move with the policy.
    make_pending_tickets_due(utcnow())
    db.session.commit()
    return record


def use_default_policy(actor: User, category_id: int) -> None:
    require_administrator(actor)
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFoundError("category")
    record = _own_policy(category)
    if record is not None:
        db.session.delete(record)
        make_pending_tickets_due(utcnow())
        db.session.commit()
