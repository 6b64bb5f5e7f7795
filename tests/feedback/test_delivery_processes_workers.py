"""Real workers in separate processes, killed with SIGKILL or held past their lease: no message lost or sent twice."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask_migrate import upgrade
from psycopg import sql
from rq.job import Job, JobStatus
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from app import create_app
from feedback.background.outbox import JOB_RETRY
from feedback.background.queues import get_queue, redis_connection
from feedback.demo import seed_demo
from feedback.extensions import db
from feedback.jobs import deliver_notifications, sweep_notifications
from feedback.models import Area, Category, Notification, OutboxMessage, utcnow
from feedback.services.intake.submissions import Submission, submit_ticket
from tests.feedback.delivery_processes import PUBLIC_URL
from tests.support.ports import free_port
from tests.support.redis_server import RedisServer, require_redis_server
from tests.support.smtp_server import SmtpRecorder, SmtpServer
from tests.support.waiting import wait_for
from tests.support.worker_processes import WorkerProcess

MIGRATIONS = str(Path(__file__).parents[2] / "migrations")


# In separate processes: workers killed with SIGKILL, on a database of their own -------------


@dataclass
class Separate:
    """A committed database, a Redis server and an SMTP port shared by this module's process
    tests, and the app (in this process) that submits and sweeps on them."""

    app: Flask
    redis: RedisServer
    smtp_port: int
    environment: dict[str, str]
    directory: Path


@contextmanager
def separate_database(directory: Path) -> Iterator[str]:
    """A temporary SQLite file, or, when the suite runs on PostgreSQL, a database of its own
    next to TEST_DATABASE_URL's, dropped afterwards."""
    test_url = os.environ.get("TEST_DATABASE_URL")
    if not test_url:
        yield f"sqlite:///{directory / 'processes.sqlite3'}"
        return
    url = make_url(test_url)
    name = sql.Identifier(f"{url.database}_processes")
    server = url.set(drivername="postgresql").render_as_string(hide_password=False)

    def drop() -> None:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))

    drop()
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(name))
    try:
        yield url.set(database=f"{url.database}_processes").render_as_string(hide_password=False)
    finally:
        drop()


@pytest.fixture(scope="module")
def separate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Separate]:
    require_redis_server()
    directory = tmp_path_factory.mktemp("processes")
    redis_server = RedisServer(directory).start()
    try:
        with separate_database(directory) as database_url:
            smtp_port = free_port()
            # Everything a worker needs, as production gives it: environment variables (config.py).
            environment = {
                "APP_ENV": "development",
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_server.url,
                "SECRET_KEY": "processes-secret",
                "MAIL_BACKEND": "smtp",
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(smtp_port),
                "SMTP_SECURITY": "none",
                "SMTP_TIMEOUT": "10",
                "NOTIFICATION_LEASE_SECONDS": "3",
                "NOTIFICATION_RETRY_DELAYS": "1,1",
                "PUBLIC_URL": PUBLIC_URL,
            }
            app = create_app(
                {
                    "TESTING": True,
                    "SQLALCHEMY_DATABASE_URI": database_url,
                    "REDIS_URL": redis_server.url,
                    "SECRET_KEY": environment["SECRET_KEY"],
                    "NOTIFICATION_LEASE_SECONDS": 3,
                    "NOTIFICATION_RETRY_DELAYS": (1, 1),
                    "PUBLIC_URL": PUBLIC_URL,
                    "RATELIMIT_ENABLED": False,
                    # Flask-Limiter keeps one storage for all apps, the last one set up: it must
                    # not be this module's Redis, which is stopped after it.
                    "RATELIMIT_STORAGE_URI": "memory://",
                    "UPLOAD_FOLDER": str(directory / "uploads"),
                }
            )
            with app.app_context():
                upgrade(directory=MIGRATIONS)
                seed_demo()
                db.session.remove()
            try:
                yield Separate(app, redis_server, smtp_port, environment, directory)
            finally:
                redis_connection(app).close()
                with app.app_context():
                    db.engine.dispose()
    finally:
        redis_server.stop()


