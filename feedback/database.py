"""Binding the database to the app, with SQLite made to behave like a real database."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import Engine, event

from feedback import models  # noqa: F401  (registers the tables on the metadata)
from feedback.extensions import db


def init_database(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)


def configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and transactional DDL; SQLAlchemy's
    # documented recipe hands BEGIN to SQLAlchemy. Foreign keys are off in SQLite by default,
    # and WAL lets the web and the embedded worker read while the other writes.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")
