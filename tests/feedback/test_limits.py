"""Rate limits on submitting and on looking up a submission by code and secret key.

The suite's app runs with the limits off, since one client address sends every test's
requests; this module builds its own app, with its own database, and low limits. Each test
comes from its own client address, so that the counts of one do not reach another.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from flask_migrate import upgrade
from markupsafe import escape
from redis import Redis
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from app import create_app
from feedback.codes import new_code
from feedback.demo import seed_demo
from feedback.extensions import db
from feedback.models import Category, Ticket

CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NO_MATCH = "No submission matches this code and secret key. Check both and try again."
_addresses = count(1)
_texts = count(1)


@pytest.fixture(scope="module")
def limited_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    redis_url = os.environ.get("TEST_REDIS_URL")
    if redis_url:
        with Redis.from_url(redis_url) as connection:
            connection.flushdb()
    folder = tmp_path_factory.mktemp("limits")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'limits.sqlite3'}",
            "REDIS_URL": None,
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": redis_url or "memory://",
            "SUBMIT_RATE_LIMIT": "2 per minute",
            "LOOKUP_RATE_LIMIT": "3 per minute",
        }
    )
    try:
        with app.app_context():
            upgrade(directory=str(Path(__file__).parents[2] / "migrations"))
            seed_demo()
            db.session.remove()
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        if redis_url:
            with Redis.from_url(redis_url) as connection:
                connection.flushdb()


@pytest.fixture
def client(limited_app: Flask) -> FlaskClient:
    """A browser at an address of its own (TEST-NET-3)."""
    client = limited_app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"203.0.113.{next(_addresses)}"
    return client


def token(client: FlaskClient, page: str) -> str:
    response = client.get(page)
    assert response.status_code == 200
    match = CSRF_PATTERN.search(response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def valid_submission(app: Flask) -> dict[str, Any]:
    n = next(_texts)
    with app.app_context():
        category = db.session.scalar(select(Category.id).where(Category.code == "MTRT"))
    return {
        "kind": "feedback",
        "category": category,
        "area": "Phường Bắc Nha Trang",
        "x__MTRT__waste_type": "sinh_hoat",
        "title": f"Rác ven kênh số {n}",
        "description": f"Rác sinh hoạt đổ ven kênh số {n} đã nhiều ngày, đề nghị thu gom sớm.",
        "submitter_type": "citizen",
        "notify_by": "none",
        "visibility": "public",
        "consent": "y",
    }


def submit(client: FlaskClient, app: Flask) -> TestResponse:
    return client.post("/submit", data={**valid_submission(app), "csrf_token": token(client, "/submit")})


def ticket_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Ticket.id))) or 0


def vietnamese(app: Flask, message: str) -> str:
    with app.test_request_context(), force_locale("vi"):
        return str(escape(gettext(message)))


def assert_too_many_requests(app: Flask, response: TestResponse) -> None:
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    # The site's own error page, in Vietnamese as for anyone who has not chosen a language.
    assert '<html lang="vi">' in page
    assert f"<h1>{vietnamese(app, 'Too many requests')}</h1>" in page
    assert vietnamese(
        app, "Too many requests came from your connection in a short time. Wait a minute, then go back and send again."
    ) in page
    assert int(response.headers["Retry-After"]) > 0


def test_the_third_submission_in_a_minute_is_refused(limited_app: Flask, client: FlaskClient) -> None:
    before = ticket_count(limited_app)
    assert submit(client, limited_app).status_code == 302
    assert submit(client, limited_app).status_code == 302

    response = submit(client, limited_app)
    assert_too_many_requests(limited_app, response)
    assert ticket_count(limited_app) == before + 2

    # Reading the form is not limited, and other people can still send.
    for _ in range(4):
        assert client.get("/submit").status_code == 200
    neighbour = limited_app.test_client()
    neighbour.environ_base["REMOTE_ADDR"] = f"203.0.113.{next(_addresses)}"
    assert submit(neighbour, limited_app).status_code == 302
    assert ticket_count(limited_app) == before + 3


def test_reading_the_form_is_never_limited(limited_app: Flask, client: FlaskClient) -> None:
    for _ in range(8):
        assert client.get("/submit").status_code == 200
    assert submit(client, limited_app).status_code == 302


def test_guessing_codes_gets_nothing_and_is_slowed_down(limited_app: Flask, client: FlaskClient) -> None:
    # Someone else's submission, whose code is known but not its secret.
    owner = limited_app.test_client()
    owner.environ_base["REMOTE_ADDR"] = f"203.0.113.{next(_addresses)}"
    assert submit(owner, limited_app).status_code == 302
    receipt = owner.get("/submitted").get_data(as_text=True)
    code = re.search(r'data-testid="tracking-code">([^<]+)<', receipt).group(1)
    secret = re.search(r'data-testid="tracking-link">[^<]*/track/[^/]+/([^<]+)<', receipt).group(1)

    guesses = [(code, "doan-bua-mot-khoa-bi-mat"), (new_code(), secret), ("ABCD-EFGH-J", "x")]
    expected = vietnamese(limited_app, NO_MATCH)
    for guessed_code, guessed_secret in guesses:
        response = client.post(
            "/track", data={"code": guessed_code, "secret": guessed_secret, "csrf_token": token(client, "/track")}
        )
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert expected in page
        assert "Location" not in response.headers

    # The fourth try is refused before it is looked at, even with the right secret.
    response = client.post("/track", data={"code": code, "secret": secret, "csrf_token": token(client, "/track")})
    assert_too_many_requests(limited_app, response)

    # The owner, at another address, still finds it.
    response = owner.post("/track", data={"code": code, "secret": secret, "csrf_token": token(owner, "/track")})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/track/{code}/{secret}")


def test_a_post_refused_for_its_csrf_token_does_not_count(limited_app: Flask, client: FlaskClient) -> None:
    # Refused by the CSRF check before the view, where the limit is counted.
    for _ in range(5):
        response = client.post("/track", data={"code": "ABCD-EFGH-J", "secret": "x"})
        assert response.status_code == 400
    for _ in range(5):
        response = client.post("/submit", data=valid_submission(limited_app))
        assert response.status_code == 400

    # So the full allowance is still there.
    for _ in range(3):
        response = client.post(
            "/track", data={"code": "ABCD-EFGH-J", "secret": "x", "csrf_token": token(client, "/track")}
        )
        assert response.status_code == 422
    assert submit(client, limited_app).status_code == 302
    assert submit(client, limited_app).status_code == 302
    response = client.post(
        "/track", data={"code": "ABCD-EFGH-J", "secret": "x", "csrf_token": token(client, "/track")}
    )
    assert response.status_code == 429

