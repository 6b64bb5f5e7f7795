"""The statistics benchmark's bulk seed: the ticket histories (bench/stats_histories.py) of the
demo province (bench/stats_province.py), made in a forked process while this one loads the
previous chunk. Rows go in by COPY (PostgreSQL) or executemany (SQLite), one transaction per
chunk: minutes for a million tickets, where the services would take hours."""

from __future__ import annotations

import multiprocessing
import random
from collections import deque
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text

from bench.stats_histories import Histories
from bench.stats_province import Province
from feedback.extensions import db
from feedback.services.statistics import rollups

# Generating beside the loading -------------------------------------------------------------

_GENERATOR: tuple[Province, datetime, int] | None = None


def generated(
    province: Province, now: datetime, seed: int, work: Iterator[list[tuple[int, date]]]
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[list[Any]]]]:
    """The rows of each chunk of (ticket id, day), made in a forked process while this one
    loads the previous chunk; at most two chunks wait, so memory stays flat."""
    global _GENERATOR
    # Forked, the child inherits the province (its policies hold mapping proxies, which do not pickle).
    _GENERATOR = (province, now, seed)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        waiting: deque[Any] = deque()
        for task in enumerate(work):
            waiting.append(pool.apply_async(_generate, (task,)))
            if len(waiting) > 2:
                yield waiting.popleft().get()
        while waiting:
            yield waiting.popleft().get()


def _generate(
    task: tuple[int, list[tuple[int, date]]],
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[list[Any]]]:
    index, chunk = task
    assert _GENERATOR is not None
    province, now, seed = _GENERATOR
    rng = random.Random(f"{seed}:{index}")
    histories = Histories(province, now)
    for number, day in chunk:
        histories.make(number, day, rng)
    return histories.take()


def numbered(rows: Sequence[Sequence[Any]], first: int) -> list[tuple[Any, ...]]:
    return [(first + offset, *row) for offset, row in enumerate(rows)]


# Loading -----------------------------------------------------------------------------------


def load(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Bulk insert in the session's transaction, bypassing the ORM, as the rebuild writes."""
    if db.engine.dialect.name != "postgresql":
        rows = [tuple(map(_sqlite_value, row)) for row in rows]
    rollups.bulk_insert(db.metadata.tables[table], columns, rows)


def _sqlite_value(value: Any) -> Any:
    # As SQLAlchemy's SQLite DATETIME stores them (UTC, no offset).
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return value


def first_free_ids() -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        (db.session.scalar(text(f"SELECT max(id) FROM {table}")) or 0) + 1
        for table in ("ticket", "ticket_event", "rating")
    )


def after_load() -> None:
    """Sequences past the ids given; on PostgreSQL, the planner statistics and visibility map
    autovacuum would make after such a load (this container's server runs without it). SQLite
    is left as the application leaves it: nothing in it runs ANALYZE."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("ticket", "ticket_event", "rating"):
        db.session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))")
        )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def chunks(days: list[date], first_id: int, size: int) -> Iterator[list[tuple[int, date]]]:
    for start in range(0, len(days), size):
        yield [(first_id + start + offset, day) for offset, day in enumerate(days[start : start + size])]
