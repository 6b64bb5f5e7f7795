"""Compiling the statistics rollups: in full, or only for the tickets that changed.

Both ways compute each ticket's cells with `workflows.indicators.ticket_cells` and add them into
the same cubes, so the two give identical tables. The incremental way takes a changed ticket's
previous cells (kept in `ticket_stat`) away and adds its new ones.

Time alone changes one thing: open work passes its deadline. Cells judge deadlines up to a
horizon kept in `stat_state`; each update moves the horizon to now and recomputes the open
tickets whose deadline fell in between.
"""

from __future__ import annotations

import gc
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, delete, func, insert, select, tuple_

from feedback.background.outbox import nudge
from feedback.background.registry import UPDATE_STATISTICS
from feedback.extensions import db
from feedback.models import EVERY, Rating, StatChange, StatRollup, StatState, Ticket, TicketEvent, TicketStat, utcnow
from feedback.services.deadlines.calendar import working_calendar
from workflows import OPEN, Action, Status
from workflows.indicators import (
    COUNTERS,
    HANDLING_PREFIX,
    TicketFacts,
    WorkingDayCount,
    ticket_cells,
)

BATCH = 500
REBUILD_BATCH = 20_000

# department, category, area, channel, kind
Dims = tuple[int, int, int, str, str]
RollupKey = tuple[str, str, date, int, int, int, str, str]
Progress = Callable[[int], None]


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


class _Cubes:
    """Cells summed per month for every dimension, and per week without the area; the coarser
    cubes (see StatRollup) are summed from those when written."""

    def __init__(self) -> None:
        self.months: defaultdict[tuple[Dims, date], dict[str, int]] = defaultdict(dict)
        self.weeks: defaultdict[tuple[Dims, date], dict[str, int]] = defaultdict(dict)
        self._periods: dict[date, tuple[date, date]] = {}

    def add(self, dims: Dims, cells: Iterable[tuple[date, str, int]], sign: int = 1) -> None:
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


def _columns(counts: Mapping[str, int]) -> dict[str, Any]:
    values: dict[str, Any] = dict(zip(COUNTERS, _counter_values(counts), strict=True))
    values["handling"] = _histogram(counts)
    return values


def _counter_values(counts: Mapping[str, int]) -> list[int]:
    get = counts.get
    return [get(name, 0) for name in COUNTERS]


def _histogram(counts: Mapping[str, int]) -> dict[str, int]:
    return {name[len(HANDLING_PREFIX):]: n for name, n in counts.items() if n and name.startswith(HANDLING_PREFIX)}


_KEY_COLUMNS = ("cube", "grain", "period", "department_id", "category_id", "area_id", "channel", "kind")


def _facts_query() -> Any:
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


def _histories(ticket_ids: Sequence[int]) -> dict[int, tuple[list[datetime], list[datetime]]]:
    """Answers and reopenings of reopened tickets, from their events."""
    histories: dict[int, tuple[list[datetime], list[datetime]]] = {}
    if not ticket_ids:
        return histories
    rows = db.session.execute(
        select(TicketEvent.ticket_id, TicketEvent.action, TicketEvent.created_at)
        .where(
            TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.action.in_([Action.RESOLVE.value, Action.REOPEN.value])
        )
        .order_by(TicketEvent.ticket_id, TicketEvent.id)
    )
    for ticket_id, action, created_at in rows:
        answers, reopenings = histories.setdefault(ticket_id, ([], []))
        (answers if action == Action.RESOLVE.value else reopenings).append(created_at)
    return histories


def _computed(
    rows: Sequence[Any], horizon: datetime, workdays: WorkingDayCount
) -> list[tuple[int, Dims, list[tuple[date, str, int]]]]:
    histories = _histories([row.id for row in rows if row.reopen_count])
    computed = []
    for row in rows:
        answers, reopenings = histories.get(row.id, ((), ()))
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
        computed.append((row.id, dims, [(day, counter, amount) for (day, counter), amount in cells.items()]))
    return computed


def _stored_cells(cells: list[tuple[date, str, int]]) -> list[list[Any]]:
    return [[day.toordinal(), counter, amount] for day, counter, amount in cells]


