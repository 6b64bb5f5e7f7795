"""Keeping the statistics rollups current: only the tickets that changed are compiled again.

Both this and the full rebuild (full_rebuild.py) compute each ticket's cells through cells.py
and add them into the same cubes, so the two give identical tables. A changed ticket's previous
cells (kept in `ticket_stat`) are taken away and its new ones added.

Time alone changes one thing: open work passes its deadline. Cells judge deadlines up to a
horizon kept in `stat_state`; each update moves the horizon to now and recomputes the open
tickets whose deadline fell in between.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, tuple_
from sqlalchemy.orm import Session

from feedback.background.outbox import nudge
from feedback.background.registry import UPDATE_STATISTICS
from feedback.extensions import db
from feedback.models import StatChange, StatRollup, StatState, Ticket, TicketStat, utcnow
from feedback.services.deadlines.calendar import working_calendar
from feedback.services.statistics.cells import (
    KEY_COLUMNS,
    STAT_COLUMNS,
    Cell,
    Cubes,
    Dims,
    RollupKey,
    columns,
    computed,
    facts_query,
    histories,
    loaded_cells,
    stored_cells,
    stored_counts,
)
from feedback.services.statistics.full_rebuild import rebuild, save_state
from workflows import OPEN
from workflows.indicators import COUNTERS, WorkingDayCount

BATCH = 500


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
    save_state(horizon)
    db.session.commit()
    return len(pending)


def _recompute(ticket_ids: Sequence[int], horizon: datetime, workdays: WorkingDayCount) -> None:
    cubes = Cubes()
    stored = {
        stat.ticket_id: stat
        for stat in db.session.scalars(select(TicketStat).where(TicketStat.ticket_id.in_(ticket_ids)))
    }
    rows = db.session.connection().execute(facts_query().where(Ticket.id.in_(ticket_ids))).all()
    for ticket_id, dims, cells in computed(rows, histories(rows), horizon, workdays):
        old = stored.get(ticket_id)
        new_cells = stored_cells(cells)
        if old is not None:
            old_dims: Dims = (old.department_id, old.category_id, old.area_id, old.channel, old.kind)
            if old_dims == dims and old.cells == new_cells:
                continue
            cubes.add(old_dims, loaded_cells(old.cells), sign=-1)
        cubes.add(dims, cells)
        stat = old or TicketStat(ticket_id=ticket_id)
        for name, value in _stat_row(ticket_id, dims, cells).items():
            setattr(stat, name, value)
        db.session.add(stat)
    db.session.flush()
    _apply(cubes.rows())


def _stat_row(ticket_id: int, dims: Dims, cells: list[Cell]) -> dict[str, Any]:
    return dict(zip(STAT_COLUMNS, (ticket_id, *dims, stored_cells(cells)), strict=True))


def _apply(deltas: dict[RollupKey, Counter[str]]) -> None:
    deltas = {key: counts for key, counts in deltas.items() if any(counts.values())}
    existing = _rollup_rows(list(deltas))
    for key, counts in deltas.items():
        row = existing.get(key)
        if row is None:
            row = StatRollup(**dict(zip(KEY_COLUMNS, key, strict=True)), **columns(Counter()))
            db.session.add(row)
        current = stored_counts(row)
        current.update(counts)
        values = columns(current)
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
    key = tuple_(*(getattr(StatRollup, name) for name in KEY_COLUMNS))
    for start in range(0, len(keys), BATCH):
        for row in db.session.scalars(select(StatRollup).where(key.in_(keys[start : start + BATCH]))):
            found[tuple(getattr(row, name) for name in KEY_COLUMNS)] = row
    return found


def mark_changed(ticket: Ticket) -> None:
    """Called with every event: the statistics job will recompute this ticket's cells. The row
    is written as the transaction commits (`write_changes`), one statement for all its steps."""
    db.session.info.setdefault(_CHANGED, []).append(ticket)
    nudge(UPDATE_STATISTICS)


def write_changes(session: Session) -> None:
    """The transaction's changed tickets, one row each (run by the outbox as it commits)."""
    tickets: list[Ticket] = session.info.pop(_CHANGED, [])
    if not tickets:
        return
    if any(ticket.id is None for ticket in tickets):
        session.flush()
    ids = sorted({ticket.id for ticket in tickets})
    session.connection().execute(insert(cast(Table, StatChange.__table__)), [{"ticket_id": i} for i in ids])


# The outbox forgets it with the rest of a transaction rolled back (its keys start "commit.").
_CHANGED = "commit.statistics.changed"
