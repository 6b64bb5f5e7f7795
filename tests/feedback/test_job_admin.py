"""The administrators' background-jobs page, through HTTP with real CSRF forms and a real RQ
worker: the queue figures, a failed job retried and deleted, a failed message sent again, the
page without Redis; and the messages section of the staff ticket page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq.job import Job
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from feedback.background.queues import EXTENSION_KEY, get_queue, on_queue
from feedback.extensions import db
from feedback.models import (
    EVERY,
    MailboxMessage,
    Notification,
    OutboxMessage,
    StatRollup,
    StatState,
    Ticket,
    User,
    utcnow,
)
from feedback.services.handling.actions import accept_ticket
from tests.conftest import csrf_token
from tests.feedback.test_mailbox_page import submit_with_email

pytestmark = pytest.mark.usefixtures("english")
PAGE = "/admin/jobs/"
NOT_ADMINISTRATORS = ("intake@example.org", "officer.sxd@example.org", "head.sxd@example.org", "leader@example.org")


@on_queue("statistics")
def explode(label: str, *, loudly: bool = False) -> None:
    raise RuntimeError(f"boom {label}")


def post_on_page(client: FlaskClient, url: str) -> TestResponse:
    """Press a button of the jobs page: its forms carry the page's CSRF token."""
    return client.post(url, data={"csrf_token": csrf_token(client.get(PAGE))})


def row(html: str, attribute: str, value: object) -> str:
    match = re.search(rf'<tr {attribute}="{re.escape(str(value))}">(.*?)</tr>', html, re.S)
    assert match, f"no row {attribute}={value}"
    return match.group(1)


def figure(html: str, queue: str, column: str) -> int:
    match = re.search(rf'data-queue="{queue}".*?data-figure="{column}"[^>]*><dt>\w+</dt><dd>(\d+)</dd>', html, re.S)
    assert match
    return int(match.group(1))


def failed_job_group(html: str, job_id: str) -> str:
    match = re.search(rf'<tbody data-job="{re.escape(job_id)}">(.*?)</tbody>', html, re.S)
    assert match, f"no failed job {job_id}"
    return match.group(1)


def count(html: str, name: str) -> int:
    match = re.search(rf'data-testid="count-{name}">(\d+)<', html)
    assert match
    return int(match.group(1))


def failed_ids(app: Flask, queue: str = "statistics") -> list[str]:
    return get_queue(queue, app).failed_job_registry.get_job_ids()


@pytest.fixture
def failed_job(app: Flask, run_worker: Callable[[], bool]) -> str:
    """The id of a job that raised, now in the statistics queue's failed registry."""
    job = get_queue("statistics", app).enqueue(explode, "first", loudly=True)
    run_worker()
    assert failed_ids(app) == [job.id]
    return job.id


@pytest.fixture
def failed_message(app: Flask, run_worker: Callable[[], bool]) -> int:
    """A receipt the mail server refused for good: failed before the worker could send it."""
    code = submit_with_email(app, "refused@example.org")
    with app.app_context():
        notification = db.session.scalars(
            select(Notification).join(Ticket).where(Ticket.code == code, Notification.kind == "acknowledgement")
        ).one()
        notification.status, notification.attempts = "failed", 1
        notification.last_error = "550 5.1.1 <refused@example.org>: mailbox unavailable"
        db.session.commit()
        notification_id = notification.id
    run_worker()
    return notification_id


@pytest.mark.parametrize("email", NOT_ADMINISTRATORS)
def test_only_administrators_see_the_jobs_page(
    client: FlaskClient, login: Callable[..., Any], failed_job: str, failed_message: int, email: str
) -> None:
    assert client.get(PAGE).status_code == 302, "signed out: to the sign-in page"
    login(email)
    assert client.get(PAGE).status_code == 403
    token = csrf_token(client.get("/"))
    for url in (
        f"/admin/jobs/failed/statistics/{failed_job}/retry",
        f"/admin/jobs/failed/statistics/{failed_job}/delete",
        f"/admin/jobs/messages/{failed_message}/send-again",
        "/admin/jobs/statistics/rebuild",
    ):
        assert client.post(url, data={"csrf_token": token}).status_code == 403


def test_the_admin_index_links_to_the_jobs_page(client: FlaskClient, admin: None) -> None:
    assert f'href="{PAGE}"' in client.get("/admin/").text


