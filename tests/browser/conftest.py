"""Browser test fixtures: a live server as `make run` serves it (its own migrated SQLite database
and the embedded worker) and headless Chromium. Module scope: each test module has its own
server and data."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app import create_app
from feedback.background.embedded import EmbeddedWorker
from feedback.demo import seed_demo
from feedback.extensions import db
from tests.browser.pages import CHROMIUM


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The live server's app, for a test that must set up what no page can (a failed message)."""
    app = create_app(
        {
            "SECRET_KEY": "browser-test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.sqlite3'}",
            "REDIS_URL": None,
            "EMBEDDED_WORKER_INTERVAL": 0.2,
        }
    )
    with app.app_context():
        upgrade(directory=str(Path(__file__).parents[2] / "migrations"))
        seed_demo()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(live_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    worker = EmbeddedWorker(live_app)
    worker.start()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    worker.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()
