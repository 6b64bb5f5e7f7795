"""Reading the indicators from the rollups (feedback/services/rollups.py compiles them).

Every function here reads `stat_rollup` only, never the tickets: the dashboard and the public
page cost the same with a thousand tickets or a million. The one exception is
`received_tickets`, the last step of the dashboard's drill-down: one page of the tickets
behind a row of figures.

A period is a run of whole months. Flows (received, resolved, ratings…) are summed over it;
`backlog` and `overdue` are positions: the open, and the open and overdue, work at its end
(for the current month, as of the last statistics run).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, TypeVar

from sqlalchemy import Integer, SQLColumnExpression, Text, case, cast, func, select, true
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import ColumnElement

from feedback.extensions import db
from feedback.models import EVERY, Area, Category, Department, StatRollup, StatState, Ticket, User, utcnow
from feedback.services.access import require_dashboard, visible_tickets
from feedback.services.errors import NotFoundError
from workflows import OPEN, Status
from workflows.calendar import TIMEZONE
from workflows.indicators import COUNTERS, Totals

# The provincial plans' target: more than 90% satisfied (DESIGN.md).
SATISFACTION_TARGET = 0.9
ON_TIME_TARGET = 0.9
POSITIONS = ("backlog", "overdue")
FLOWS = tuple(name for name in COUNTERS if name not in POSITIONS)

# Three years: longer comparisons belong in the yearly open data, not on one page.
MAX_MONTHS = 36

Dimension = Literal["department", "category", "area"]
_COLUMN = {"department": "department_id", "category": "category_id", "area": "area_id"}
Member = Department | Category | Area
_MODEL: dict[str, type[Member]] = {
    "department": Department,
    "category": Category,
    "area": Area,
}
# Rows keep their model's type through a type variable; over the union, select() gives the common base.
_M = TypeVar("_M", bound=Member)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def week_start(day: date) -> date:
    """The Monday of the day's week, as the weekly rollups are keyed."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class StatFilters:
    """Whole months from `first` to `last` (first days of months), and the optional slices."""

    first: date
    last: date
    channel: str | None = None
    kind: str | None = None
    department_id: int | None = None
    category_id: int | None = None
    area_id: int | None = None

    @property
    def months(self) -> int:
        return months_between(self.first, self.last)

    @property
    def last_day(self) -> date:
        return add_months(self.last, 1) - timedelta(days=1)

    def previous(self) -> StatFilters:
        """The same number of months just before."""
        return replace(self, first=add_months(self.first, -self.months), last=add_months(self.first, -1))


def _cube(filters: StatFilters, by: Dimension | None) -> str:
    """The coarsest cube that holds the slices asked for."""
    by_area = by == "area" or filters.area_id is not None
    by_pair = filters.department_id is not None or filters.category_id is not None or by in ("department", "category")
    if by_area:
        return "dca" if by_pair else "a"
    return "dc" if by_pair else "t"