def test_the_page_shows_queue_outbox_and_message_figures(
    app: Flask, client: FlaskClient, admin: None, run_worker: Callable[[], bool]
) -> None:
    before = client.get(PAGE).text
    submit_with_email(app, "figures@example.org")
    run_worker()
    get_queue("deadlines", app).enqueue(explode, "waiting")
    with app.app_context():
        db.session.add(
            OutboxMessage(
                func="feedback.jobs.update_statistics", queue="statistics", created_at=utcnow() - timedelta(hours=2)
            )
        )
        db.session.commit()
        waiting = db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.enqueued_at.is_(None)))

    page = client.get(PAGE).text
    assert figure(page, "deadlines", "queued") == 1
    assert figure(page, "statistics", "queued") == 0 and figure(page, "notifications", "failed") == 0
    assert count(page, "sent") == count(before, "sent") + 1
    outbox = page.split('data-testid="outbox">')[1].split("</p>")[0]
    assert f"{waiting} job" in outbox and "(2 hours)" in outbox


def test_statistics_are_compiled_again_on_request_showing_progress(
    app: Flask, client: FlaskClient, admin: None, make_ticket: Callable[..., int], run_worker: Callable[[], bool]
) -> None:
    make_ticket("GTDB")
    make_ticket("DIEN", title="Mất điện cả khu phố")

    def waiting(page: str) -> int:
        return int(re.search(r'data-testid="waiting-changes">(\d+)<', page).group(1))

    page = client.get(PAGE).text
    assert waiting(page) == 2 and 'data-testid="rebuild-progress"' not in page
    assert post_on_page(client, "/admin/jobs/statistics/rebuild").status_code == 302
    page = client.get(PAGE).text
    assert "A full compilation is waiting for a worker" in page.split('data-testid="rebuild-progress"')[1]

    assert run_worker()
    page = client.get(PAGE).text
    assert 'data-testid="rebuild-progress"' not in page
    assert "The last full compilation read 2 tickets" in page and waiting(page) == 0
    with app.app_context():
        assert db.session.get(StatState, 1).rebuilt_at is not None
        received = db.session.scalar(
            select(func.sum(StatRollup.received)).where(
                StatRollup.cube == "dc", StatRollup.grain == "m", StatRollup.channel != EVERY
            )
        )
        assert received == 2


def test_a_failed_job_is_listed_then_retried(
    app: Flask, client: FlaskClient, admin: None, failed_job: str, run_worker: Callable[[], bool]
) -> None:
    page = client.get(PAGE).text
    assert figure(page, "statistics", "failed") == 1
    listed = failed_job_group(page, failed_job)
    assert f"<code>{explode.__module__}.explode</code>" in listed
    assert '<code data-testid="arguments">&#39;first&#39;, loudly=True</code>' in listed
    assert '<p class="jobs-error" data-testid="error">RuntimeError: boom first</p>' in listed
    assert re.search(r"<details>.*Traceback \(most recent call last\).*</details>", listed, re.S)

    response = post_on_page(client, f"/admin/jobs/failed/statistics/{failed_job}/retry")
    assert response.status_code == 302
    assert get_queue("statistics", app).job_ids == [failed_job]
    assert failed_ids(app) == []
    assert "The job is back in the queue “Statistics”" in client.get(PAGE).text

    run_worker()
    assert failed_ids(app) == [failed_job], "it ran again, and failed again"


def test_a_failed_job_is_deleted(app: Flask, client: FlaskClient, admin: None, failed_job: str) -> None:
    assert post_on_page(client, f"/admin/jobs/failed/statistics/{failed_job}/delete").status_code == 302
    assert failed_ids(app) == []
    assert not Job.exists(failed_job, connection=get_queue("statistics", app).connection)
    page = client.get(PAGE).text
    assert "The failed job was deleted" in page and f'data-job="{failed_job}"' not in page

    post_on_page(client, f"/admin/jobs/failed/statistics/{failed_job}/retry")
    assert "That job is no longer among the failed jobs" in client.get(PAGE).text
    assert get_queue("statistics", app).job_ids == []
    assert post_on_page(client, f"/admin/jobs/failed/elsewhere/{failed_job}/retry").status_code == 404


