"""What the background queues hold, and an administrator's hand on the jobs that failed.

RQ keeps a job that raised, after its retries, in its queue's failed registry: nothing runs it
again by itself. The functions that read Redis raise redis.exceptions.RedisError when it is
unreachable; the outbox backlog is read from the database and is known even then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rq.exceptions import DeserializationError, InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from feedback.background.queues import QUEUE_NAMES, all_queues, get_queue, redis_connection
from feedback.extensions import db
from feedback.models import OutboxMessage, User
from feedback.services.access import require_administrator
from feedback.services.errors import NotFoundError

FAILED_SHOWN_PER_QUEUE = 100
ARGUMENTS_SHOWN = 200


@dataclass(frozen=True)
class QueueFigures:
    name: str
    queued: int
    started: int
    scheduled: int
    failed: int


@dataclass(frozen=True)
class FailedJob:
    id: str
    queue: str
    function: str
    arguments: str
    failed_at: datetime | None
    traceback: str

    @property
    def error(self) -> str:
        """The traceback's last line: the exception and its message."""
        lines = [line for line in self.traceback.splitlines() if line.strip()]
        return lines[-1] if lines else ""


@dataclass(frozen=True)
class OutboxBacklog:
    """Jobs committed while Redis was unreachable, waiting for the outbox sweep."""

    waiting: int
    oldest: datetime | None


class JobGone(LookupError):
    """The job is no longer among the failed ones: retried, deleted or expired meanwhile."""


def queue_figures() -> list[QueueFigures]:
    return [
        QueueFigures(
            name=queue.name,
            queued=queue.count,
            # Without the cleanup, which would requeue or fail the jobs of a dead worker: that is
            # the workers' own maintenance, not something a page view should set off.
            started=queue.started_job_registry.get_job_count(cleanup=False),
            scheduled=queue.scheduled_job_registry.count,
            failed=queue.failed_job_registry.count,
        )
        for queue in all_queues()
    ]


def failed_jobs(per_queue: int = FAILED_SHOWN_PER_QUEUE) -> list[FailedJob]:
    """The failed jobs of every queue, most recent failure first."""
    found: list[FailedJob] = []
    for queue in all_queues():
        ids = queue.failed_job_registry.get_job_ids(0, per_queue - 1, desc=True)
        for job in Job.fetch_many(ids, connection=redis_connection()):
            # None when the job's data expired before its registry entry was cleaned up.
            if job is not None:
                found.append(_described(job, queue.name))
    return sorted(found, key=lambda job: job.failed_at or datetime.min.replace(tzinfo=UTC), reverse=True)


def outbox_backlog() -> OutboxBacklog:
    waiting, oldest = db.session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at)).where(
            OutboxMessage.enqueued_at.is_(None)
        )
    ).one()
    return OutboxBacklog(waiting=waiting, oldest=oldest)


def retry_failed_job(actor: User, queue_name: str, job_id: str) -> None:
    """Put the job back at the end of its queue, for a worker to run it again."""
    require_administrator(actor)
    registry = _failed_registry(queue_name)
    try:
        registry.requeue(job_id)
    except (InvalidJobOperation, NoSuchJobError) as error:
        raise JobGone(job_id) from error


def delete_failed_job(actor: User, queue_name: str, job_id: str) -> None:
    """Forget the job and its traceback; it will not run."""
    require_administrator(actor)
    registry = _failed_registry(queue_name)
    if job_id not in registry:
        raise JobGone(job_id)
    try:
        Job.fetch(job_id, connection=registry.connection).delete()
    except NoSuchJobError:
        registry.remove(job_id)


def _failed_registry(queue_name: str) -> FailedJobRegistry:
    if queue_name not in QUEUE_NAMES:
        raise NotFoundError("queue")
    # rq leaves this property unannotated; it builds a FailedJobRegistry for the queue.
    registry: FailedJobRegistry = get_queue(queue_name).failed_job_registry
    return registry


def _described(job: Job, queue_name: str) -> FailedJob:
    result = job.latest_result()
    try:
        function = job.func_name or ""
        values = [repr(value) for value in job.args] + [f"{name}={value!r}" for name, value in job.kwargs.items()]
        arguments = ", ".join(values)
    except DeserializationError:
        # Enqueued by another version of the code: the page still lists it, to delete or retry.
        function, arguments = "?", "?"
    return FailedJob(
        id=job.id,
        queue=queue_name,
        function=function,
        arguments=arguments if len(arguments) <= ARGUMENTS_SHOWN else arguments[: ARGUMENTS_SHOWN - 1] + "…",
        failed_at=job.ended_at or (result.created_at if result else None),
        traceback=(result.exc_string if result else None) or "",
    )
