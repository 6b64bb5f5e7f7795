"""The full rebuild in short transactions, into shadow tables: the figures of a rebuild in one go,
readers served the old figures until the switch, a rebuild stopped or killed midway leaving them
served, the tables' indexes kept, and the update job kept out while a rebuild runs."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import Connection, func, inspect, select, text

from feedback.extensions import db
from feedback.models import EVERY, StatChange, StatRollup, Ticket
from feedback.services.statistics.full_rebuild import rebuild
from feedback.services.statistics.reading import StatFilters, data_months, freshness, overall
from feedback.services.statistics.rebuild import LOCK_SECONDS, run_rebuild
from feedback.services.statistics.rollups import update
from tests.feedback.rollup_history import NT, figures, local, submit
from tests.feedback.rollup_rebuild import HORIZON, add_tickets, fill_with_history, in_one_go, tables
from tests.feedback.rollup_rebuild import committed_app as committed_app
from tests.support.counting import counting

ROOT = Path(__file__).parents[2]
SHADOWS = ("stat_rollup_next", "ticket_stat_next")
LOCK = "pakn:lock:statistics"


def shadow_tables() -> set[str]:
    return set(inspect(db.session.connection()).get_table_names()) & set(SHADOWS)


def changes() -> int:
    return db.session.scalar(select(func.count(StatChange.id))) or 0


def test_a_rebuild_in_chunks_gives_the_figures_of_a_rebuild_in_one_go(app: Flask, database: None) -> None:
    with app.app_context():
        fill_with_history()
        expected = in_one_go(HORIZON)
        assert tables() == expected
        # A chunk per ticket: every row two tickets share is added up in the database, handling-time
        # histograms included; then chunks of a few tickets.
        for batch in (1, 7):
            result = rebuild(now=HORIZON, batch=batch)
            assert tables() == expected, batch
            assert (result.tickets, result.rows) == (len(expected[1]), len(expected[0]))
        # Rows whose histograms, one ticket's each, were added: some days in common, some not.
        assert any(len(row["handling"]) > 1 and max(row["handling"].values()) > 1 for row in expected[0].values())
        assert shadow_tables() == set()


def test_the_switch_keeps_the_tables_keys_and_indexes_under_their_names(app: Flask, database: None) -> None:
    with app.app_context():
        db.session.execute(text("CREATE INDEX ix_stat_rollup_period ON stat_rollup (period)"))
        db.session.execute(text("CREATE INDEX ix_ticket_stat_kind ON ticket_stat (kind, channel)"))
        db.session.commit()

        def shape() -> dict[str, tuple[object, ...]]:
            found = inspect(db.session.connection())
            return {
                name: (
                    found.get_pk_constraint(name),
                    sorted((index["name"], tuple(index["column_names"])) for index in found.get_indexes(name)),
                    [(column["name"], str(column["type"]), column["nullable"]) for column in found.get_columns(name)],
                )
                for name in ("stat_rollup", "ticket_stat")
            }

        before = shape()
        assert before["stat_rollup"][0]["name"] == "pk_stat_rollup"
        add_tickets(5, local(9, 1))
        rebuild(now=HORIZON, batch=2)
        assert shape() == before
        assert shadow_tables() == set()


def test_the_update_job_is_kept_out_while_a_rebuild_runs(
    app: Flask, database: None, redis: Redis, run_worker: Callable[[], bool]
) -> None:
    with app.app_context():
        rebuild(now=local(9, 1))
        add_tickets(4, local(9, 2))
        waiting = changes()
    ttls = []

    def midway(count: int) -> None:
        ttls.append(redis.ttl(LOCK))
        if len(ttls) > 1:
            return
        # A worker runs the job the tickets asked for: it finds the lock taken and applies nothing.
        assert run_worker()
        with app.app_context():
            assert changes() == waiting
            submit("midway", local(9, 20), "GTDB", NT)
        redis.expire(LOCK, 5)

    with app.app_context():
        # Two chunks: the tickets there were at the start, then the one sent meanwhile.
        assert run_rebuild(progress=midway).tickets == 5
    # Renewed after each chunk: a rebuild that dies frees the job within LOCK_SECONDS.
    assert len(ttls) == 2 and ttls[1] > LOCK_SECONDS - 60
    with app.app_context():
        # What was recorded before the start is consumed; the ticket sent meanwhile waits for the job.
        midway_id = db.session.scalar(select(Ticket.id).where(Ticket.title == "Phản ánh midway"))
        assert set(db.session.scalars(select(StatChange.ticket_id))) == {midway_id}
    assert run_worker()
    with app.app_context():
        assert changes() == 0
        assert tables() == in_one_go(freshness().horizon)


def read_received(connection: Connection) -> int:
    """Every ticket received, from the province-wide rows, then the transaction ended (a reader
    holding one would make the switch wait for it) by a commit, after which psycopg keeps the
    statements it prepared (a rollback discards them)."""
    try:
        return connection.scalar(
            select(func.sum(StatRollup.received)).where(
                StatRollup.cube == "t", StatRollup.grain == "m", StatRollup.channel == EVERY
            )
        ) or 0
    finally:
        connection.commit()


def test_readers_see_the_old_figures_until_the_switch(committed_app: Flask) -> None:
    app = committed_app
    with app.app_context():
        rebuild(now=HORIZON)
        before = tables()
        months = data_months()
        assert months
        filters = StatFilters(*months)
        old = figures(overall(filters))
        tickets = db.session.scalar(select(func.count(Ticket.id)))
        assert old["received"] == tickets
        add_tickets(30, local(10, 3), label="late")
        engine = db.engine
    seen = []

    def midway(count: int) -> None:
        if seen:
            return
        # As a page view reads: a context of its own, hence a session and connection of its own.
        with app.test_request_context("/dashboard/"):
            written = db.session.scalar(text("SELECT count(*) FROM ticket_stat_next"))
            seen.append((figures(overall(filters)), tables(), written, read_received(reader)))

    with engine.connect() as reader:
        # On PostgreSQL psycopg prepares a statement run five times: the switch must not break it.
        assert [read_received(reader) for _ in range(6)] == [tickets] * 6
        with app.app_context(), counting(db.engine) as counts:
            result = rebuild(now=HORIZON, batch=40, progress=midway)
        (figures_midway, tables_midway, written, received_midway), = seen
        assert figures_midway == old and tables_midway == before and received_midway == tickets
        # The first chunk was committed: another connection sees it in the shadow table.
        assert written == 40
        assert counts.commits >= 2 * math.ceil(result.tickets / 40)
        assert read_received(reader) == tickets + 30
    with app.app_context():
        assert figures(overall(filters))["received"] == tickets + 30
        assert tables() == in_one_go(HORIZON)
        assert changes() == 0 and shadow_tables() == set()


class Stopped(Exception):
    pass


def test_a_rebuild_stopped_midway_leaves_the_old_figures_and_the_next_one_completes(committed_app: Flask) -> None:
    app = committed_app
    with app.app_context():
        rebuild(now=HORIZON)
        add_tickets(12, local(10, 20), label="waiting")
        before, state, waiting = tables(), freshness(), changes()

    def stop(count: int) -> None:
        raise Stopped()

    with app.app_context(), pytest.raises(Stopped):
        rebuild(now=HORIZON, batch=50, progress=stop)
    with app.app_context():
        assert (tables(), freshness(), changes()) == (before, state, waiting)
        assert shadow_tables() == set(SHADOWS)
        # Meanwhile the job applies the changes to the live tables, as ever.
        assert update(now=HORIZON) == 12
        rebuild(now=HORIZON, batch=50)
        assert tables() == in_one_go(HORIZON)
        assert shadow_tables() == set()


KILLED_MIDWAY = """
import sys, time
from app import create_app
from feedback.services.statistics.full_rebuild import rebuild

url, uploads = sys.argv[1:]
app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url,
                  "REDIS_URL": None, "UPLOAD_FOLDER": uploads})


def wait_to_be_killed(count):
    print("chunk written", flush=True)
    time.sleep(120)


with app.app_context():
    rebuild(batch=50, progress=wait_to_be_killed)
"""


def test_a_rebuild_killed_midway_leaves_the_old_figures_and_the_next_one_completes(committed_app: Flask) -> None:
    app = committed_app
    with app.app_context():
        rebuild(now=HORIZON)
        add_tickets(8, local(11, 2), label="killed")
        before = tables()
    with subprocess.Popen(
        [sys.executable, "-c", KILLED_MIDWAY, app.config["SQLALCHEMY_DATABASE_URI"], app.config["UPLOAD_FOLDER"]],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "chunk written"
        finally:
            child.kill()
    with app.app_context():
        assert tables() == before
        assert db.session.scalar(text("SELECT count(*) FROM ticket_stat_next")) == 50
        db.session.commit()
        rebuild(now=HORIZON, batch=50)
        assert tables() == in_one_go(HORIZON)
        assert shadow_tables() == set()
