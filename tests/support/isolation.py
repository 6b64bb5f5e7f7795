"""What each pytest-xdist worker keeps to itself, so that workers running side by side never
touch each other's state: a PostgreSQL database, a Redis database number and a block of TCP
ports. A run without xdist (worker "master") uses the database and Redis database it is given.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def worker_number() -> int | None:
    """0 on xdist's worker gw0, 1 on gw1…; None when the run is not split across workers."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return int(worker.removeprefix("gw")) if worker else None


def create_worker_database(url: str, number: int) -> str:
    """A new, empty database for the worker next to the one at `url` (test → test_gw0),
    dropped first if an earlier run left it; returns its URL."""
    given = make_url(url)
    if given.get_backend_name() != "postgresql":
        raise pytest.UsageError(
            f"TEST_DATABASE_URL: a database per xdist worker is made on PostgreSQL only; "
            f"run {given.get_backend_name()} without xdist (-p no:xdist)"
        )
    return create_database(url, f"{given.database}_gw{number}")


def create_database(url: str, name: str) -> str:
    """A new, empty PostgreSQL database on the server of `url`, dropped first if an earlier run
    left it; returns its URL."""
    given = make_url(url)
    # CREATE and DROP DATABASE cannot run in a transaction.
    engine = create_engine(given, isolation_level="AUTOCOMMIT")
    quoted = engine.dialect.identifier_preparer.quote(name)
    try:
        with engine.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        engine.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop the PostgreSQL database at `url`, connected to the server's `postgres` database."""
    given = make_url(url)
    engine = create_engine(given.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            quoted = engine.dialect.identifier_preparer.quote(given.database or "")
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        engine.dispose()


def worker_redis_url(url: str, number: int) -> str:
    """The Redis database numbered `number` below the one in the URL's path (/15 → /15 on gw0,
    /14 on gw1…): no two workers flush the same database."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) - number
    if database < 0:
        raise pytest.UsageError(
            f"TEST_REDIS_URL={url} leaves no Redis database for worker gw{number}: "
            "give a higher database number or run fewer workers"
        )
    return urlunsplit(parts._replace(path=f"/{database}"))


# Ports chosen before their server starts (or for a server that is never started, to be
# refused): each worker takes them from a block of its own, below where Linux's ephemeral range
# (32768-60999, the ports given for port 0 and to outgoing connections) begins, so neither
# another worker nor a server bound to port 0 can take one between the choice and the start.
FIRST_PORT = 20000
PORTS_PER_WORKER = 500
EPHEMERAL_PORTS_START = 32768


def worker_ports() -> range:
    start = FIRST_PORT + (worker_number() or 0) * PORTS_PER_WORKER
    if start + PORTS_PER_WORKER > EPHEMERAL_PORTS_START:
        raise pytest.UsageError("too many xdist workers for a block of ports each: run fewer")
    return range(start, start + PORTS_PER_WORKER)
