"""Background jobs: module-level functions taking ids or nothing, idempotent, run by RQ workers
inside an app context (see background/workers.py). Each delegates to a service. Services ask
for them through the outbox by the references in background/registry.py."""

from __future__ import annotations

from feedback.background import outbox, registry
from feedback.background.queues import on_queue, single_run
from feedback.background.registry import fulfils
from feedback.services.deadlines import automatic
from feedback.services.notifications import delivery
from feedback.services.statistics import rebuild, rollups


@fulfils(registry.UPDATE_STATISTICS)
def update_statistics() -> int | None:
    """Bring the statistics rollups up to date with the changed tickets and the deadlines passed
    since the last run; returns how many tickets were recomputed (None: another run was busy)."""
    # Before the lock: a change committed from now on asks for a run of its own.
    outbox.clear_nudge(registry.UPDATE_STATISTICS)
    return _update_statistics_alone()


@single_run("statistics")
def _update_statistics_alone() -> int:
    return rollups.update()


@fulfils(registry.REBUILD_STATISTICS)
def rebuild_statistics() -> int:
    """Compile the statistics again from every ticket (an administrator asked for it), waiting
    for a running update to finish; returns how many tickets were read."""
    return rebuild.run_rebuild().tickets


@on_queue("notifications")
def sweep_outbox() -> int:
    """Enqueue outbox rows that were committed while Redis was unreachable."""
    return outbox.relay()


@fulfils(registry.DELIVER_NOTIFICATIONS)
def deliver_notifications(notification_ids: list[int]) -> int:
    """Send these messages if they are still pending; returns how many went out."""
    return delivery.deliver(notification_ids)


@on_queue("notifications")
def sweep_notifications() -> int:
    """Enqueue pending messages that are due: retries after their backoff, and any whose job
    Redis lost or whose worker died before handing them over."""
    return delivery.sweep()


@on_queue("deadlines")
@single_run(lambda part=0, parts=1: "sweep-deadlines" if parts == 1 else f"sweep-deadlines:{part}/{parts}")
def sweep_deadlines(part: int = 0, parts: int = 1) -> dict[str, int]:
    """Do what fell due on the tickets whose next_due_at has come: escalate, remind, post owed
    progress updates, remind to rate, close unrated answers; write the heads' digests. Returns
    what each part did. With `parts` > 1, only the tickets whose id leaves `part` divided by
    `parts`: several workers share a national sweep, each under its own lock."""
    return automatic.sweep(part=part, parts=parts)