@dataclass
class Processes:
    separate: Separate
    workers: list[WorkerProcess] = field(default_factory=list)
    servers: list[SmtpServer] = field(default_factory=list)

    @property
    def app(self) -> Flask:
        return self.separate.app

    def smtp(self, recorder: SmtpRecorder) -> SmtpServer:
        server = SmtpServer(recorder, self.separate.smtp_port)
        self.servers.append(server)
        return server.start()

    def start_worker(self, **settings: str) -> WorkerProcess:
        log = self.separate.directory / f"worker-{time.monotonic_ns()}.log"
        worker = WorkerProcess({**self.separate.environment, **settings}, log, queues=["notifications"])
        self.workers.append(worker)
        return worker.start()

    def logs(self) -> str:
        return "\n".join(worker.log() for worker in self.workers)

    def submit(self, email: str) -> int:
        """File a ticket whose submitter wants email; returns the acknowledgement's id."""
        with self.app.app_context():
            receipt = submit_ticket(
                Submission(
                    kind="feedback",
                    category_id=db.session.scalar(select(Category.id).where(Category.code == "GTDB")),
                    area_id=db.session.scalar(select(Area.id).where(Area.name == "Phường Nha Trang")),
                    # Unique: the same text again within minutes would be taken for a duplicate.
                    title=f"Đèn tín hiệu hỏng, báo lần {uuid.uuid4().hex[:8]}",
                    description="Sự việc kéo dài từ hôm qua, đề nghị cơ quan chức năng kiểm tra.",
                    email=email,
                    notify_by="email",
                ),
                actor=None,
            )
            return db.session.scalars(
                select(Notification.id).where(Notification.ticket_id == receipt.ticket.id)
            ).one()

    def notification(self, notification_id: int) -> Notification:
        with self.app.app_context():
            notification = db.session.get(Notification, notification_id)
            assert notification is not None
            db.session.expunge(notification)
            return notification

    def wait_for_status(self, notification_id: int, status: str) -> Notification:
        return wait_for(
            lambda: (n := self.notification(notification_id)).status == status and n,
            f"notification {notification_id} to be {status}",
            details=self.logs,
        )

    def wait_out_lease(self, notification_id: int) -> None:
        lease_until = self.notification(notification_id).lease_until
        assert lease_until is not None
        delay = (lease_until - utcnow()).total_seconds()
        if delay > 0:
            time.sleep(delay + 0.05)

    def run(self, func: Callable[..., Any], *args: Any) -> Job:
        """Enqueue a job for the worker processes and wait until one has run it."""
        return self.wait_for_job(get_queue("notifications", self.app).enqueue(func, *args))

    def wait_for_job(self, job: Job) -> Job:
        wait_for(
            lambda: job.get_status(refresh=True) in (JobStatus.FINISHED, JobStatus.FAILED),
            f"{job.func_name} to run",
            details=self.logs,
        )
        job.refresh()
        assert job.get_status() == JobStatus.FINISHED, self.logs()
        assert job.retries_left in (None, JOB_RETRY.max), f"the job raised and was run again\n{self.logs()}"
        return job

    def relayed_job(self, notification_id: int) -> Job:
        """The delivery job the outbox enqueued for this message when it was written."""
        with self.app.app_context():
            messages = db.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.func == "feedback.jobs.deliver_notifications")
                .order_by(OutboxMessage.id)
            ).all()
            first = next(m for m in messages if m.args == [[notification_id]])
        return Job.fetch(f"outbox-{first.id}", connection=redis_connection(self.app))

    def close(self) -> None:
        for worker in self.workers:
            worker.request_stop()
        for worker in self.workers:
            worker.stop()
        for server in self.servers:
            server.stop()


@pytest.fixture
def processes(separate: Separate) -> Iterator[Processes]:
    separate.redis.flush()
    with separate.app.app_context():
        # What an earlier failed test left half-sent must not reach this test's mail server.
        db.session.execute(
            update(Notification)
            .where(Notification.status.in_(("pending", "sending")))
            .values(status="failed", last_error="left by an earlier test")
        )
        db.session.commit()
    processes = Processes(separate)
    yield processes
    processes.close()


