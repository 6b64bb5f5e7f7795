"""Compiling the statistics again in full, by an administrator's request or the command line,
with its progress where the administrators' jobs page can show it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from redis.exceptions import LockError, RedisError
from sqlalchemy import func, select

from feedback.background.outbox import add_job, commit_and_relay
from feedback.background.queues import named_lock, redis_connection
from feedback.background.registry import REBUILD_STATISTICS
from feedback.extensions import db
from feedback.models import StatChange, StatState, Ticket, User, utcnow
from feedback.services.access import require_administrator
from feedback.services.statistics.full_rebuild import RebuildResult, rebuild

PROGRESS_KEY = "pakn:statistics:rebuild"
# Renewed after every chunk of tickets (seconds each): a rebuild that dies frees the update job
# within minutes, and the next rebuild can start over.
LOCK_SECONDS = 10 * 60


class RebuildBusy(RuntimeError):
    """The statistics job kept its lock for longer than a rebuild waits."""


@dataclass(frozen=True)
class RebuildProgress:
    state: str  # queued, running, done
    done: int
    total: int
    at: datetime | None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


@dataclass(frozen=True)
class StatisticsStatus:
    horizon: datetime | None
    updated_at: datetime | None
    rebuilt_at: datetime | None
    waiting_changes: int


def statistics_status() -> StatisticsStatus:
    state = db.session.get(StatState, 1)
    waiting = db.session.scalar(select(func.count(func.distinct(StatChange.ticket_id)))) or 0
    if state is None:
        return StatisticsStatus(None, None, None, waiting)
    return StatisticsStatus(state.horizon, state.updated_at, state.rebuilt_at, waiting)


def request_rebuild(actor: User) -> None:
    require_administrator(actor)
    add_job(REBUILD_STATISTICS)
    commit_and_relay()
    _record("queued", 0, 0)


def run_rebuild(progress: Callable[[int], None] | None = None, wait_seconds: int = 600) -> RebuildResult:
    """Rebuild under the statistics job's lock, so that no update is applied to tables being
    replaced under it; raises RebuildBusy if the lock is not free within `wait_seconds`. A lock
    lost midway (expired, or Redis emptied) stops the rebuild with LockError: the old tables stay."""
    lock = named_lock("statistics", LOCK_SECONDS, blocking_timeout=wait_seconds)
    if not lock.acquire():
        raise RebuildBusy()
    try:
        total = db.session.scalar(select(func.count(Ticket.id))) or 0
        done = 0
        _record("running", 0, total)

        def advance(count: int) -> None:
            nonlocal done
            lock.reacquire()
            done += count
            _record("running", done, total)
            if progress:
                progress(count)

        result = rebuild(progress=advance)
        _record("done", result.tickets, result.tickets)
        return result
    finally:
        with contextlib.suppress(LockError):
            lock.release()


def _record(state: str, done: int, total: int) -> None:
    # Progress is a courtesy; the rebuild itself needs only the database.
    with contextlib.suppress(RedisError):
        redis_connection().hset(
            PROGRESS_KEY, mapping={"state": state, "done": done, "total": total, "at": utcnow().isoformat()}
        )


def _text(reply: bytes | str) -> str:
    # redis-py types replies as bytes or str; without decode_responses, as here, they are bytes.
    return reply.decode() if isinstance(reply, bytes) else reply


def rebuild_progress() -> RebuildProgress | None:
    """The last rebuild's progress; None if none was recorded (or Redis is unreachable)."""
    try:
        values = redis_connection().hgetall(PROGRESS_KEY)
    except RedisError:
        return None
    if not values:
        return None
    text = {_text(key): _text(value) for key, value in values.items()}
    return RebuildProgress(text["state"], int(text["done"]), int(text["total"]), datetime.fromisoformat(text["at"]))
