"""The outbox, the embedded worker and the periodic job list, with real RQ workers."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import func, select

from feedback.background.embedded import EmbeddedWorker
from feedback.background.periodic import PERIODIC_JOBS, PeriodicJob
from feedback.background.queues import EXTENSION_KEY, get_queue, on_queue
from feedback.extensions import db
from feedback.jobs import update_statistics
from feedback.models import EVERY, Department, OutboxMessage, StatRollup, User
from feedback.services.handling.actions import accept_ticket

# The embedded worker runs jobs in this process, so its jobs can reach the test's Redis client.
TEST_REDIS: list[Redis] = []


@on_queue("statistics")
def mark_run(key: str = "periodic") -> None:
    TEST_REDIS[0].incr(key)


def accept(ticket_id: int) -> None:
    intake = db.session.scalars(select(User).where(User.email == "intake@example.org")).one()
    department = db.session.scalars(select(Department).where(Department.code == "SCT")).one()
    accept_ticket(intake, ticket_id, department.id)


def accept_department_id() -> int:
    return db.session.scalars(select(Department.id).where(Department.code == "SCT")).one()


def test_staff_action_succeeds_with_redis_down_and_the_periodic_run_catches_the_statistics_up(
    app: Flask, redis: Redis, make_ticket: Callable[..., int], run_worker: Callable[[], bool]
) -> None:
    ticket_id = make_ticket("DIEN")
    assert run_worker(), "the submission's own statistics run"
    app.extensions[EXTENSION_KEY] = Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    with app.app_context():
        accept(ticket_id)
        # The change to count is kept in the database, not in an outbox row.
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0

    app.extensions[EXTENSION_KEY] = redis
    assert not run_worker(), "Redis never heard of the change"
    get_queue("statistics", app).enqueue(update_statistics)  # as rq cron does every minute
    assert run_worker()
    with app.app_context():
        assert (accept_department_id(), 1, 1) == department_counts()


def test_a_burst_of_changes_asks_for_one_statistics_run_and_the_next_change_for_another(
    app: Flask, make_ticket: Callable[..., int], run_worker: Callable[[], bool]
) -> None:
    first, second = make_ticket("DIEN", title="Mất điện cả khu phố"), make_ticket("DIEN", title="Cột điện nghiêng")
    with app.app_context():
        accept(first)
        accept(second)
    queue = get_queue("statistics", app)
    [job] = queue.get_jobs()
    assert job.func_name == "feedback.jobs.update_statistics"
    assert run_worker()
    with app.app_context():
        assert department_counts() == (accept_department_id(), 2, 2)
    assert queue.get_jobs() == []
    make_ticket("DIEN", title="Dây điện võng thấp")
    assert [job.func_name for job in queue.get_jobs()] == ["feedback.jobs.update_statistics"]


def department_counts() -> tuple[int | None, int, int]:
    stats = db.session.scalars(
        select(StatRollup).where(StatRollup.cube == "dc", StatRollup.grain == "m", StatRollup.channel != EVERY)
    ).one()
    return stats.department_id, stats.received, stats.accepted


def test_embedded_worker_runs_queued_and_periodic_jobs(app: Flask, redis: Redis) -> None:
    TEST_REDIS[:] = [redis]
    worker = EmbeddedWorker(app, periodic_jobs=[PeriodicJob(mark_run, interval_seconds=3600)])
    job = get_queue("statistics", app).enqueue(mark_run, "queued")
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (redis.get("queued") and redis.get("periodic")):
            time.sleep(0.1)
    finally:
        worker.stop()
    assert job.get_status(refresh=True) == "finished"
    assert redis.get("queued") == b"1"
    assert redis.get("periodic") == b"1", "an interval job runs once when the worker starts"


def test_every_periodic_job_is_a_known_queued_function() -> None:
    assert {p.func.__name__ for p in PERIODIC_JOBS} == {
        "sweep_outbox",
        "sweep_notifications",
        "update_statistics",
        "sweep_deadlines",
    }
    for periodic in PERIODIC_JOBS:
        assert periodic.func.queue_name in ("notifications", "deadlines", "statistics")
