"""Binding the database to the app, with SQLite made to behave like a real database."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_app_context, has_request_context, request
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from feedback import models  # noqa: F401  (registers the tables on the metadata)
from feedback.extensions import db


def init_database(app: Flask) -> None:
    db.init_app(app)
    if not event.contains(Session, "after_commit", _note_commit):
        event.listen(Session, "after_commit", _note_commit)
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
        connection.exec_driver_sql("BEGIN" if _only_reads() else "BEGIN IMMEDIATE")


# Methods whose requests only read. A transaction that began DEFERRED, read, and then writes
# cannot wait for another writer: SQLite fails it at once with "database is locked", whatever
# busy_timeout says. So every other transaction (a form sent, a job, a command) takes the write
# lock as it begins and waits its turn there; page views read beside them, as WAL allows.
_READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _only_reads() -> bool:
    if has_app_context() and g.get("writing"):
        return False
    return has_request_context() and request.method in _READING_METHODS


def begin_writing() -> None:
    """For a page view that must write after all (an audit entry, a secret made on first view):
    end its reading transaction; the next one takes the write lock as it begins (on SQLite)."""
    db.session.commit()
    g.writing = True


def _note_commit(_session: Session) -> None:
    # The error page tells a visitor whether what they sent was saved (views/errors.py).
    if has_request_context():
        g.committed = True
