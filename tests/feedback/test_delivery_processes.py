"""No message lost, none sent twice: delivery against a real SMTP server (aiosmtpd), a real SMS
gateway over HTTP and real RQ workers, while Redis is stopped, the mail server is down or
refuses, and workers are killed with SIGKILL in the middle of a message.

The tests that kill a worker run it as a separate process (`flask worker`), so they use a
database of their own that is committed for real; the others run jobs in this process on the
test's rolled-back transaction.
"""

from __future__ import annotations

import gc
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from psycopg import sql
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq.job import Job, JobStatus
from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from werkzeug.test import TestResponse

from app import create_app
from feedback.background.outbox import JOB_RETRY
from feedback.background.queues import EXTENSION_KEY, get_queue, redis_connection
from feedback.background.workers import run_jobs
from feedback.demo import seed_demo
from feedback.extensions import db
from feedback.jobs import deliver_notifications, sweep_notifications, sweep_outbox
from feedback.models import Area, Category, Notification, OutboxMessage, Ticket, User, utcnow
from feedback.services.handling.actions import accept_ticket
from feedback.services.intake.submissions import Submission, submit_ticket
from feedback.services.notifications.delivery import deliver
from feedback.text import without_accents
from tests.support.servers import (
    Certificate,
    RedisServer,
    SmsGateway,
    SmtpRecorder,
    SmtpServer,
    WorkerProcess,
    free_port,
    require_redis_server,
    self_signed_certificate,
    wait_for,
)

MIGRATIONS = str(Path(__file__).parents[2] / "migrations")
PUBLIC_URL = "http://localhost"
SMS_TOKEN = "gateway-token"


# In this process: the session's app, with its mail sent to a real SMTP server -------------


