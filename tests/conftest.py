"""Fixtures: one migrated, seeded database per run; every test inside a transaction that is
rolled back; a fresh Redis (fakeredis, or TEST_REDIS_URL's database, flushed) per test. And a
live server as `make run` serves it (its own migrated SQLite database and the embedded
worker), for the browser tests and the API's client: module scope, each test module has its own
server and data.

TEST_DATABASE_URL and TEST_REDIS_URL point the suite at real servers (see .ci/run). The
database named there is wiped at the start of the run. Split across pytest-xdist workers, each
worker has a database of its own made next to it (test_gw0, test_gw1…) and a Redis database of
its own, counting down from the given one (15, 14…): see tests/support/isolation.py.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import fakeredis
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from redis import Redis
from sqlalchemy import select, text
from werkzeug.test import TestResponse

from app import create_app
from feedback.background.embedded import EmbeddedWorker
from feedback.background.queues import EXTENSION_KEY
from feedback.background.workers import run_jobs
from feedback.demo import DEMO_PASSWORD, seed_demo
from feedback.extensions import db
from feedback.models import Area, Category, Ticket
from feedback.services.handling.events import case_of, recorded_events
from feedback.services.intake.submissions import Submission, submit_ticket
from feedback.serving import make_server, stop_server
from tests.support.isolation import create_worker_database, worker_number, worker_redis_url
from workflows import replay_case

CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def pytest_configure(config: pytest.Config) -> None:
    """On an xdist worker, point TEST_DATABASE_URL and TEST_REDIS_URL at the worker's own
    database and Redis database, for every fixture and test module that reads them."""
    number = worker_number()
    if number is None:
        return
    if database_url := os.environ.get("TEST_DATABASE_URL"):
        os.environ["TEST_DATABASE_URL"] = create_worker_database(database_url, number)
    if redis_url := os.environ.get("TEST_REDIS_URL"):
        os.environ["TEST_REDIS_URL"] = worker_redis_url(redis_url, number)


def migrate_and_seed() -> None:
    upgrade(directory=str(Path(__file__).parents[1] / "migrations"))
    seed_demo()
    db.session.remove()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    database_url = os.environ.get("TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    )
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": os.environ.get("TEST_REDIS_URL") or None,
            "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
            # One client address sends every test's requests; test_limits.py checks the limits.
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        migrate_and_seed()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def redis(app: Flask) -> Iterator[Redis]:
    if app.config["REDIS_URL"]:
        connection = Redis.from_url(app.config["REDIS_URL"])
        connection.flushdb()
    else:
        connection = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    app.extensions[EXTENSION_KEY] = connection
    yield connection
    if app.config["REDIS_URL"]:
        connection.flushdb()


@pytest.fixture
def database(app: Flask, redis: Redis) -> Iterator[None]:
    # No app context stays pushed during the test: each request and job must get its own,
    # with its own session and `g`, as in production.
    with app.app_context():
        engines = db.engines
        engine = engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        # Every session of this test, in requests and jobs alike, runs on this connection.
        engines[None] = connection  # type: ignore[assignment]
    try:
        yield
        with app.app_context():
            assert_replay_matches_status()
    finally:
        with app.app_context():
            db.session.remove()
        transaction.rollback()
        connection.close()
        engines[None] = engine


def assert_replay_matches_status() -> None:
    """The event log is the truth: replaying it must give every ticket's stored state (status,
    department, deadlines, pause, counts), for every ticket a test created."""
    for ticket in db.session.scalars(select(Ticket)):
        assert replay_case(recorded_events(ticket)) == case_of(ticket), ticket.code


@pytest.fixture
def make_ticket(app: Flask, database: None) -> Callable[..., int]:
    """Submit a ticket through the service, as the public form does; returns its id."""

    def make(
        category: str = "GTDB",
        area: str = "Phường Nha Trang",
        title: str = "Đèn tín hiệu hỏng",
        now: datetime | None = None,
    ) -> int:
        with app.app_context():
            receipt = submit_ticket(
                Submission(
                    kind="feedback",
                    category_id=db.session.scalar(select(Category.id).where(Category.code == category)),
                    area_id=db.session.scalar(select(Area.id).where(Area.name == area)),
                    title=title,
                    description="Sự việc kéo dài từ hôm qua, đề nghị cơ quan chức năng kiểm tra.",
                ),
                actor=None,
                now=now,
            )
            return receipt.ticket.id

    return make


@pytest.fixture
def client(app: Flask, database: None) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def run_worker(app: Flask) -> Callable[[], bool]:
    """Run the queued jobs with a real RQ worker, in this process; True if any ran."""
    return lambda: run_jobs(app)


def id_of(app: Flask, model: Any, **where: str) -> int:
    """The id of the one row where the given column has the given value."""
    with app.app_context():
        column, value = next(iter(where.items()))
        return db.session.scalar(select(model.id).where(getattr(model, column) == value))


def csrf_token(response: TestResponse) -> str:
    match = CSRF_PATTERN.search(response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def post_form(client: FlaskClient) -> Callable[..., TestResponse]:
    """Submit a form as a browser does: fetch its page for the CSRF token, then post."""

    def submit(url: str, data: dict[str, Any], page: str | None = None) -> TestResponse:
        token = csrf_token(client.get(page or url))
        return client.post(url, data={**data, "csrf_token": token})

    return submit


@pytest.fixture
def login(app: Flask, post_form: Callable[..., TestResponse]) -> Callable[..., TestResponse]:
    """Sign in through the real steps: the password, then, for accounts with one-time codes,
    the code their authenticator app would show now."""
    import time

    import pyotp

    from feedback.models import User

    # A code is accepted once per browser: a second sign-in takes the next step's code, as a
    # person waits for their app to show a new one.
    last_step: dict[str, int] = {}

    def sign_in(email: str, password: str = DEMO_PASSWORD) -> TestResponse:
        response = post_form("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        if response.headers["Location"].split("?")[0] != "/login/code":
            return response
        with app.app_context():
            totp = pyotp.TOTP(db.session.scalar(select(User.totp_secret).where(User.email == email)))
        step = max(totp.timecode(time.time()), last_step.get(email, -1) + 1)
        while step > totp.timecode(time.time()) + 1:
            time.sleep(1)
        last_step[email] = step
        response = post_form("/login/code", {"code": totp.generate_otp(step)})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return sign_in


@pytest.fixture
def logout(post_form: Callable[..., TestResponse]) -> Callable[[], None]:
    def sign_out() -> None:
        assert post_form("/logout", {}, page="/").status_code == 302

    return sign_out


@pytest.fixture
def english(client: FlaskClient) -> None:
    client.get("/language/en?next=/")


@pytest.fixture
def admin(login: Callable[..., TestResponse]) -> None:
    """Signed in as the demo administrator."""
    login("admin@example.org")


@pytest.fixture(scope="module")
def live_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The live server's app, for a test that must set up what no page can (a failed message).
    A test module may add settings in LIVE_APP_SETTINGS, as an operator would in the environment."""
    app = create_app(
        {
            "SECRET_KEY": "browser-test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.sqlite3'}",
            "REDIS_URL": None,
            "EMBEDDED_WORKER_INTERVAL": 0.2,
            **getattr(request.module, "LIVE_APP_SETTINGS", {}),
        }
    )
    with app.app_context():
        migrate_and_seed()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(live_app: Flask) -> Iterator[str]:
    # The server `flask serve` runs, as `make run` serves the app.
    server = make_server(live_app, "127.0.0.1", 0)
    worker = EmbeddedWorker(live_app)
    # Its first pass, where every periodic job fires, is over before a test or fixture uses the
    # server: what they write is not swept by it (a reminder, a digest) at a moment that depends
    # on how busy the machine is.
    worker.run_once()
    worker.start()
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    stop_server(server)
    thread.join(10)
    worker.stop()
