"""The transactional outbox.

A service that causes a job adds an outbox row in the same transaction as its change and
calls `commit_and_relay`. The relay enqueues after the commit, so a worker never looks for a
row that is not there yet; when Redis is unreachable the rows wait for the periodic sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from redis.exceptions import RedisError
from rq import Retry
from sqlalchemy import select, update

from feedback.background.queues import get_queue
from feedback.background.registry import JobRef
from feedback.extensions import db
from feedback.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)
# A job that raises (the database restarting, a bug) is tried again with backoff, then kept
# in RQ's failed registry, where administrators see it and can retry it.
JOB_RETRY = Retry(max=3, interval=[10, 60, 300])
# Rows this session added, so that the relay after the commit picks exactly those.
_PENDING = "outbox.pending"


def add_job(job: JobRef, *args: Any) -> OutboxMessage:
    message = OutboxMessage(func=job.path, args=list(args), queue=job.queue)
    db.session.add(message)
    db.session.info.setdefault(_PENDING, []).append(message)
    return message


def add_job_once(job: JobRef, *args: Any) -> OutboxMessage:
    """Like add_job, but a job this transaction already asked for is not asked for again."""
    pending: list[OutboxMessage] = db.session.info.get(_PENDING, [])
    for message in pending:
        if message.func == job.path and message.args == list(args):
            return message
    return add_job(job, *args)


def commit_and_relay() -> None:
    pending: list[OutboxMessage] = db.session.info.pop(_PENDING, [])
    db.session.commit()
    relay([message.id for message in pending])


def relay(message_ids: Iterable[int] | None = None) -> int:
    """Enqueue pending outbox rows (all of them, or the given ones); return how many."""
    query = (
        select(OutboxMessage.id, OutboxMessage.func, OutboxMessage.args, OutboxMessage.queue)
        .where(OutboxMessage.enqueued_at.is_(None))
        .order_by(OutboxMessage.id)
    )
    if message_ids is not None:
        ids = list(message_ids)
        if not ids:
            return 0
        query = query.where(OutboxMessage.id.in_(ids))
    relayed = 0
    # Plain rows, and the read ended before enqueuing: the job may start writing at once, and on
    # SQLite a transaction that read before another's write cannot write after it ("database is
    # locked"), so nothing may be read again, not even an expired object, between here and the update.
    messages = db.session.execute(query).all()
    db.session.commit()
    for message in messages:
        try:
            # The job id is derived from the row, so a second relay of the same row replaces
            # the queued job instead of adding another.
            get_queue(message.queue).enqueue(
                message.func, *message.args, job_id=f"outbox-{message.id}", retry=JOB_RETRY
            )
        except RedisError:
            log.warning("Redis unreachable; outbox message %s left for the sweep", message.id)
            break
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(enqueued_at=utcnow()))
        db.session.commit()
        relayed += 1
    return relayed