def test_a_worker_killed_before_the_message_was_handed_over_sends_it_once_after_restart(
    processes: Processes,
) -> None:
    smtp = processes.smtp(SmtpRecorder(stall_at="RCPT"))
    worker = processes.start_worker()
    notification_id = processes.submit("killed.before@example.org")
    assert smtp.recorder.stalled.wait(20), processes.logs()
    worker.kill()
    notification = processes.notification(notification_id)
    assert (notification.status, notification.attempts) == ("pending", 1)

    processes.start_worker()
    processes.wait_out_lease(notification_id)
    assert processes.run(sweep_notifications).return_value() == 1
    notification = processes.wait_for_status(notification_id, "sent")

    assert notification.attempts == 2
    assert processes.run(sweep_notifications).return_value() == 0
    [mail] = smtp.received
    assert mail.recipients == ("killed.before@example.org",)


def test_a_worker_killed_after_handing_the_message_over_never_sends_it_again(processes: Processes) -> None:
    smtp = processes.smtp(SmtpRecorder(stall_at="DATA"))
    worker = processes.start_worker()
    notification_id = processes.submit("killed.after@example.org")
    assert smtp.recorder.stalled.wait(20), processes.logs()
    worker.kill()
    assert processes.notification(notification_id).status == "sending"

    processes.start_worker()
    processes.wait_out_lease(notification_id)
    assert processes.run(sweep_notifications).return_value() == 0
    notification = processes.notification(notification_id)
    assert (notification.status, notification.attempts) == ("uncertain", 1)

    assert processes.run(sweep_notifications).return_value() == 0
    assert processes.notification(notification_id).status == "uncertain"
    assert len(smtp.received) == 1


def test_a_second_worker_leaves_alone_a_message_another_is_sending(processes: Processes) -> None:
    smtp = processes.smtp(SmtpRecorder(stall_at="RCPT"))
    # A lease far longer than the test: the first worker holds the message throughout.
    processes.start_worker(NOTIFICATION_LEASE_SECONDS="60")
    notification_id = processes.submit("two.workers@example.org")
    assert smtp.recorder.stalled.wait(20), processes.logs()

    processes.start_worker(NOTIFICATION_LEASE_SECONDS="60")
    assert processes.run(deliver_notifications, [notification_id]).return_value() == 0
    assert processes.run(sweep_notifications).return_value() == 0
    smtp.recorder.release.set()
    notification = processes.wait_for_status(notification_id, "sent")

    assert notification.attempts == 1
    assert processes.wait_for_job(processes.relayed_job(notification_id)).return_value() == 1
    assert len(smtp.received) == 1


@pytest.mark.parametrize(
    "reply_after_stall", ["250 OK", "550 5.1.1 No such mailbox"], ids=["then-accepted", "then-refused"]
)


def test_a_worker_that_held_a_message_past_its_lease_leaves_it_to_its_successor(
    processes: Processes, reply_after_stall: str
) -> None:
    smtp = processes.smtp(SmtpRecorder(stall_at="RCPT", reply_after_stall=reply_after_stall))
    processes.start_worker()
    notification_id = processes.submit("past.lease@example.org")
    assert smtp.recorder.stalled.wait(20), processes.logs()

    # The first worker is stuck past its lease, as if it had died: the sweep gives the message
    # to another worker, which sends it.
    processes.start_worker()
    processes.wait_out_lease(notification_id)
    assert processes.run(sweep_notifications).return_value() == 1
    notification = processes.wait_for_status(notification_id, "sent")
    assert notification.attempts == 2

    # When the first worker gets its answer, neither sending nor recording a refusal is its to do.
    smtp.recorder.release.set()
    assert processes.wait_for_job(processes.relayed_job(notification_id)).return_value() == 0
    notification = processes.notification(notification_id)
    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 2, "")
    [mail] = smtp.received
    assert mail.recipients == ("past.lease@example.org",)