@pytest.fixture
def smtp_port(app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    """The app sends email by SMTP to this port, where nothing listens until a test starts a server."""
    port = free_port()
    settings = {
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_SECURITY": "none",
        "SMTP_USERNAME": None,
        "SMTP_PASSWORD": None,
        "SMTP_TIMEOUT": 10,
        "NOTIFICATION_RETRY_DELAYS": (1, 1),
        "PUBLIC_URL": PUBLIC_URL,
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    return port


@pytest.fixture
def smtp_server(smtp_port: int) -> Iterator[Callable[..., SmtpServer]]:
    """Start an SMTP server on the app's SMTP port; stopped after the test."""
    started: list[SmtpServer] = []

    def start(recorder: SmtpRecorder | None = None, **options: Any) -> SmtpServer:
        server = SmtpServer(recorder or SmtpRecorder(), smtp_port, **options)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def sms_gateway(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., SmsGateway]]:
    started: list[SmsGateway] = []

    def start(replies: tuple[int, ...] = ()) -> SmsGateway:
        gateway = SmsGateway(replies).start()
        started.append(gateway)
        for key, value in {
            "SMS_BACKEND": "http", "SMS_HTTP_URL": gateway.url, "SMS_HTTP_TOKEN": SMS_TOKEN,
            "NOTIFICATION_RETRY_DELAYS": (1, 1), "PUBLIC_URL": PUBLIC_URL,
        }.items():
            monkeypatch.setitem(app.config, key, value)
        return gateway

    yield start
    for gateway in started:
        gateway.stop()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def stopped_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server that is not running yet; stopped after the test if the test started it."""
    require_redis_server()
    server = RedisServer(tmp_path)
    yield server
    server.stop()


def submit(app: Flask, client: FlaskClient, post_form: Callable[..., TestResponse], **contact: str) -> str:
    """Send the public form as a citizen does; returns the code the confirmation page shows."""
    with app.app_context():
        category = db.session.scalar(select(Category.id).where(Category.code == "MTRT"))
    response = post_form(
        "/submit",
        {
            "kind": "recommendation",
            "category": category,
            "x__MTRT__waste_type": "sinh_hoat",
            "area": "Phường Bắc Nha Trang",
            "title": "Đặt thêm thùng rác ở bãi biển",
            "description": "Đề nghị đặt thêm thùng rác phân loại dọc bãi biển để du khách bỏ rác đúng chỗ.",
            "submitter_type": "citizen",
            "name": "Nguyễn Thị Lan",
            "visibility": "public",
            "consent": "y",
            **contact,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get("/submitted").get_data(as_text=True)
    match = re.search(r'data-testid="tracking-code">([^<]+)<', page)
    assert match, "the confirmation page shows no code"
    return match.group(1)


def acknowledgement(app: Flask, code: str) -> Notification:
    with app.app_context():
        notification = db.session.scalars(
            select(Notification).join(Ticket).where(Ticket.code == code, Notification.kind == "acknowledgement")
        ).one()
        db.session.expunge(notification)
        return notification


def sweep_and_work(app: Flask) -> None:
    """What the periodic `sweep_notifications` does in production, run by a real worker."""
    get_queue("notifications", app).enqueue(sweep_notifications)
    assert run_jobs(app)


def wait_until_due(notification: Notification) -> None:
    delay = (notification.retry_at - utcnow()).total_seconds()
    if delay > 0:
        time.sleep(delay + 0.05)


def test_a_submission_made_while_redis_is_stopped_is_acknowledged_once_redis_is_back(
    app: Flask,
    client: FlaskClient,
    post_form: Callable[..., TestResponse],
    smtp_server: Callable[..., SmtpServer],
    stopped_redis: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As queues.init_app connects in production: fail fast, no retries.
    connection = Redis.from_url(stopped_redis.url, socket_connect_timeout=2, retry=Retry(NoBackoff(), 1))
    monkeypatch.setitem(app.extensions, EXTENSION_KEY, connection)
    smtp = smtp_server()
    try:
        code = submit(app, client, post_form, email="lan@example.org", notify_by="email")
        assert smtp.received == []
        notification = acknowledgement(app, code)
        assert (notification.status, notification.attempts) == ("pending", 0)
        with app.app_context():
            waiting = db.session.scalars(select(OutboxMessage.func).where(OutboxMessage.enqueued_at.is_(None))).all()
        assert "feedback.jobs.deliver_notifications" in waiting

        stopped_redis.start()
        queue = get_queue("notifications", app)
        queue.enqueue(sweep_outbox)
        queue.enqueue(sweep_notifications)
        assert run_jobs(app)
    finally:
        connection.close()

    [mail] = smtp.received
    assert mail.recipients == ("lan@example.org",)
    assert b"\n" not in mail.raw.replace(b"\r\n", b""), "bare line feeds"
    assert mail.message["Content-Language"] == "vi"
    assert code in mail.message["Subject"]
    assert code in mail.body
    links = re.findall(rf"{re.escape(PUBLIC_URL)}/track/\S+", mail.body)
    assert len(links) == 1, mail.body
    page = client.get(urlsplit(links[0]).path)
    assert page.status_code == 200
    assert code in page.get_data(as_text=True)
    notification = acknowledgement(app, code)
    assert (notification.status, notification.attempts) == ("sent", 1)


def test_a_message_the_mail_server_could_not_take_is_sent_when_it_is_back(
    app: Flask, client: FlaskClient, post_form: Callable[..., TestResponse], smtp_server: Callable[..., SmtpServer]
) -> None:
    before = utcnow()
    code = submit(app, client, post_form, email="lan@example.org", notify_by="email")
    assert run_jobs(app)
    after = utcnow()
    notification = acknowledgement(app, code)
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert "Connection refused" in notification.last_error
    # The first delay of NOTIFICATION_RETRY_DELAYS, counted from the attempt.
    assert before + timedelta(seconds=1) <= notification.retry_at <= after + timedelta(seconds=1)

    smtp = smtp_server()
    wait_until_due(notification)
    sweep_and_work(app)

    [mail] = smtp.received
    assert mail.recipients == ("lan@example.org",)
    notification = acknowledgement(app, code)
    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 2, "")


def test_a_message_is_failed_when_the_delays_are_used_up(
    app: Flask,
    client: FlaskClient,
    post_form: Callable[..., TestResponse],
    smtp_port: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "NOTIFICATION_RETRY_DELAYS", (0, 0))
    code = submit(app, client, post_form, email="lan@example.org", notify_by="email")
    assert run_jobs(app)
    for attempts in (2, 3):
        assert acknowledgement(app, code).status == "pending"
        sweep_and_work(app)
        assert acknowledgement(app, code).attempts == attempts

    notification = acknowledgement(app, code)
    assert notification.status == "failed"
    assert notification.last_error.startswith("Gave up after 3 attempts")
    sweep_and_work(app)
    assert acknowledgement(app, code).attempts == 3


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        ({"refuse_rcpt": "550 5.1.1 No such mailbox"}, "failed"),
        ({"refuse_data": "554 5.7.1 Message rejected"}, "failed"),
        ({"refuse_rcpt": "451 4.3.0 Try again later"}, "pending"),
        ({"refuse_data": "452 4.3.1 Insufficient storage"}, "pending"),
    ],
    ids=["550-at-rcpt", "554-at-data", "451-at-rcpt", "452-at-data"],
)
def test_a_refusal_fails_the_message_at_once_and_a_deferral_waits_for_its_delay(
    app: Flask,
    client: FlaskClient,
    post_form: Callable[..., TestResponse],
    smtp_server: Callable[..., SmtpServer],
    monkeypatch: pytest.MonkeyPatch,
    refusal: dict[str, str],
    status: str,
) -> None:
    # Long enough that the sweep below cannot find a deferred message due.
    monkeypatch.setitem(app.config, "NOTIFICATION_RETRY_DELAYS", (600, 600))
    smtp = smtp_server(SmtpRecorder(**refusal))
    code = submit(app, client, post_form, email="lan@example.org", notify_by="email")
    assert run_jobs(app)
    reply = next(iter(refusal.values()))
    notification = acknowledgement(app, code)
    assert (notification.status, notification.attempts) == (status, 1)
    assert reply[:3] in notification.last_error

    sweep_and_work(app)
    assert acknowledgement(app, code).attempts == 1, "tried again"
    assert smtp.received == []


def test_the_same_delivery_job_twice_sends_one_message(
    app: Flask, client: FlaskClient, post_form: Callable[..., TestResponse], smtp_server: Callable[..., SmtpServer]
) -> None:
    smtp = smtp_server()
    code = submit(app, client, post_form, email="lan@example.org", notify_by="email")
    notification = acknowledgement(app, code)
    # The relay queued one job; RQ's own retry of a job, or a second relay, queues another.
    duplicate = get_queue("notifications", app).enqueue(deliver_notifications, [notification.id])
    assert run_jobs(app)
    assert duplicate.return_value() == 0
    with app.app_context():
        assert deliver([notification.id]) == 0

    assert len(smtp.received) == 1
    notification = acknowledgement(app, code)
    assert (notification.status, notification.attempts) == ("sent", 1)


def test_text_messages_go_to_the_gateway_once_each_as_json_without_accents(
    app: Flask, client: FlaskClient, post_form: Callable[..., TestResponse], sms_gateway: Callable[..., SmsGateway]
) -> None:
    gateway = sms_gateway()
    code = submit(app, client, post_form, phone="0905 123 456", notify_by="sms")
    assert run_jobs(app)
    # Accepting it sends another, which names the department in Vietnamese.
    with app.app_context():
        ticket = db.session.scalars(select(Ticket).where(Ticket.code == code)).one()
        intake = db.session.scalars(select(User).where(User.email == "intake@example.org")).one()
        accept_ticket(intake, ticket.id, ticket.department_id)
        department = ticket.department.name_vi
    assert run_jobs(app)

    received, accepted = gateway.requests
    for request in (received, accepted):
        assert request.authorization == f"Bearer {SMS_TOKEN}"
        assert request.content_type == "application/json"
        assert set(request.payload) == {"to", "text", "id"}
        assert request.payload["to"] == "0905123456"
        assert code in request.payload["text"]
        assert f"{PUBLIC_URL}/track/{code}/" in request.payload["text"]
        assert request.payload["text"].isascii(), request.payload["text"]
    assert without_accents(department) in accepted.payload["text"]
    assert received.payload["id"] != accepted.payload["id"]
    notification = acknowledgement(app, code)
    assert (notification.status, notification.attempts) == ("sent", 1)


def test_a_gateway_error_is_retried_with_the_same_message_id(
    app: Flask, client: FlaskClient, post_form: Callable[..., TestResponse], sms_gateway: Callable[..., SmsGateway]
) -> None:
    gateway = sms_gateway(replies=(500,))
    code = submit(app, client, post_form, phone="0905 123 456", notify_by="sms")
    assert run_jobs(app)
    notification = acknowledgement(app, code)
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert "HTTP 500" in notification.last_error

    wait_until_due(notification)
    sweep_and_work(app)
    first, second = gateway.requests
    # The gateway can drop a copy by its id.
    assert first.payload == second.payload
    notification = acknowledgement(app, code)
    assert (notification.status, notification.attempts) == ("sent", 2)


def test_a_message_the_gateway_refuses_is_failed_at_once(
    app: Flask, client: FlaskClient, post_form: Callable[..., TestResponse], sms_gateway: Callable[..., SmsGateway]
) -> None:
    gateway = sms_gateway(replies=(400,))
    code = submit(app, client, post_form, phone="0905 123 456", notify_by="sms")
    assert run_jobs(app)
    notification = acknowledgement(app, code)
    assert (notification.status, notification.attempts) == ("failed", 1)
    assert "HTTP 400" in notification.last_error

    sweep_and_work(app)
    assert len(gateway.requests) == 1


@pytest.mark.parametrize("security", ["none", "starttls", "ssl"])
def test_mail_goes_out_through_the_servers_security_with_a_login(
    app: Flask,
    client: FlaskClient,
    post_form: Callable[..., TestResponse],
    smtp_server: Callable[..., SmtpServer],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    security: str,
) -> None:
    certificate: Certificate | None = None
    if security != "none":
        certificate = request.getfixturevalue("certificate")
        # The client trusts the test certificate the way an operator would add a private CA.
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    for key, value in {"SMTP_SECURITY": security, "SMTP_USERNAME": "pakn", "SMTP_PASSWORD": "s3cret-pass"}.items():
        monkeypatch.setitem(app.config, key, value)
    smtp = smtp_server(security=security, certificate=certificate, credentials=("pakn", "s3cret-pass"))
    code = submit(app, client, post_form, email="lan@example.org", notify_by="email")
    assert run_jobs(app)

    [mail] = smtp.received
    assert mail.login == "pakn"
    assert acknowledgement(app, code).status == "sent"


def test_a_refused_login_leaves_the_message_to_try_again(
    app: Flask,
    client: FlaskClient,
    post_form: Callable[..., TestResponse],
    smtp_server: Callable[..., SmtpServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key, value in {"SMTP_USERNAME": "pakn", "SMTP_PASSWORD": "an old password"}.items():
        monkeypatch.setitem(app.config, key, value)
    smtp = smtp_server(credentials=("pakn", "the new password"))
    code = submit(app, client, post_form, email="lan@example.org", notify_by="email")
    assert run_jobs(app)
    # A connection left open would now warn (an error here), in this test rather than a later one.
    gc.collect()

    assert smtp.received == []
    notification = acknowledgement(app, code)
    # An operator can correct the password before the delays run out.
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert "SMTPAuthenticationError" in notification.last_error


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
