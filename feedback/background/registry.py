"""The jobs that services ask for, by name.

A service that causes a job writes an outbox row naming it. Services never import the job
functions (`feedback.jobs` imports the services, which would make a cycle): they name a job by
one of these references, and `feedback.jobs` checks, as it defines each job, that its
reference names it and its queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from feedback.background.queues import queue_name_of

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
    """Marks the job function a reference names; a reference that names another function or
    queue fails at import, not when a worker cannot find the job."""

    def check(func: F) -> F:
        path = f"{func.__module__}.{func.__qualname__}"
        if path != ref.path or queue_name_of(func) != ref.queue:
            raise RuntimeError(f"{ref} does not name {path} on queue {queue_name_of(func)!r}")
        return func

    return check
