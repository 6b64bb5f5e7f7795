"""Every periodic job, in one list.

Production runs them with exactly one `rq cron feedback.background.cron_config`; the embedded
worker runs the same list in-process. Each is an idempotent sweep, because `rq cron` keeps its
schedule in memory: it fires interval jobs when it starts and does not make up missed runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from feedback.jobs import sweep_deadlines, sweep_notifications, sweep_outbox, update_statistics


@dataclass(frozen=True)
class PeriodicJob:
    func: Callable[..., Any]
    interval_seconds: int
    kwargs: Mapping[str, Any] = field(default_factory=dict)


def periodic_jobs(sweep_parts: int = 1) -> tuple[PeriodicJob, ...]:
    """The list, with the deadline sweep split in `sweep_parts` jobs (SWEEP_PARTS) that
    separate workers can run side by side."""
    # Reminders fall due at 07:00 and overdue work at midnight: ten minutes is close enough.
    sweeps = [
        PeriodicJob(sweep_deadlines, 10 * 60, {"part": part, "parts": sweep_parts} if sweep_parts > 1 else {})
        for part in range(sweep_parts)
    ]
    return (
        PeriodicJob(sweep_outbox, interval_seconds=60),
        PeriodicJob(sweep_notifications, interval_seconds=60),
        # Each change already asks for an update; this one catches deadlines passing.
        PeriodicJob(update_statistics, interval_seconds=60),
        *sweeps,
    )


PERIODIC_JOBS = periodic_jobs()
