"""The working-day calendar and the deadline policies, as administrators keep them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import holidays
from sqlalchemy import select

from feedback.background.outbox import add_job, commit_and_relay
from feedback.background.registry import REBUILD_STATISTICS
from feedback.extensions import db
from feedback.models import CalendarException, Category, DeadlinePolicyRecord, User
from feedback.services.access import require_administrator
from feedback.services.errors import NotFoundError
from workflows import Clock, DeadlinePolicy, Urgency, WorkingCalendar

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


def working_calendar() -> WorkingCalendar:
    # Read on every use: the table is small, and an edit must count from the next request on.
    rows = db.session.scalars(select(CalendarException)).all()
    return WorkingCalendar(
        extra_days_off=[row.day for row in rows if not row.working],
        extra_working_days=[row.day for row in rows if row.working],
    )


def policy_for(category: Category | None) -> DeadlinePolicy:
    """The category's own policy, else the default row, else DESIGN.md's defaults."""
    record = _own_policy(category) if category is not None else None
    return as_policy(record or default_policy_record())


def clock_for(category: Category) -> Clock:
    return Clock(working_calendar(), policy_for(category), Urgency(category.urgency))


def as_policy(record: DeadlinePolicyRecord | None) -> DeadlinePolicy:
    if record is None:
        return DeadlinePolicy()
    return DeadlinePolicy(
        classify_days=record.classify_days,
        resolve_days={
            Urgency.URGENT: record.urgent_days,
            Urgency.SIMPLE: record.simple_days,
            Urgency.ORDINARY: record.ordinary_days,
            Urgency.COMPLEX: record.complex_days,
        },
        max_extension_days=record.max_extension_days,
        progress_update_every_days=record.progress_update_every_days,
        remind_before_days=record.remind_before_days,
        escalate_leader_after_days=record.escalate_leader_after_days,
    )


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
        db.session.commit()


def calendar_exceptions(year: int | None = None) -> list[CalendarException]:
    query = select(CalendarException).order_by(CalendarException.day)
    if year is not None:
        query = query.where(CalendarException.day.between(date(year, 1, 1), date(year, 12, 31)))
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class KnownDay:
    """A day the `holidays` package changes: a public holiday (named), or a Saturday worked in
    exchange (no name)."""

    day: date
    name: str | None
    working: bool


def package_days(year: int, language: str) -> list[KnownDay]:
    """What the `holidays` package knows of a year, as the calendar uses it."""
    known = holidays.country_holidays("VN", years=year, language=language)
    # The package lists make-up Saturdays of neighbouring years too: keep this year's, as the engine does.
    days = [KnownDay(day, name, False) for day, name in known.items() if day.year == year]
    days += [KnownDay(day, None, True) for day in known.weekend_workdays if day.year == year]
    return sorted(days, key=lambda known_day: known_day.day)


class DayAlreadyListed(ValueError):
    pass


def add_calendar_exception(actor: User, day: date, working: bool, note: str) -> CalendarException:
    """An extra day off or a make-up working day. Deadlines already set keep their dates; the
    day counts for every deadline computed from now on."""
    require_administrator(actor)
    if db.session.scalar(select(CalendarException.id).where(CalendarException.day == day)) is not None:
        raise DayAlreadyListed(day.isoformat())
    exception = CalendarException(day=day, working=working, note=note)
    db.session.add(exception)
    _count_handling_times_again()
    return exception


def remove_calendar_exception(actor: User, exception_id: int) -> None:
    require_administrator(actor)
    exception = db.session.get(CalendarException, exception_id)
    if exception is None:
        raise NotFoundError("calendar exception")
    db.session.delete(exception)
    _count_handling_times_again()


def _count_handling_times_again() -> None:
    # Handling times in the statistics are counted in working days of this calendar; the
    # incremental update only sees tickets that change, so compile everything again.
    add_job(REBUILD_STATISTICS)
    commit_and_relay()
