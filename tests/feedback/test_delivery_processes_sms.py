"""Text messages through a real SMS gateway over HTTP: once each, retried with the same id, failed when refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from feedback.background.workers import run_jobs
from feedback.extensions import db
from feedback.models import Ticket, User
from feedback.services.handling.actions import accept_ticket
from feedback.text import without_accents
from tests.feedback.delivery_processes import PUBLIC_URL, acknowledgement, submit, sweep_and_work, wait_until_due
from tests.support.sms_gateway import SmsGateway

SMS_TOKEN = "gateway-token"


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
