"""The Redis connection and the queues, chosen by REDIS_URL.

Without REDIS_URL the app talks to an in-process fakeredis server instead, so that one
command runs everything on one machine (see embedded.py for the worker side).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import fakeredis
from flask import Flask, current_app
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import LockError
from redis.lock import Lock
from redis.retry import Retry
from rq import Queue

QUEUE_NAMES = ("notifications", "deadlines", "statistics")
EXTENSION_KEY = "pakn.redis"

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")
R = TypeVar("R")


def init_app(app: Flask) -> None:
    url = app.config["REDIS_URL"]
    # A request that relays the outbox must not hang while Redis is down: fail fast, and
    # leave the rows to the sweep.
    connection: Redis = (
        Redis.from_url(url, socket_connect_timeout=2, retry=Retry(NoBackoff(), 1))
        if url
        else fakeredis.FakeRedis(server=fakeredis.FakeServer())
    )
    app.extensions[EXTENSION_KEY] = connection


def redis_connection(app: Flask | None = None) -> Redis:
    # app.extensions holds Any; init_app put a Redis (or FakeRedis, a subclass) here.
    connection: Redis = (app or current_app).extensions[EXTENSION_KEY]
    return connection


def is_embedded(app: Flask) -> bool:
    return not app.config["REDIS_URL"]


def get_queue(name: str, app: Flask | None = None) -> Queue:
    return Queue(name, connection=redis_connection(app))


def all_queues(app: Flask | None = None) -> list[Queue]:
    return [get_queue(name, app) for name in QUEUE_NAMES]


def on_queue(name: str) -> Callable[[F], F]:
    """Names, where a job is defined, the queue it runs on."""
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")

    def mark(func: F) -> F:
        # mypy models no attributes set on a function.
        func.queue_name = name  # type: ignore[attr-defined]
        return func

    return mark


def queue_name_of(func: Callable[..., Any]) -> str:
    # on_queue set it; mypy models no attributes set on a function.
    return func.queue_name  # type: ignore[attr-defined,no-any-return]


def named_lock(
    name: str, timeout_seconds: int, *, blocking: bool = True, blocking_timeout: float | None = None
) -> Lock:
    """The lock a `single_run` job holds, for a command that must not run beside it."""
    # redis-py leaves lock() unannotated; without a lock_class it makes a redis.lock.Lock.
    lock: Lock = redis_connection().lock(
        f"pakn:lock:{name}", timeout=timeout_seconds, blocking=blocking, blocking_timeout=blocking_timeout
    )
    return lock


def single_run(
    name: str | Callable[..., str], timeout_seconds: int = 30 * 60
) -> Callable[[Callable[P, R]], Callable[P, R | None]]:
    """Skip a run while another holds the lock: two sweeps at once would only race each other
    (their keys already keep them from sending twice). `name` may be made from the job's
    arguments: each part of a split sweep has a lock of its own."""

    def wrap(func: Callable[P, R]) -> Callable[P, R | None]:
        @functools.wraps(func)
        def run(*args: P.args, **kwargs: P.kwargs) -> R | None:
            lock = named_lock(name if isinstance(name, str) else name(*args, **kwargs), timeout_seconds, blocking=False)
            if not lock.acquire():
                return None
            try:
                return func(*args, **kwargs)
            finally:
                with contextlib.suppress(LockError):
                    lock.release()

        return run

    return wrap
