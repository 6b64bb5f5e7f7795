"""Mail delivery against a real SMTP server: while Redis is stopped, the server is down, refuses
or defers, a job runs twice, and through STARTTLS, SSL and a login."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import select
from werkzeug.test import TestResponse

from feedback.background.queues import EXTENSION_KEY, get_queue
from feedback.background.workers import run_jobs
from feedback.extensions import db
from feedback.jobs import deliver_notifications, sweep_notifications, sweep_outbox
from feedback.models import OutboxMessage, utcnow
from feedback.services.notifications.delivery import deliver
from tests.feedback.delivery_processes import PUBLIC_URL, acknowledgement, submit, sweep_and_work, wait_until_due
from tests.support.ports import free_port
from tests.support.redis_server import RedisServer, require_redis_server
from tests.support.smtp_server import Certificate, SmtpRecorder, SmtpServer, self_signed_certificate

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
