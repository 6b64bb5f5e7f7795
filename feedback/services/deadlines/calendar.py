"""The working-day calendar: the public holidays the `holidays` package knows, and the extra
days off and make-up working days administrators add."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import holidays
from sqlalchemy import select

from feedback.background.outbox import add_job, commit_and_relay
from feedback.background.registry import REBUILD_STATISTICS
from feedback.extensions import db
from feedback.models import CalendarException, User, utcnow
from feedback.services.access import require_administrator
from feedback.services.deadlines.due import make_pending_tickets_due
from feedback.services.errors import NotFoundError
from feedback.services.reference import current
from workflows import WorkingCalendar


def working_calendar() -> WorkingCalendar:
    # An edit counts from the next request on: it changes the reference stamp.
    return current().calendar


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
    # incremental update only sees tickets that change, so compile everything again. Every
    # instant the sweep waits for moves with the working days too.
    make_pending_tickets_due(utcnow())
    add_job(REBUILD_STATISTICS)
    commit_and_relay()
