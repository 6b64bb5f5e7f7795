"""The transactional outbox.

A service that causes a job adds an outbox row in the same transaction as its change and
calls `commit_and_relay`. The relay enqueues after the commit, so a worker never looks for a
row that is not there yet, and it does so from what it wrote, in one Redis round trip, without
reading the rows back or writing to them again: the worker marks a row taken when it starts the
job (`mark_taken`). When Redis is unreachable the rows wait for the periodic sweep, which
enqueues the rows not taken whose job Redis does not hold.

A job whose work the database keeps anyway (the statistics changes to apply) needs no row: a
transaction *nudges* it, and the relay enqueues it only when no run is already waiting, so a
burst of commits costs one run. The job clears the nudge as it starts; its periodic run covers
a nudge that Redis never received.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, cast

from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.job import Job
from sqlalchemy import Table, event, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction

from feedback.background.queues import get_queue, redis_connection
from feedback.background.registry import JobRef
from feedback.extensions import db
from feedback.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)
# A job that raises (the database restarting, a bug) is tried again with backoff, then kept
# in RQ's failed registry, where administrators see it and can retry it.
JOB_RETRY = Retry(max=3, interval=[10, 60, 300])
# Jobs this transaction asked for: written in one statement as it commits.
# What a transaction leaves for its commit lives in session.info under keys starting "commit.":
# a rollback forgets them all.
_PENDING = "commit.outbox.pending"
_NUDGES = "commit.outbox.nudges"
_EACH = "commit.outbox.each"
# Work that may still add jobs, done first as a transaction commits (see init_session_events).
_BEFORE: list[Callable[[Session], None]] = []
# Longer than a queued run waits in practice; if it expires first, a run more is harmless.
NUDGE_SECONDS = 10 * 60
_OUTBOX = cast(Table, OutboxMessage.__table__)
_INSERT = insert(_OUTBOX).returning(_OUTBOX.c.id, sort_by_parameter_order=True)


def add_job(job: JobRef, *args: Any) -> None:
    db.session.info.setdefault(_PENDING, []).append((job.path, list(args), job.queue))


def add_job_for_each(job: JobRef, items: Sequence[Any], batch_size: int) -> None:
    """Jobs for these items, `batch_size` a job, together with the items the rest of the
    transaction asks for: a sweep that writes hundreds of messages writes a few jobs."""
    db.session.info.setdefault(_EACH, {}).setdefault((job, batch_size), []).extend(items)


def nudge(job: JobRef) -> None:
    """Ask for a run of a job that takes no arguments and finds its work in the database."""
    db.session.info.setdefault(_NUDGES, set()).add(job)


def clear_nudge(job: JobRef) -> None:
    """Called by the job as it starts: what commits from now on needs another run."""
    redis_connection().delete(_nudge_key(job))


def commit_and_relay() -> None:
    """Commit, then enqueue the jobs the transaction asked for, from what was written."""
    session = db.session()
    messages = _write_pending(session)
    nudges = session.info.pop(_NUDGES, set())
    session.commit()
    _enqueue(messages, nudges)


def init_session_events(before: Sequence[Callable[[Session], None]] = ()) -> None:
    """A commit that is not commit_and_relay's still writes the jobs (the sweep enqueues them)
    and sends the nudges; a rollback forgets both with the rest of the transaction. `before`:
    what a commit does first, that may ask for jobs (the messages the steps owe)."""
    _BEFORE[:] = [*before]
    if not event.contains(Session, "before_commit", _write_pending):
        event.listen(Session, "before_commit", _write_pending)
        event.listen(Session, "after_commit", _send_nudges)
        event.listen(Session, "after_soft_rollback", _forget_pending)


def _send_nudges(session: Session) -> None:
    # Only a commit that is not commit_and_relay's finds nudges here.
    nudges = session.info.pop(_NUDGES, None)
    if nudges:
        _enqueue([], nudges)


def _write_pending(session: Session) -> list[_Message]:
    for work in _BEFORE:
        work(session)
    pending: list[tuple[str, list[Any], str]] = session.info.pop(_PENDING, [])
    each: dict[tuple[JobRef, int], list[Any]] = session.info.pop(_EACH, {})
    for (job, size), items in each.items():
        pending += [(job.path, [items[start : start + size]], job.queue) for start in range(0, len(items), size)]
    if not pending:
        return []
    now = utcnow()
    ids = session.connection().execute(
        _INSERT, [{"func": func, "args": args, "queue": queue, "created_at": now} for func, args, queue in pending]
    ).scalars().all()
    return [_Message(message_id, *job) for message_id, job in zip(ids, pending, strict=True)]


def _forget_pending(session: Session, previous: SessionTransaction) -> None:
    if not previous.nested:
        for key in [key for key in session.info if key.startswith("commit.")]:
            del session.info[key]


def relay() -> int:
    """The sweep: enqueue the rows no worker has taken whose job is not waiting in Redis either
    (Redis was down at their commit, or lost them); return how many."""
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.func, OutboxMessage.args, OutboxMessage.queue)
        .where(OutboxMessage.enqueued_at.is_(None))
        .order_by(OutboxMessage.id)
    ).all()
    # The read ends before enqueuing: on SQLite, a job that starts writing at once must not wait for it.
    db.session.commit()
    if not rows:
        return 0
    connection = redis_connection()
    try:
        with connection.pipeline(transaction=False) as pipe:
            for row in rows:
                pipe.exists(Job.key_for(_job_id(row.id)))
            waiting = pipe.execute()
    except RedisError:
        log.warning("Redis unreachable; %s outbox messages left for the next sweep", len(rows))
        return 0
    lost = [_Message(*row) for row, queued in zip(rows, waiting, strict=True) if not queued]
    return len(lost) if _enqueue(lost) else 0


def mark_taken(job_id: str) -> None:
    """A worker starts an outbox row's job: the sweep need not look at the row again."""
    if not job_id.startswith(_JOB_PREFIX):
        return
    try:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == int(job_id.removeprefix(_JOB_PREFIX)), OutboxMessage.enqueued_at.is_(None))
            .values(enqueued_at=utcnow())
        )
        db.session.commit()
    except SQLAlchemyError:
        # The job still runs; at worst the sweep enqueues it once more, and jobs are idempotent.
        db.session.rollback()
        log.exception("Outbox row of job %s not marked taken", job_id)


