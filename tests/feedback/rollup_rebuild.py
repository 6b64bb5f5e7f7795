"""What the tests of the full rebuild share: the tables as they stand, the tables a rebuild in one
go (the single transaction it was before) would write, tickets enough to fill several chunks, and
an app on a database of its own, where the rebuild's transactions commit for real."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app import create_app
from feedback.demo import seed_sample_tickets
from feedback.extensions import db
from feedback.models import StatRollup, TicketStat
from feedback.services.deadlines.calendar import working_calendar
from feedback.services.statistics.cells import (
    KEY_COLUMNS,
    Cubes,
    computed,
    counter_values,
    facts_query,
    histogram,
    histories,
    stored_cells,
)
from feedback.services.statistics.full_rebuild import rebuild
from tests.conftest import migrate_and_seed
from tests.feedback.rollup_history import CR, NT, act, local, submit
from tests.support.isolation import create_database, drop_database
from workflows.indicators import COUNTERS, WorkingDayCount

# The tickets below run from 1 September to mid-November 2026; the samples' ten weeks end on 20 November.
SAMPLES_END = local(11, 20)
HORIZON = local(12, 1)

Tables = tuple[dict[tuple[Any, ...], dict[str, Any]], dict[int, tuple[Any, ...]]]
VALUE_COLUMNS = (*COUNTERS, "handling")
STAT_VALUES = ("department_id", "category_id", "area_id", "channel", "kind", "cells")


def tables() -> Tables:
    """`stat_rollup` by key and `ticket_stat` by ticket, as the session reads them."""
    rollup = {
        tuple(row[name] for name in KEY_COLUMNS): {name: row[name] for name in VALUE_COLUMNS}
        for row in db.session.execute(select(StatRollup.__table__)).mappings()
    }
    stats = {
        row["ticket_id"]: tuple(row[name] for name in STAT_VALUES)
        for row in db.session.execute(select(TicketStat.__table__)).mappings()
    }
    return rollup, stats


def in_one_go(horizon: datetime) -> Tables:
    """The tables as the rebuild in one transaction wrote them: every ticket's cells added into one
    set of cubes held in memory, and the rows with any count written."""
    rows = db.session.execute(facts_query()).all()
    cubes, stats = Cubes(), {}
    for ticket_id, dims, cells in computed(rows, histories(rows), horizon, WorkingDayCount(working_calendar())):
        cubes.add(dims, cells)
        stats[ticket_id] = (*dims, stored_cells(cells))
    rollup = {
        key: dict(zip(COUNTERS, counter_values(counts), strict=True)) | {"handling": histogram(counts)}
        for key, counts in cubes.rows().items()
        if any(counts.values())
    }
    return rollup, stats


PLACES = [("GTDB", NT), ("DIEN", CR), ("GTDB", CR), ("DIEN", NT)]


def add_tickets(count: int, start: datetime, label: str = "R") -> list[int]:
    """Tickets nine hours apart, from `start`: a third accepted, a sixth answered, a twelfth rated.
    Many share a day, a week or a month, so that chunks of them share rows."""
    ids = []
    for n in range(count):
        category, area = PLACES[n % len(PLACES)]
        at = start + timedelta(hours=9 * n)
        ticket_id = submit(f"{label}{n}", at, category, area)
        if n % 3 == 0:
            act("accept", ticket_id, "SXD" if category == "GTDB" else "SCT", at + timedelta(hours=2))
        if n % 6 == 0:
            act("resolve", ticket_id, None, at + timedelta(days=n % 11 + 1))
        if n % 12 == 0:
            act("rate", ticket_id, "satisfied" if n % 24 else "not_satisfied", at + timedelta(days=n % 11 + 2))
        ids.append(ticket_id)
    return ids


def fill_with_history() -> None:
    """The demo's sample tickets and two hundred more, and their statistics compiled."""
    seed_sample_tickets(SAMPLES_END)
    add_tickets(200, local(9, 1))
    rebuild(now=HORIZON)


@pytest.fixture(scope="module")
def committed_app(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on a database of its own, filled with history: the `database` fixture runs every
    test inside one transaction, where a second connection sees nothing and nothing commits."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    postgresql = make_url(url).get_backend_name() == "postgresql"
    if postgresql:
        url = create_database(url, f"{make_url(url).database}_rebuild")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('rebuild') / 'rebuild.sqlite3'}"
    own = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": None,
            "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("rebuild-uploads")),
            "RATELIMIT_ENABLED": False,
        }
    )
    with own.app_context():
        migrate_and_seed()
        fill_with_history()
    yield own
    with own.app_context():
        db.engine.dispose()
    if postgresql:
        drop_database(url)
