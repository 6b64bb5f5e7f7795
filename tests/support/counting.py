"""Counting what a request costs the database and Redis: statements, transactions, round trips.

Used by the tests that hold each page to a number of statements (an N+1 fails them) and by
bench/page_cost.py. Round trips to the database are the statements plus each transaction's
BEGIN and COMMIT (psycopg sends them apart) plus the pool's pre-ping of each checkout; to Redis,
each command or pipeline sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from redis.connection import AbstractConnection
from sqlalchemy import Connection, Engine, event


@dataclass
class Counts:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0
    commits: int = 0
    checkouts: int = 0
    redis_round_trips: int = 0
    pre_ping: bool = False

    @property
    def database_round_trips(self) -> int:
        pings = self.checkouts if self.pre_ping else 0
        return len(self.statements) + self.transactions + self.commits + pings

    def writes(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")]


@contextmanager
def counting(engine: Engine | Connection, *, redis: bool = False) -> Iterator[Counts]:
    """Counts while the block runs. The tests' `engine` is the connection every test runs on:
    only its statements are counted there."""
    pool = engine.pool if isinstance(engine, Engine) else None
    counts = Counts(pre_ping=bool(pool is not None and pool._pre_ping))

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        counts.statements.append(sql)

    def begin(_conn: Any) -> None:
        counts.transactions += 1

    def commit(_conn: Any) -> None:
        counts.commits += 1

    def checkout(*_args: Any) -> None:
        counts.checkouts += 1

    listeners: list[tuple[Any, str, Any]] = [(engine, "before_cursor_execute", statement)]
    if pool is not None:
        listeners += [(engine, "begin", begin), (engine, "commit", commit), (pool, "checkout", checkout)]
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    send = AbstractConnection.send_packed_command

    def counted_send(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
        counts.redis_round_trips += 1
        send(self, command, check_health)

    if redis:
        AbstractConnection.send_packed_command = counted_send  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        AbstractConnection.send_packed_command = send  # type: ignore[method-assign]
        for target, name, listener in listeners:
            event.remove(target, name, listener)
