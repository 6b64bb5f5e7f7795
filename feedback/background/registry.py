"""The jobs that services ask for, by name.

A service that causes a job writes an outbox row naming it. Services never import the job
functions (`feedback.jobs` imports the services, which would make a cycle): they name a job by
one of these references, and `feedback.jobs` marks each job with its reference (`fulfils`),
which checks the name and puts the job on the reference's queue: the queue is said once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from feedback.background.queues import on_queue

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class JobRef:
    # The dotted path RQ imports the function by, as stored in outbox rows.
    path: str
    queue: str


UPDATE_STATISTICS = JobRef("feedback.jobs.update_statistics", "statistics")
REBUILD_STATISTICS = JobRef("feedback.jobs.rebuild_statistics", "statistics")
DELIVER_NOTIFICATIONS = JobRef("feedback.jobs.deliver_notifications", "notifications")


def fulfils(ref: JobRef) -> Callable[[F], F]:
    """Marks the job function a reference names and puts it on the reference's queue; a
    reference that names another function fails at import, not when a worker cannot find it."""

    def check(func: F) -> F:
        path = f"{func.__module__}.{func.__qualname__}"
        if path != ref.path:
            raise RuntimeError(f"{ref} does not name {path}")
        return on_queue(ref.queue)(func)

    return check
