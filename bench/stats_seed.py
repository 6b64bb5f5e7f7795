"""The benchmarks' bulk seed (bench/bench_statistics.py, bench/sweep.py): the ticket histories
(bench/stats_histories.py) of the demo province (bench/stats_province.py), made in a forked
process while this one loads the previous chunk. Rows go in by COPY (PostgreSQL) or executemany
(SQLite), one transaction per chunk: minutes for a million tickets, where the services would
take hours."""

from __future__ import annotations

import multiprocessing
import random
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text

from bench.stats_histories import EVENT_COLUMNS, RATING_COLUMNS, TICKET_COLUMNS, Histories
from bench.stats_province import Province, load_province, submission_days
from feedback.extensions import db
from feedback.services.statistics.full_rebuild import bulk_insert

CHUNK = 10_000
# The statuses migration 0010 makes due at once: those something can still fall due on.
PENDING = ("submitted", "accepted", "in_progress", "waiting_for_submitter", "reopened", "resolved")


@dataclass(frozen=True)
class Seeded:
    first_ticket: int
    # Of the whole seed, the work after the load (making tickets due, VACUUM ANALYZE).
    after_load_seconds: float


def seed_histories(count: int, seed: int, now: datetime) -> Seeded:
    """`count` tickets lived up to `now`, with their events and ratings, in the migrated and
    demo-seeded database of the app context."""
    started = time.perf_counter()
    province = load_province()
    days = submission_days(count, now, random.Random(seed), province.calendar)
    first_ticket, next_event, next_rating = first_free_ids()
    made = 0
    for tickets, events, ratings in generated(province, now, seed, chunks(days, first_ticket, CHUNK)):
        load("ticket", TICKET_COLUMNS, tickets)
        load("ticket_event", EVENT_COLUMNS, numbered(events, next_event))
        load("rating", RATING_COLUMNS, numbered(ratings, next_rating))
        db.session.commit()
        next_event += len(events)
        next_rating += len(ratings)
        made += len(tickets)
        if made % 100_000 < CHUNK:
            print(f"  {made:,} tickets, {time.perf_counter() - started:.0f} s", flush=True)
    loaded = time.perf_counter()
    after_load()
    return Seeded(first_ticket, time.perf_counter() - loaded)


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
    missing = [column.name for column in db.metadata.tables[table].columns if column.name not in columns]
    # A column a migration adds must be given a value here, not left to whatever NULL means to it.
    assert not missing, f"the seed writes no {', '.join(missing)} into {table}"
    if db.engine.dialect.name != "postgresql":
        rows = [tuple(map(_sqlite_value, row)) for row in rows]
    bulk_insert(db.metadata.tables[table], columns, rows)


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
    """The pending tickets due to the deadline sweep at once; the sequences past the ids given;
    on PostgreSQL, the planner statistics and visibility map autovacuum would make after such a
    load (this container's server runs without it). SQLite is left as the application leaves
    it: nothing in it runs ANALYZE."""
    # What migration 0010 does for the tickets stored before it: the first sweep looks at each
    # pending ticket and stores its real next instant, as the services would have.
    db.session.execute(
        text(f"UPDATE ticket SET next_due_at = submitted_at WHERE status IN ({', '.join(map(repr, PENDING))})")
    )
    db.session.commit()
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
