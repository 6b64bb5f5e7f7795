"""The database (and Redis database) a benchmark starts from: wiped, migrated, and for the
production-mode benchmarks seeded with the demo province. A PostgreSQL database is made if it
does not exist yet; a SQLite file is deleted with its journal."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from redis import Redis
from sqlalchemy import create_engine, make_url, text

from app import create_app
from feedback.demo import seed_demo
from feedback.extensions import db

ROOT = Path(__file__).resolve().parents[1]
HIGH_LIMIT = "1000000 per minute"


def fresh_database(url: str) -> None:
    """Empty the app's database and migrate it, in the app context."""
    if db.engine.dialect.name == "postgresql":
        create_missing_database(url)
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        path = Path(url.removeprefix("sqlite:///"))
        db.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    upgrade(directory=str(ROOT / "migrations"))


def create_missing_database(url: str) -> None:
    given = make_url(url)
    # CREATE DATABASE cannot run in a transaction.
    engine = create_engine(given.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = text("SELECT 1 FROM pg_database WHERE datname = :name")
            if connection.execute(exists, {"name": given.database}).first() is None:
                quoted = engine.dialect.identifier_preparer.quote(str(given.database))
                connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        engine.dispose()


def production_app(database_url: str, redis_url: str) -> Flask:
    """The app as production runs it (APP_ENV=production, its settings from the environment), on
    a wiped database with the demo province and a flushed Redis database. Rate limits are out of
    the way; messages go to the development mailbox."""
    with Redis.from_url(redis_url) as redis:
        redis.flushdb()
    os.environ.update(
        APP_ENV="production", SECRET_KEY="bench-secret", DATABASE_URL=database_url, REDIS_URL=redis_url,
        PUBLIC_URL="https://pakn.example.org", MAIL_BACKEND="mailbox", SMS_BACKEND="mailbox",
        SUBMIT_RATE_LIMIT=HIGH_LIMIT,
        LOOKUP_RATE_LIMIT=HIGH_LIMIT, ACCOUNT_RATE_LIMIT=HIGH_LIMIT,
    )
    app = create_app()
    with app.app_context():
        fresh_database(database_url)
        seed_demo()
        db.session.remove()
    return app
