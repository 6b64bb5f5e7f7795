"""The application factory: `flask --app app ...`, `gunicorn 'app:create_app()'`."""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import load_settings
from feedback import cli, i18n
from feedback.background import outbox, queues
from feedback.database import init_database
from feedback.extensions import csrf, db, limiter, login_manager, migrate
from feedback.services.notifications import messages
from feedback.services.statistics import rollups
from feedback.views import (
    account,
    admin,
    audit,
    auth,
    board,
    dashboard,
    errors,
    mailbox,
    open311,
    open_data,
    public,
    security_headers,
    staff,
    tracking,
)
from feedback.views.auth import init_login


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(load_settings(Path(app.instance_path), os.environ, config or {}))
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security(app)
    register_commands(app)
    if not app.testing:
        # What start-up made lives as long as the process: out of the cyclic collector's way,
        # a full collection during a request walks only that request's objects (at a million
        # tickets, a dashboard page's 95th percentile fell from 155 to 80 ms). Tests, which make
        # many apps in one process, keep them collectable.
        gc.freeze()
    return app


def register_extensions(app: Flask) -> None:
    init_database(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    init_login(login_manager)
    i18n.init_app(app)
    queues.init_app(app)
    # The steps' messages first: they flush, and may ask for jobs.
    outbox.init_session_events(before=[messages.write_owed_messages, rollups.write_changes])


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(public.bp)
    app.register_blueprint(tracking.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(board.bp)
    app.register_blueprint(open_data.bp)
    app.register_blueprint(open311.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(mailbox.bp)
    audit.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    errors.init_app(app)


def register_security(app: Flask) -> None:
    security_headers.init_app(app)
    if proxies := app.config["TRUSTED_PROXIES"]:
        # The client's address and scheme, as the proxies in front recorded them; the Host header
        # is the proxy's to pass on, and an X-Forwarded-Host it leaves alone would be the client's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]


def register_commands(app: Flask) -> None:
    cli.init_app(app)
