"""One deadline sweep at a time, under its lock, and every late ticket escalated once whatever the batch size."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from redis import Redis
from rq.job import Job

from config import ConfigError, sweep_parts
from feedback.background.periodic import PERIODIC_JOBS, periodic_jobs
from feedback.background.queues import get_queue
from feedback.jobs import sweep_deadlines
from feedback.services.deadlines import automatic, escalation
from tests.feedback.deadline_sweep import Sweep, accepted, at, delivered, each, events
from tests.feedback.deadline_sweep import monday as monday
from tests.feedback.deadline_sweep import sweep as sweep

# --- one sweep at a time, in batches ---------------------------------------------------------


def test_the_sweep_does_nothing_while_another_holds_its_lock(
    app: Flask, redis: Redis, monday: date, sweep: Sweep
) -> None:
    late = accepted(app, at(monday, 0))
    lock = redis.lock("pakn:lock:sweep-deadlines", timeout=60)
    assert lock.acquire(blocking=False)
    assert sweep(at(monday, 25, 9)) is None
    with app.app_context():
        assert sweep_deadlines() is None
    assert events(app, late, "escalate") == [] and delivered(app, late) == Counter()
    lock.release()
    result = sweep(at(monday, 25, 9))
    assert result is not None and result["escalated"] == 1
    assert redis.get("pakn:lock:sweep-deadlines") is None, "released after the run"


def test_every_late_ticket_is_escalated_once_whatever_the_batch_size(
    app: Flask, monday: date, sweep: Sweep, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(escalation, "BATCH", 3)
    late = [accepted(app, at(monday, 0)) for _ in range(8)]
    first, second = sweep(at(monday, 25, 9)), sweep(at(monday, 25, 9))
    assert first is not None and second is not None
    assert (first["escalated"], second["escalated"]) == (8, 0)
    for ticket_id in late:
        assert [e.payload["level"] for e in events(app, ticket_id, "escalate")] == ["leader"]
        assert delivered(app, ticket_id, ["escalated"]) == each("escalated", ["leader@example.org"])


def test_a_sweep_split_in_parts_shares_the_due_tickets_between_them_each_under_its_own_lock(
    app: Flask, redis: Redis, monday: date, run_worker: Callable[[], bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    late = [accepted(app, at(monday, 0)) for _ in range(6)]
    for module in (escalation, automatic):
        monkeypatch.setattr(module, "utcnow", lambda: at(monday, 25, 9))
    # Part 1 is running elsewhere: part 0 goes on all the same.
    lock = redis.lock("pakn:lock:sweep-deadlines:1/2", timeout=60)
    assert lock.acquire(blocking=False)
    queue = get_queue("deadlines", app)
    parts = [queue.enqueue(sweep_deadlines, part=part, parts=2) for part in (0, 1)]
    assert run_worker()
    done = [Job.fetch(job.id, connection=redis).return_value() for job in parts]
    assert done[1] is None
    assert done[0] is not None and done[0]["escalated"] == sum(1 for t in late if t % 2 == 0)
    lock.release()
    second = queue.enqueue(sweep_deadlines, part=1, parts=2)
    assert run_worker()
    result = Job.fetch(second.id, connection=redis).return_value()
    assert result is not None and result["escalated"] == sum(1 for t in late if t % 2 == 1)
    for ticket_id in late:
        assert [e.payload["level"] for e in events(app, ticket_id, "escalate")] == ["leader"]


def test_rq_cron_gets_one_sweep_job_per_part() -> None:
    jobs = [p for p in periodic_jobs(sweep_parts({"SWEEP_PARTS": "3"})) if p.func is sweep_deadlines]
    assert [dict(p.kwargs) for p in jobs] == [{"part": n, "parts": 3} for n in range(3)]
    assert [p.kwargs for p in PERIODIC_JOBS if p.func is sweep_deadlines] == [{}]
    with pytest.raises(ConfigError):
        sweep_parts({"SWEEP_PARTS": "0"})