def test_a_failed_message_is_sent_again(
    app: Flask, client: FlaskClient, admin: None, failed_message: int, run_worker: Callable[[], bool]
) -> None:
    page = client.get(PAGE).text
    assert count(page, "failed") >= 1
    listed = row(page, "data-notification", failed_message)
    assert "Receipt of the submission" in listed and "Failed" in listed and "refused@example.org" in listed
    assert "550 5.1.1 &lt;refused@example.org&gt;: mailbox unavailable" in listed
    with app.app_context():
        ticket = db.session.get(Notification, failed_message).ticket
        assert f'href="/staff/tickets/{ticket.id}">{ticket.code}</a>' in listed
    assert "it may have arrived" in page and "never sent again automatically" in page

    assert post_on_page(client, f"/admin/jobs/messages/{failed_message}/send-again").status_code == 302
    assert "The message to refused@example.org is sent again in a moment." in client.get(PAGE).text
    assert run_worker()
    with app.app_context():
        assert db.session.get(Notification, failed_message).status == "sent"
        assert db.session.scalars(select(MailboxMessage).where(MailboxMessage.notification_id == failed_message)).one()
    assert f'data-notification="{failed_message}"' not in client.get(PAGE).text

    post_on_page(client, f"/admin/jobs/messages/{failed_message}/send-again")
    assert "That message is no longer failed or uncertain" in client.get(PAGE).text
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(MailboxMessage.id)).where(MailboxMessage.notification_id == failed_message)
            )
            == 1
        )


@pytest.fixture
def redis_down(app: Flask, redis: Redis) -> Iterator[None]:
    app.extensions[EXTENSION_KEY] = Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    try:
        yield
    finally:
        app.extensions[EXTENSION_KEY] = redis


def test_the_page_renders_without_redis(
    app: Flask, client: FlaskClient, admin: None, failed_job: str, failed_message: int, redis_down: None
) -> None:
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.text
    assert "Redis cannot be reached" in page
    assert 'data-testid="queues"' not in page and 'data-testid="failed-jobs"' not in page
    assert count(page, "failed") >= 1 and f'data-notification="{failed_message}"' in page
    assert 'data-testid="outbox"' in page

    post_on_page(client, f"/admin/jobs/failed/statistics/{failed_job}/retry")
    assert "Redis cannot be reached, so the job was not retried" in client.get(PAGE).text


def test_the_ticket_page_lists_its_messages(
    app: Flask, client: FlaskClient, login: Callable[..., Any], run_worker: Callable[[], bool]
) -> None:
    code = submit_with_email(app, "hoa@example.org")
    with app.app_context():
        ticket = db.session.scalars(select(Ticket).where(Ticket.code == code)).one()
        ticket_id = ticket.id
        intake = db.session.scalars(select(User).where(User.email == "intake@example.org")).one()
        accept_ticket(intake, ticket_id, ticket.department_id)
        accepted = db.session.scalars(
            select(Notification).where(Notification.ticket_id == ticket_id, Notification.kind == "accepted")
        ).one()
        accepted.status, accepted.attempts, accepted.last_error = "failed", 6, "Gave up after 6 attempts: timed out"
        db.session.add(
            Notification(
                key=f"test-follower-{ticket_id}",
                kind="followed_update",
                channel="email",
                recipient="follower@example.org",
                ticket_id=ticket_id,
                status="pending",
                created_at=utcnow() + timedelta(minutes=1),
            )
        )
        db.session.commit()
    run_worker()

    login("officer.sxd@example.org")
    page = client.get(f"/staff/tickets/{ticket_id}").text
    section = page.split('data-testid="ticket-messages"')[1].split("</ul>")[0]
    assert re.findall(r'<li data-kind="(\w+)">', section) == ["followed_update", "accepted", "acknowledgement"], (
        "newest first"
    )
    receipt = item(section, "acknowledgement")
    assert "Receipt of the submission" in receipt and "Email · hoa@example.org · written" in receipt
    assert "tag-delivery-sent" in receipt and re.search(r"Sent \d\d/\d\d/\d{4} \d\d:\d\d", receipt)
    refused = item(section, "accepted")
    assert "Submission accepted" in refused and "Failed" in refused
    assert "6 attempts: Gave up after 6 attempts: timed out" in refused
    follower = item(section, "followed_update")
    assert "a follower (address not shown)" in follower and "Waiting to be sent" in follower
    assert "follower@example.org" not in page


def item(section: str, kind: str) -> str:
    match = re.search(rf'<li data-kind="{kind}">(.*?)</li>', section, re.S)
    assert match, f"no {kind} message"
    return " ".join(match.group(1).split())
