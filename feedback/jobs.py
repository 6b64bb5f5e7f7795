"""Background jobs: module-level functions taking ids or nothing, idempotent, run by RQ workers
inside an app context (see background/workers.py). Each delegates to a service."""

from __future__ import annotations

from feedback.background import outbox
from feedback.background.queues import on_queue
from feedback.services import escalation, statistics


@on_queue("statistics")
def compile_statistics() -> int:
    """Recompile the department rollups; returns how many departments were written."""
    return statistics.compile_department_stats()


@on_queue("notifications")
def sweep_outbox() -> int:
    """Enqueue outbox rows that were committed while Redis was unreachable."""
    return outbox.relay()


@on_queue("deadlines")
def sweep_deadlines() -> int:
    """Escalate late tickets up the ladder; returns how many were escalated."""
    return escalation.escalate_late_tickets()