def where_rollups(filters: StatFilters, cube: str, grain: str) -> list[ColumnElement[bool]]:
    """The rows of a cube and grain that the filters' slices sum to (the period aside)."""
    conditions = [StatRollup.cube == cube, StatRollup.grain == grain]
    if not filters.channel and not filters.kind:
        conditions += [StatRollup.channel == EVERY, StatRollup.kind == EVERY]
    # Rows of one channel or kind are never EVERY's: a filter on either keeps them out.
    for name in ("channel", "kind"):
        if getattr(filters, name):
            conditions.append(getattr(StatRollup, name) == getattr(filters, name))
    for name in ("department_id", "category_id", "area_id"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(getattr(StatRollup, name) == value)
    return conditions


def sums(names: Sequence[str], since: date | None = None) -> list[ColumnElement[Any]]:
    """SUM of each counter, or only of the rows from the period `since` on."""
    if since is None:
        return [func.coalesce(func.sum(getattr(StatRollup, name)), 0) for name in names]
    return [
        func.coalesce(func.sum(case((StatRollup.period >= since, getattr(StatRollup, name)), else_=0)), 0)
        for name in names
    ]


def handling_sums(
    group: Sequence[SQLColumnExpression[Any]], where: Sequence[ColumnElement[bool]]
) -> Iterator[tuple[tuple[Any, ...], int, int]]:
    """Answers per handling time in working days, summed by the database over the rows (read
    and merged here, the histograms of a long period cost more than the rest of a page):
    (the group's values, days, answers)."""
    entry = func.json_each(StatRollup.handling).table_valued("key", "value").alias("entry")
    days = cast(entry.c.key, Integer)
    # The value is JSON on PostgreSQL and a number on SQLite: through text, a number on both.
    answers = func.sum(cast(cast(entry.c.value, Text), Integer))
    rows = db.session.execute(
        select(*group, days, answers)
        .select_from(StatRollup)
        .join(entry, true())
        .where(*where, StatRollup.resolved != 0)
        .group_by(*group, days)
    )
    for *key, day, count in rows:
        yield tuple(key), day, count


def _grouped(filters: StatFilters, by: Dimension | None) -> dict[int | None, Totals]:
    """Totals per value of `by` (or one total under None) for the filters' period: flows summed
    over the period and positions over everything before its end, in one pass."""
    cube = _cube(filters, by)
    where = where_rollups(filters, cube, "m")
    group = [getattr(StatRollup, _COLUMN[by])] if by else []
    active = func.sum(case((StatRollup.period >= filters.first, 1), else_=0))
    totals: dict[int | None, Totals] = {}
    rows = db.session.execute(
        select(*group, active, *sums(FLOWS, filters.first), *sums(POSITIONS))
        .where(*where, StatRollup.period <= filters.last)
        .group_by(*group)
    )
    for row in rows:
        key = row[0] if by else None
        in_period, values = row[len(group)], row[len(group) + 1 :]
        flows, positions = values[: len(FLOWS)], values[len(FLOWS) :]
        # Present: whatever had rows in the period, or open work at its end.
        if in_period or any(positions):
            counts = {**dict(zip(FLOWS, flows, strict=True)), **dict(zip(POSITIONS, positions, strict=True))}
            totals[key] = Totals.of(counts)
    period = [StatRollup.period >= filters.first, StatRollup.period <= filters.last]
    for values, days, answers in handling_sums(group, [*where, *period]):
        totals.setdefault(values[0] if by else None, Totals()).handling[days] += answers
    return totals


def overall(filters: StatFilters) -> Totals:
    return _grouped(filters, None).get(None, Totals())


def breakdown(filters: StatFilters, by: Dimension) -> dict[int, Totals]:
    """Totals per department, category or area with any activity or open work."""
    return {key: totals for key, totals in _grouped(filters, by).items() if key is not None}


def members(by: Dimension, ids: Iterable[int]) -> dict[int, Member]:
    """The departments, categories or areas with these ids (the rows of a breakdown)."""
    return {member.id: member for member in _rows_with_ids(_MODEL[by], list(ids))}


def get_member(by: Dimension, member_id: int) -> Member:
    member = _row_with_id(_MODEL[by], member_id)
    if member is None:
        raise NotFoundError(by)
    return member


def _rows_with_ids(model: type[_M], ids: list[int]) -> Sequence[_M]:
    return db.session.scalars(select(model).where(model.id.in_(ids))).all()


def _row_with_id(model: type[_M], member_id: int) -> _M | None:
    return db.session.get(model, member_id)


@dataclass(frozen=True)
class Indicator:
    """One column of the indicator tables and exports: a count, a rate or a number of days."""

    key: str
    form: Literal["count", "rate", "days", "ratio"]
    target: float | None = None

    def value(self, totals: Totals) -> int | float | None:
        value: int | float | None = getattr(totals, self.key)  # Totals' counts and rates are all of these types
        return value


INDICATORS: tuple[Indicator, ...] = (
    Indicator("received", "count"),
    Indicator("accepted", "count"),
    Indicator("rejected", "count"),
    Indicator("resolved", "count"),
    Indicator("backlog", "count"),
    Indicator("overdue", "count"),
    Indicator("on_time_rate", "rate", ON_TIME_TARGET),
    Indicator("on_time_rate_national", "rate", ON_TIME_TARGET),
    Indicator("satisfaction_rate", "rate", SATISFACTION_TARGET),
    Indicator("satisfaction_rate_national", "rate", SATISFACTION_TARGET),
    Indicator("rated", "count"),
    Indicator("rating_coverage", "rate"),
    Indicator("median_days", "days"),
    Indicator("p90_days", "days"),
    Indicator("reopen_rate", "rate"),
    Indicator("transfers_per_ticket", "ratio"),
)


@dataclass(frozen=True)
class Point:
    period: date
    totals: Totals


def series(filters: StatFilters, grain: Literal["m", "w"], first: date, last: date) -> list[Point]:
    """Totals per month or per week from `first` to `last` (period starts), positions included,
    with every period present even when nothing happened in it. Weeks are kept without the
    area (see StatRollup), so a weekly series of one area is refused rather than empty."""
    if grain == "w" and filters.area_id is not None:
        raise ValueError("weekly_series_have_no_area")
    where = where_rollups(filters, _cube(filters, None), grain)
    flows: dict[date, Totals] = defaultdict(Totals)
    rows = db.session.execute(
        select(StatRollup.period, *sums(COUNTERS))
        .where(*where, StatRollup.period <= last)
        .group_by(StatRollup.period)
        .order_by(StatRollup.period)
    )
    open_work, overdue = 0, 0
    positions: dict[date, tuple[int, int]] = {}
    for period, *values in rows:
        counts = dict(zip(COUNTERS, values, strict=True))
        open_work += counts["backlog"]
        overdue += counts["overdue"]
        positions[period] = (open_work, overdue)
        if period >= first:
            flows[period].counts.update({name: counts[name] for name in FLOWS})
    in_range = [StatRollup.period >= first, StatRollup.period <= last]
    for (period,), days, answers in handling_sums([StatRollup.period], [*where, *in_range]):
        flows[period].handling[days] += answers
    points = []
    period, position = first, (0, 0)
    earlier = [p for p in positions if p < first]
    if earlier:
        position = positions[max(earlier)]
    while period <= last:
        position = positions.get(period, position)
        totals = flows.get(period, Totals())
        totals.counts["backlog"], totals.counts["overdue"] = position
        points.append(Point(period, totals))
        period = add_months(period, 1) if grain == "m" else date.fromordinal(period.toordinal() + 7)
    return points


@dataclass(frozen=True)
class Hotspot:
    key: int
    received: int
    previous: int

    @property
    def rise(self) -> int:
        return self.received - self.previous

    @property
    def rise_rate(self) -> float | None:
        return self.rise / self.previous if self.previous else None


def hotspots(filters: StatFilters, by: Literal["area", "category"], limit: int = 5, minimum: int = 3) -> list[Hotspot]:
    """Where received tickets rose most against the same number of months before: the largest
    rises first; a handful of tickets is not a hotspot."""
    before = filters.previous()
    column = getattr(StatRollup, _COLUMN[by])
    rows = db.session.execute(
        select(column, *sums(["received"], filters.first), *sums(["received"]))
        .where(
            *where_rollups(filters, _cube(filters, by), "m"),
            StatRollup.period >= before.first,
            StatRollup.period <= filters.last,
        )
        .group_by(column)
    )
    # Both periods in one pass: what came before is the whole less the period's own.
    spots = [Hotspot(key, now, both - now) for key, now, both in rows if now >= minimum]
    rising = [spot for spot in spots if spot.rise > 0]
    rising.sort(key=lambda spot: (-spot.rise, -(spot.rise_rate or float("inf")), spot.key))
    return rising[:limit]


@dataclass(frozen=True)
class Freshness:
    horizon: datetime | None
    rebuilt_at: datetime | None
    updated_at: datetime | None


def freshness() -> Freshness:
    state = db.session.get(StatState, 1)
    if state is None:
        return Freshness(None, None, None)
    return Freshness(state.horizon, state.rebuilt_at, state.updated_at)


def data_months() -> tuple[date, date] | None:
    """The first and last months with tickets received."""
    first, last = db.session.execute(
        select(func.min(StatRollup.period), func.max(StatRollup.period)).where(
            *where_rollups(StatFilters(date.min, date.max), "t", "m"), StatRollup.received != 0
        )
    ).one()
    return (first, last) if first else None


TICKETS_PER_PAGE = 50


@dataclass(frozen=True)
class ReceivedTickets:
    items: list[Ticket]
    total: int
    page: int
    pages: int
    now: datetime

    def timeliness(self, ticket: Ticket) -> str:
        """One of "on_time", "late", "overdue", "stopped", "in_time", or "" for a rejected
        ticket; judged as the indicators judge it (workflows/indicators.py): an answer against
        the resolve deadline, open work against its deadline now, and a wait for the submitter
        that began in time stopping the clock."""
        if ticket.resolved_at is not None:
            on_time = ticket.resolve_due is not None and ticket.resolved_at <= ticket.resolve_due
            return "on_time" if on_time else "late"
        if ticket.status not in OPEN:
            return ""
        waiting = ticket.status == Status.WAITING_FOR_SUBMITTER
        if waiting and ticket.paused_at is not None and ticket.paused_at <= ticket.deadline:
            return "stopped"
        return "overdue" if ticket.deadline < self.now else "in_time"


def received_tickets(
    user: User, filters: StatFilters, page: int = 1, per_page: int = TICKETS_PER_PAGE, *, now: datetime | None = None
) -> ReceivedTickets:
    """The tickets the figures of these filters count as received, newest first: received on a
    local day of the period, in their present department, category, area, channel and kind.
    One page of them; the page is clamped to exist."""
    require_dashboard(user)
    start = datetime.combine(filters.first, time(), TIMEZONE)
    end = datetime.combine(add_months(filters.last, 1), time(), TIMEZONE)
    conditions = [Ticket.submitted_at >= start, Ticket.submitted_at < end]
    for name in ("channel", "kind", "department_id", "category_id", "area_id"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(getattr(Ticket, name) == value)
    matching = visible_tickets(user).where(*conditions)
    total = db.session.scalar(matching.with_only_columns(func.count(Ticket.id)).order_by(None)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    items = db.session.scalars(
        matching.options(selectinload(Ticket.rating))
        .order_by(Ticket.submitted_at.desc(), Ticket.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return ReceivedTickets(list(items), total, page, pages, now or utcnow())
