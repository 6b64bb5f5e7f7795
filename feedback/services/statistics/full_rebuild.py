"""Compiling every rollup again from the tickets, without stopping the world.

The rebuild fills shadow copies of `ticket_stat` and `stat_rollup` (shadow_tables.py), a chunk
of tickets per short transaction, while the dashboards read the live tables, which it does not
touch. One short transaction at the end puts the copies in their place and consumes the changes
recorded before the start. Shadow tables rather than a generation column in the tables: the
readers, the incremental update and the tables' keys stay as they are, and a rebuild that dies
leaves the live tables as they were. The next rebuild drops what it left and starts over; it
cannot resume, since a run judges deadlines at its own horizon.

Memory follows a chunk, not the table: a chunk's cells are summed into cubes of its own, whose
rows the database adds to the copy's rows of the same keys (INSERT … ON CONFLICT DO UPDATE).
Tickets come in the order of their ids, which is about the order of their days, so most of a
chunk's rows are new to the copy. Rows that add up to nothing are dropped before the switch, as
a rebuild in one go would not have written them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, Text, cast, column, delete, func, literal_column, select, table, text, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import TableClause

from feedback.extensions import db
from feedback.models import StatChange, StatRollup, StatState, Ticket, TicketStat, utcnow
from feedback.services.deadlines.calendar import working_calendar
from feedback.services.statistics.cells import (
    KEY_COLUMNS,
    STAT_COLUMNS,
    Cubes,
    RollupKey,
    computed,
    counter_values,
    facts_query,
    histogram,
    histories,
    stored_cells,
)
from feedback.services.statistics.shadow_tables import analyze_shadow, make_shadow, replace_with_shadow
from workflows.indicators import COUNTERS, WorkingDayCount

# Tickets per chunk: reading them and writing their rows take a few tenths of a second each,
# whatever the number of tickets, and computing them some 70 MB.
REBUILD_BATCH = 10_000
ROLLUP_COLUMNS = (*KEY_COLUMNS, *COUNTERS, "handling")

Progress = Callable[[int], None]


@dataclass(frozen=True)
class RebuildResult:
    tickets: int
    rows: int
    horizon: datetime


def rebuild(now: datetime | None = None, progress: Progress | None = None, batch: int = REBUILD_BATCH) -> RebuildResult:
    """Compile every rollup again from the tickets, `batch` tickets per transaction: readers see
    the old tables until the new ones are complete. Changes recorded before the start are
    consumed. Run it under the statistics lock (rebuild.run_rebuild): an update applied to the
    live tables meanwhile would be lost at the switch, and two rebuilds would fill the same copies."""
    horizon = now or utcnow()
    last_change = db.session.scalar(select(func.max(StatChange.id))) or 0
    workdays = WorkingDayCount(working_calendar())
    stats, rollups = make_shadow(TicketStat.__tablename__), make_shadow(StatRollup.__tablename__)
    db.session.commit()
    done, after = 0, 0
    while rows := db.session.connection().execute(facts_query().where(Ticket.id > after).limit(batch)).all():
        reopened = histories(rows)
        # Computing holds no transaction open: only reading and writing do.
        db.session.commit()
        cubes, values = Cubes(), []
        for ticket_id, dims, cells in computed(rows, reopened, horizon, workdays):
            cubes.add(dims, cells)
            values.append((ticket_id, *dims, _json(stored_cells(cells))))
        sums = _rollup_values(cubes.rows())
        bulk_insert(stats, STAT_COLUMNS, values)
        _add_rollups(rollups, sums)
        db.session.commit()
        done += len(rows)
        after = rows[-1].id
        if progress:
            progress(len(rows))
    _drop_zeros(rollups)
    written = db.session.scalar(select(func.count()).select_from(rollups)) or 0
    for name in (TicketStat.__tablename__, StatRollup.__tablename__):
        analyze_shadow(name)
    db.session.commit()
    for name in (TicketStat.__tablename__, StatRollup.__tablename__):
        replace_with_shadow(name)
    db.session.execute(delete(StatChange).where(StatChange.id <= last_change))
    save_state(horizon, rebuilt=True)
    db.session.commit()
    return RebuildResult(done, written, horizon)


def _add_rollups(rollups: Table, sums: list[tuple[Any, ...]]) -> None:
    """Adds a chunk's sums (rows of ROLLUP_COLUMNS) into the copy, through a temporary table:
    INSERT … ON CONFLICT adds each to the row of the same key, if the copy has one."""
    chunk = table(f"{rollups.name}_chunk", *(column(name, rollups.c[name].type) for name in ROLLUP_COLUMNS))
    db.session.execute(text(f"CREATE TEMPORARY TABLE {chunk.name} AS SELECT * FROM {rollups.name} WHERE 1 = 0"))
    bulk_insert(chunk, ROLLUP_COLUMNS, sums)
    dialect = db.session.get_bind().dialect.name
    upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(rollups)
    added = {name: rollups.c[name] + upsert.excluded[name] for name in COUNTERS}
    added["handling"] = literal_column(_added_histograms(rollups.name, dialect))
    db.session.execute(
        upsert.from_select(ROLLUP_COLUMNS, select(chunk).where(true())).on_conflict_do_update(
            index_elements=list(rollups.primary_key.columns), set_=added
        )
    )
    db.session.execute(text(f"DROP TABLE {chunk.name}"))


def _added_histograms(rollups: str, dialect: str) -> str:
    """The handling-time histograms ({"working days": count}) of a row and of the chunk's row
    for its key, added: SQL for the update of `handling` on conflict."""
    held, new = f"{rollups}.handling", "excluded.handling"
    if dialect == "postgresql":
        entries = f"SELECT * FROM json_each_text({held}) UNION ALL SELECT * FROM json_each_text({new})"
        added = (
            "SELECT json_object_agg(days, total) FROM (SELECT days, sum(CAST(amount AS INTEGER)) AS total"
            f" FROM ({entries}) AS entries (days, amount) GROUP BY days) AS sums"
        )
    else:
        entries = f"SELECT key, value FROM json_each({held}) UNION ALL SELECT key, value FROM json_each({new})"
        added = (
            "SELECT json_group_object(key, total) FROM"
            f" (SELECT key, sum(value) AS total FROM ({entries}) GROUP BY key)"
        )
    # Most rows have no answers on one side or the other: those need no adding.
    empty = "'{}'"
    return (
        f"CASE WHEN CAST({new} AS TEXT) = {empty} THEN {held} WHEN CAST({held} AS TEXT) = {empty} THEN {new}"
        f" ELSE ({added}) END"
    )


def _drop_zeros(rollups: Table) -> None:
    """Rows whose counts added up to 0 over the chunks: a rebuild in one go would not have
    written them, and the incremental update removes them."""
    db.session.execute(
        delete(rollups).where(*(rollups.c[name] == 0 for name in COUNTERS), cast(rollups.c.handling, Text) == "{}")
    )


def _rollup_values(sums: dict[RollupKey, Counter[str]]) -> list[tuple[Any, ...]]:
    return [
        (cube, grain, period.isoformat(), *dims, *counter_values(counts), _json(histogram(counts)))
        for (cube, grain, period, *dims), counts in sums.items()
        if any(counts.values())
    ]


def _json(value: Any) -> str:
    # Default arguments only: any other makes json build a new (slower) encoder on each call.
    return json.dumps(value)


def bulk_insert(table: TableClause, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
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


def save_state(horizon: datetime, rebuilt: bool = False) -> None:
    state = db.session.get(StatState, 1)
    if state is None:
        state = StatState(id=1, horizon=horizon, updated_at=utcnow())
        db.session.add(state)
    state.horizon, state.updated_at = horizon, utcnow()
    if rebuilt:
        state.rebuilt_at = state.updated_at