def _loaded_cells(stored: list[list[Any]]) -> list[tuple[date, str, int]]:
    return [(date.fromordinal(ordinal), counter, amount) for ordinal, counter, amount in stored]


@dataclass(frozen=True)
class RebuildResult:
    tickets: int
    rows: int
    horizon: datetime


def rebuild(now: datetime | None = None, progress: Progress | None = None) -> RebuildResult:
    """Compile every rollup again from the tickets, in one transaction: readers see the old
    tables until the new ones are complete. Changes recorded before the start are consumed."""
    # The cubes hold millions of small objects and no cycles: without this the cyclic garbage
    # collector walks them all again and again, and the rebuild takes several times longer.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _rebuild(now or utcnow(), progress)
    finally:
        if collecting:
            gc.enable()


def _rebuild(horizon: datetime, progress: Progress | None) -> RebuildResult:
    last_change = db.session.scalar(select(func.max(StatChange.id))) or 0
    workdays = WorkingDayCount(working_calendar())
    cubes = _Cubes()
    db.session.execute(delete(TicketStat))
    db.session.execute(delete(StatRollup))
    done, after = 0, 0
    while True:
        rows = db.session.connection().execute(_facts_query().where(Ticket.id > after).limit(REBUILD_BATCH)).all()
        if not rows:
            break
        stats = []
        for ticket_id, dims, cells in _computed(rows, horizon, workdays):
            cubes.add(dims, cells)
            stats.append((ticket_id, *dims, _json(_stored_cells(cells))))
        # The Table itself: declarative typing gives __table__ as any FromClause.
        bulk_insert(db.metadata.tables[TicketStat.__tablename__], _STAT_COLUMNS, stats)
        done += len(rows)
        after = rows[-1].id
        if progress:
            progress(len(rows))
    written = _insert_rollups(cubes.rows())
    db.session.execute(delete(StatChange).where(StatChange.id <= last_change))
    _save_state(horizon, rebuilt=True)
    db.session.commit()
    return RebuildResult(done, written, horizon)


_STAT_COLUMNS = ("ticket_id", "department_id", "category_id", "area_id", "channel", "kind", "cells")


def _stat_row(ticket_id: int, dims: Dims, cells: list[tuple[date, str, int]]) -> dict[str, Any]:
    return dict(zip(_STAT_COLUMNS, (ticket_id, *dims, _stored_cells(cells)), strict=True))


def _json(value: Any) -> str:
    # Default arguments only: any other makes json build a new (slower) encoder on each call.
    return json.dumps(value)


def _insert_rollups(rows: dict[RollupKey, Counter[str]]) -> int:
    values = []
    for (cube, grain, period, *dims), counts in rows.items():
        if any(counts.values()):
            values.append((cube, grain, period.isoformat(), *dims, *_counter_values(counts), _json(_histogram(counts))))
    names = (*_KEY_COLUMNS, *COUNTERS, "handling")
    for start in range(0, len(values), REBUILD_BATCH):
        bulk_insert(db.metadata.tables[StatRollup.__tablename__], names, values[start : start + REBUILD_BATCH])
    return len(values)