class _Message(NamedTuple):
    id: int
    func: str
    args: list[Any]
    queue: str


_JOB_PREFIX = "outbox-"


def _job_id(message_id: int) -> str:
    # Derived from the row: enqueuing the same row again replaces its job instead of adding one.
    return f"{_JOB_PREFIX}{message_id}"


def _nudge_key(job: JobRef) -> str:
    return f"pakn:nudge:{job.path}"


def _enqueue(messages: Sequence[_Message], nudges: set[JobRef] | frozenset[JobRef] = frozenset()) -> bool:
    """Every message's job and the nudged jobs no run is waiting for: one pipeline, and a second
    only when a nudged job must be enqueued. False when Redis is unreachable (the sweeps retry)."""
    if not messages and not nudges:
        return True
    connection = redis_connection()
    nudged = sorted(nudges, key=lambda job: job.path)
    try:
        with connection.pipeline() as pipe:
            for job in nudged:
                pipe.set(_nudge_key(job), 1, nx=True, ex=NUDGE_SECONDS)
            for queue_name in sorted({m.queue for m in messages}):
                jobs = [
                    Queue.prepare_data(m.func, m.args, job_id=_job_id(m.id), retry=JOB_RETRY)
                    for m in messages
                    if m.queue == queue_name
                ]
                get_queue(queue_name).enqueue_many(jobs, pipeline=pipe)
            fresh = pipe.execute()[: len(nudged)]
            wanted = [job for job, first in zip(nudged, fresh, strict=True) if first]
            for job in wanted:
                get_queue(job.queue).enqueue_many([Queue.prepare_data(job.path, retry=JOB_RETRY)], pipeline=pipe)
            if wanted:
                pipe.execute()
    except RedisError:
        log.warning("Redis unreachable; outbox messages %s left for the sweep", [m.id for m in messages])
        return False
    return True
