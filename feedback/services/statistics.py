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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import ColumnElement

from feedback.extensions import db
from feedback.models import Area, Category, Department, StatRollup, StatState, Ticket, User, utcnow
from feedback.services.access import visible_tickets
from feedback.services.errors import AccessDenied, NotFoundError
from workflows import OPEN, Role, Status
from workflows.calendar import TIMEZONE
from workflows.indicators import COUNTERS, Totals

# The provincial plans' target: more than 90% satisfied (DESIGN.md).
SATISFACTION_TARGET = 0.9
ON_TIME_TARGET = 0.9
DASHBOARD_ROLES = frozenset({Role.LEADER, Role.ADMINISTRATOR})
POSITIONS = ("backlog", "overdue")
FLOWS = tuple(name for name in COUNTERS if name not in POSITIONS)

# Three years: longer comparisons belong in the yearly open data, not on one page.
MAX_MONTHS = 36

Dimension = Literal["department", "category", "area"]
_COLUMN = {"department": "department_id", "category": "category_id", "area": "area_id"}
_MODEL: dict[str, type[Department] | type[Category] | type[Area]] = {
    "department": Department,
    "category": Category,
    "area": Area,
}


def may_read_dashboard(user: User) -> bool:
    return user.is_authenticated and user.workflow_role in DASHBOARD_ROLES


def require_dashboard(user: User) -> None:
    if not may_read_dashboard(user):
        raise AccessDenied("dashboard")


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
    if by == "area" or filters.area_id is not None:
        sliced = filters.department_id is not None or filters.category_id is not None or by in ("department", "category")
        return "dca" if sliced else "a"
    return "dc"


def _where(filters: StatFilters, cube: str, grain: str) -> list[ColumnElement[bool]]:
    conditions = [StatRollup.cube == cube, StatRollup.grain == grain]
    for name in ("channel", "kind"):
        if getattr(filters, name):
            conditions.append(getattr(StatRollup, name) == getattr(filters, name))
    for name in ("department_id", "category_id", "area_id"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(getattr(StatRollup, name) == value)
    return conditions


def _sums(names: Sequence[str]) -> list[ColumnElement[Any]]:
    return [func.coalesce(func.sum(getattr(StatRollup, name)), 0) for name in names]


def _grouped(
    filters: StatFilters, by: Dimension | None, *, handling: bool = True
) -> dict[int | None, Totals]:
    """Totals per value of `by` (or one total under None) for the filters' period."""
    cube = _cube(filters, by)
    where = _where(filters, cube, "m")
    group = [getattr(StatRollup, _COLUMN[by])] if by else []
    totals: defaultdict[int | None, Totals] = defaultdict(Totals)
    in_period = [StatRollup.period >= filters.first, StatRollup.period <= filters.last]
    for row in db.session.execute(select(*group, *_sums(FLOWS)).where(*where, *in_period).group_by(*group)):
        key = row[0] if by else None
        totals[key].counts.update(dict(zip(FLOWS, row[len(group):], strict=True)))
    until_end = StatRollup.period <= filters.last
    for row in db.session.execute(select(*group, *_sums(POSITIONS)).where(*where, until_end).group_by(*group)):
        key = row[0] if by else None
        if any(row[len(group):]) or key in totals:
            totals[key].counts.update(dict(zip(POSITIONS, row[len(group):], strict=True)))
    if handling:
        for row in db.session.execute(select(*group, StatRollup.handling).where(*where, *in_period, StatRollup.resolved != 0)):
            key = row[0] if by else None
            totals[key].handling.update({int(days): count for days, count in row[-1].items()})
    return dict(totals)


def overall(filters: StatFilters) -> Totals:
    return _grouped(filters, None).get(None, Totals())


def breakdown(filters: StatFilters, by: Dimension) -> dict[int, Totals]:
    """Totals per department, category or area with any activity or open work."""
    return {key: totals for key, totals in _grouped(filters, by).items() if key is not None}


def members(by: Dimension, ids: Iterable[int]) -> dict[int, Department | Category | Area]:
    """The departments, categories or areas with these ids (the rows of a breakdown)."""
    model = _MODEL[by]
    return {member.id: member for member in db.session.scalars(select(model).where(model.id.in_(list(ids))))}


def get_member(by: Dimension, member_id: int) -> Department | Category | Area:
    member = db.session.get(_MODEL[by], member_id)
    if member is None:
        raise NotFoundError(by)
    return member


@dataclass(frozen=True)
class Indicator:
    """One column of the indicator tables and exports: a count, a rate or a number of days."""

    key: str
    form: Literal["count", "rate", "days", "ratio"]
    target: float | None = None

    def value(self, totals: Totals) -> int | float | None:
        return getattr(totals, self.key)  # type: ignore[no-any-return]


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
    cube = "dc" if grain == "w" else _cube(filters, None)
    where = _where(filters, cube, grain)
    flows: dict[date, Totals] = defaultdict(Totals)
    rows = db.session.execute(
        select(StatRollup.period, *_sums(COUNTERS))
        .where(*where, StatRollup.period <= last)
        .group_by(StatRollup.period)
        .order_by(StatRollup.period)
    )
    open_work, overdue = 0, 0
    positions: dict[date, tuple[int, int]] = {}
    for period, *sums in rows:
        counts = dict(zip(COUNTERS, sums, strict=True))
        open_work += counts["backlog"]
        overdue += counts["overdue"]
        positions[period] = (open_work, overdue)
        if period >= first:
            flows[period].counts.update({name: counts[name] for name in FLOWS})
    for period, handling in db.session.execute(
        select(StatRollup.period, StatRollup.handling).where(
            *where, StatRollup.period >= first, StatRollup.period <= last, StatRollup.resolved != 0
        )
    ):
        flows[period].handling.update({int(days): count for days, count in handling.items()})
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
    now = _grouped(filters, by, handling=False)
    before = _grouped(filters.previous(), by, handling=False)
    spots = [
        Hotspot(key, totals.counts["received"], before.get(key, Totals()).counts["received"])
        for key, totals in now.items()
        if key is not None and totals.counts["received"] >= minimum
    ]
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
            StatRollup.cube == "dc", StatRollup.grain == "m", StatRollup.received != 0
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
        waiting = ticket.status == Status.WAITING_FOR_SUBMITTER and ticket.paused_at is not None
        if waiting and ticket.paused_at <= ticket.deadline:
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