def bulk_insert(table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Many rows at once, through the driver: COPY on PostgreSQL, executemany on SQLite. A full
    rebuild writes a row per ticket, and SQLAlchemy's per-row parameter processing would cost
    more than computing the rows. Dates come as ISO text and JSON as its text, which is how
    SQLAlchemy stores them on SQLite and what COPY reads."""
    if not rows:
        return
    connection = db.session.connection()
    driver = connection.connection.driver_connection
    # None only once the connection is invalidated or closed, which the session's own is not.
    assert driver is not None
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        placeholders = ", ".join("?" for _ in columns)
        driver.cursor().executemany(f"INSERT INTO {table.name} ({names}) VALUES ({placeholders})", rows)


def _save_state(horizon: datetime, rebuilt: bool = False) -> None:
    state = db.session.get(StatState, 1)
    if state is None:
        state = StatState(id=1, horizon=horizon, updated_at=utcnow())
        db.session.add(state)
    state.horizon, state.updated_at = horizon, utcnow()
    if rebuilt:
        state.rebuilt_at = state.updated_at


def update(now: datetime | None = None, batch: int = BATCH) -> int:
    """Bring the rollups up to date with the tickets changed since the last run and with the
    deadlines passed since then; returns how many tickets were recomputed."""
    state = db.session.get(StatState, 1)
    if state is None:
        return rebuild(now).tickets
    horizon = now or utcnow()
    last_change = db.session.scalar(select(func.max(StatChange.id))) or 0
    passed = db.session.scalars(
        select(Ticket.id).where(
            Ticket.status.in_([status.value for status in OPEN]),
            Ticket.deadline >= state.horizon,
            Ticket.deadline < horizon,
        )
    ).all()
    changed = db.session.scalars(select(StatChange.ticket_id).where(StatChange.id <= last_change).distinct()).all()
    pending = sorted(set(passed) | set(changed))
    workdays = WorkingDayCount(working_calendar())
    for start in range(0, len(pending), batch):
        ids = pending[start : start + batch]
        _recompute(ids, horizon, workdays)
        db.session.execute(delete(StatChange).where(StatChange.id <= last_change, StatChange.ticket_id.in_(ids)))
        db.session.commit()
    _save_state(horizon)
    db.session.commit()
    return len(pending)


def _recompute(ticket_ids: Sequence[int], horizon: datetime, workdays: WorkingDayCount) -> None:
    cubes = _Cubes()
    stored = {
        stat.ticket_id: stat
        for stat in db.session.scalars(select(TicketStat).where(TicketStat.ticket_id.in_(ticket_ids)))
    }
    rows = db.session.connection().execute(_facts_query().where(Ticket.id.in_(ticket_ids))).all()
    for ticket_id, dims, cells in _computed(rows, horizon, workdays):
        old = stored.get(ticket_id)
        new_cells = _stored_cells(cells)
        if old is not None:
            old_dims: Dims = (old.department_id, old.category_id, old.area_id, old.channel, old.kind)
            if old_dims == dims and old.cells == new_cells:
                continue
            cubes.add(old_dims, _loaded_cells(old.cells), sign=-1)
        cubes.add(dims, cells)
        stat = old or TicketStat(ticket_id=ticket_id)
        for name, value in _stat_row(ticket_id, dims, cells).items():
            setattr(stat, name, value)
        db.session.add(stat)
    db.session.flush()
    _apply(cubes.rows())


def _apply(deltas: dict[RollupKey, Counter[str]]) -> None:
    deltas = {key: counts for key, counts in deltas.items() if any(counts.values())}
    existing = _rollup_rows(list(deltas))
    for key, counts in deltas.items():
        row = existing.get(key)
        if row is None:
            row = StatRollup(**dict(zip(_KEY_COLUMNS, key, strict=True)), **_columns(Counter()))
            db.session.add(row)
        current = Counter({name: getattr(row, name) or 0 for name in COUNTERS})
        current.update({HANDLING_PREFIX + days: amount for days, amount in (row.handling or {}).items()})
        current.update(counts)
        values = _columns(current)
        if not any(values[name] for name in COUNTERS) and not values["handling"]:
            # A full rebuild writes no empty rows, and neither may this.
            if row in db.session.new:
                db.session.expunge(row)
            else:
                db.session.delete(row)
            continue
        for name, value in values.items():
            setattr(row, name, value)


def _rollup_rows(keys: list[RollupKey]) -> dict[RollupKey, StatRollup]:
    """The rows with these keys, read a few hundred at a time (not one query per key)."""
    found: dict[RollupKey, StatRollup] = {}
    columns = tuple_(*(getattr(StatRollup, name) for name in _KEY_COLUMNS))
    for start in range(0, len(keys), BATCH):
        for row in db.session.scalars(select(StatRollup).where(columns.in_(keys[start : start + BATCH]))):
            found[tuple(getattr(row, name) for name in _KEY_COLUMNS)] = row
    return found


def mark_changed(ticket: Ticket) -> None:
    """Called with every event: the statistics job will recompute this ticket's cells."""
    if ticket.id is None:
        db.session.flush()
    db.session.connection().execute(insert(cast(Table, StatChange.__table__)), {"ticket_id": ticket.id})
    nudge(UPDATE_STATISTICS)
