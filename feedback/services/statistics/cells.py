"""Each ticket's cells (`workflows.indicators.ticket_cells`) and the rollup rows they sum into.

The full rebuild (full_rebuild.py) and the incremental update (rollups.py) both compute through
here, so that the two give identical tables.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, select

from feedback.extensions import db
from feedback.models import EVERY, Rating, Ticket, TicketEvent
from workflows import Action, Status
from workflows.indicators import COUNTERS, HANDLING_PREFIX, TicketFacts, WorkingDayCount, ticket_cells

# department, category, area, channel, kind
Dims = tuple[int, int, int, str, str]
RollupKey = tuple[str, str, date, int, int, int, str, str]
Cell = tuple[date, str, int]
# ticket id: (its answers, its reopenings)
Histories = dict[int, tuple[list[datetime], list[datetime]]]

KEY_COLUMNS = ("cube", "grain", "period", "department_id", "category_id", "area_id", "channel", "kind")
STAT_COLUMNS = ("ticket_id", "department_id", "category_id", "area_id", "channel", "kind", "cells")


def _period_starts(day: date) -> tuple[date, date]:
    return day.replace(day=1), day - timedelta(days=day.weekday())


# Each coarser cube is summed from a finer one, keeping the department, category and area or
# not (a dimension not kept is 0). Then each gains the rows of every channel and kind.
_COARSER: tuple[tuple[tuple[str, str], tuple[str, str], tuple[bool, bool, bool]], ...] = (
    (("dc", "m"), ("dca", "m"), (True, True, False)),
    (("a", "m"), ("dca", "m"), (False, False, True)),
    (("t", "m"), ("dc", "m"), (False, False, False)),
    (("t", "w"), ("dc", "w"), (False, False, False)),
)


class Cubes:
    """Cells summed per month for every dimension, and per week without the area; the coarser
    cubes (see StatRollup) are summed from those when written."""

    def __init__(self) -> None:
        self.months: defaultdict[tuple[Dims, date], dict[str, int]] = defaultdict(dict)
        self.weeks: defaultdict[tuple[Dims, date], dict[str, int]] = defaultdict(dict)
        self._periods: dict[date, tuple[date, date]] = {}

    def add(self, dims: Dims, cells: Iterable[Cell], sign: int = 1) -> None:
        # A ticket's cells mostly come grouped by day: the month's and week's sums are looked up
        # once per run of the same day.
        no_area = (dims[0], dims[1], 0, dims[3], dims[4])
        last_day: date | None = None
        month: dict[str, int] = {}
        week: dict[str, int] = {}
        for day, counter, amount in cells:
            if day != last_day:
                periods = self._periods.get(day)
                if periods is None:
                    periods = self._periods[day] = _period_starts(day)
                month, week, last_day = self.months[(dims, periods[0])], self.weeks[(no_area, periods[1])], day
            amount *= sign
            month[counter] = month.get(counter, 0) + amount
            week[counter] = week.get(counter, 0) + amount

    def rows(self) -> dict[RollupKey, Counter[str]]:
        cubes: dict[tuple[str, str], defaultdict[RollupKey, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
        for (dims, month), counts in self.months.items():
            cubes[("dca", "m")][("dca", "m", month, *dims)].update(counts)
        for (dims, week), counts in self.weeks.items():
            cubes[("dc", "w")][("dc", "w", week, *dims)].update(counts)
        for (cube, grain), source, (department, category, area) in _COARSER:
            target = cubes[(cube, grain)]
            for (_, _, period, d, c, a, channel, kind), counts in cubes[source].items():
                target[(cube, grain, period, d if department else 0, c if category else 0, a if area else 0,
                        channel, kind)].update(counts)
        for rows in cubes.values():
            every: defaultdict[RollupKey, Counter[str]] = defaultdict(Counter)
            for (cube, grain, period, d, c, a, _, _), counts in rows.items():
                every[(cube, grain, period, d, c, a, EVERY, EVERY)].update(counts)
            rows.update(every)
        return {key: counts for rows in cubes.values() for key, counts in rows.items()}


def columns(counts: Mapping[str, int]) -> dict[str, Any]:
    values: dict[str, Any] = dict(zip(COUNTERS, counter_values(counts), strict=True))
    values["handling"] = histogram(counts)
    return values


def counter_values(counts: Mapping[str, int]) -> list[int]:
    get = counts.get
    return [get(name, 0) for name in COUNTERS]


def histogram(counts: Mapping[str, int]) -> dict[str, int]:
    return {name[len(HANDLING_PREFIX):]: n for name, n in counts.items() if n and name.startswith(HANDLING_PREFIX)}


def stored_counts(row: Any) -> Counter[str]:
    """The counts of a stored rollup row (a model or a result row), as the cubes count them."""
    counts = Counter({name: getattr(row, name) or 0 for name in COUNTERS})
    counts.update({HANDLING_PREFIX + days: amount for days, amount in (row.handling or {}).items()})
    return counts


def facts_query() -> Any:
    return (
        select(
            Ticket.id,
            Ticket.department_id,
            Ticket.category_id,
            Ticket.area_id,
            Ticket.channel,
            Ticket.kind,
            Ticket.status,
            Ticket.submitted_at,
            Ticket.classify_due,
            Ticket.accepted_at,
            Ticket.resolve_due,
            Ticket.resolved_at,
            Ticket.closed_at,
            Ticket.paused_at,
            Ticket.transfer_count,
            Ticket.reopen_count,
            Rating.level,
        )
        .outerjoin(Rating, and_(Rating.ticket_id == Ticket.id, Rating.superseded.is_(False)))
        .order_by(Ticket.id)
    )


def histories(rows: Sequence[Any]) -> Histories:
    """The answers and reopenings of the reopened tickets among those read by `facts_query`,
    from their events."""
    found: Histories = {}
    ticket_ids = [row.id for row in rows if row.reopen_count]
    if not ticket_ids:
        return found
    events = db.session.execute(
        select(TicketEvent.ticket_id, TicketEvent.action, TicketEvent.created_at)
        .where(
            TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.action.in_([Action.RESOLVE.value, Action.REOPEN.value])
        )
        .order_by(TicketEvent.ticket_id, TicketEvent.id)
    )
    for ticket_id, action, created_at in events:
        answers, reopenings = found.setdefault(ticket_id, ([], []))
        (answers if action == Action.RESOLVE.value else reopenings).append(created_at)
    return found


def computed(
    rows: Sequence[Any], reopened: Histories, horizon: datetime, workdays: WorkingDayCount
) -> list[tuple[int, Dims, list[Cell]]]:
    """The cells of the tickets read by `facts_query`, given the `histories` of the reopened."""
    result = []
    for row in rows:
        answers, reopenings = reopened.get(row.id, ((), ()))
        facts = TicketFacts(
            status=Status(row.status),
            submitted_at=row.submitted_at,
            classify_due=row.classify_due,
            accepted_at=row.accepted_at,
            resolve_due=row.resolve_due,
            resolved_at=row.resolved_at,
            closed_at=row.closed_at,
            paused_at=row.paused_at,
            transfers=row.transfer_count,
            rating=row.level,
            answers=answers,
            reopenings=reopenings,
        )
        cells = ticket_cells(facts, horizon, workdays)
        dims = (row.department_id, row.category_id, row.area_id, row.channel, row.kind)
        # In the order ticket_cells wrote them, which is the same for the same facts.
        result.append((row.id, dims, [(day, counter, amount) for (day, counter), amount in cells.items()]))
    return result


def stored_cells(cells: list[Cell]) -> list[list[Any]]:
    return [[day.toordinal(), counter, amount] for day, counter, amount in cells]


def loaded_cells(stored: list[list[Any]]) -> list[Cell]:
    return [(date.fromordinal(ordinal), counter, amount) for ordinal, counter, amount in stored]
