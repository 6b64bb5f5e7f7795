"""Incremental rollup updates give exactly the tables a full rebuild gives, event by event and at random."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import EVERY, Department, StatChange, StatRollup, Ticket, TicketStat
from feedback.services.statistics import reading as statistics
from feedback.services.statistics import rollups
from feedback.services.statistics.reading import StatFilters
from tests.feedback.rollup_history import (
    CR,
    NT,
    OCT,
    OCTOBER,
    SEP,
    SEPTEMBER,
    _id,
    act,
    build_history,
    figures,
    local,
    submit,
)
from workflows import TIMEZONE, Status
from workflows.indicators import COUNTERS


def tables() -> tuple[dict[tuple[Any, ...], tuple[Any, ...]], dict[int, tuple[Any, ...]]]:
    rollup = {tuple(row[:8]): tuple(row[8:]) for row in db.session.execute(select(StatRollup.__table__))}
    stats = {row[0]: tuple(row[1:]) for row in db.session.execute(select(TicketStat.__table__))}
    return rollup, stats


def assert_incremental_equals_rebuild(horizon: datetime) -> None:
    incremental = tables()
    assert_every_rows_sum_the_others(incremental[0])
    rollups.rebuild(now=horizon)
    assert tables() == incremental


def assert_every_rows_sum_the_others(rollup: dict[tuple[Any, ...], tuple[Any, ...]]) -> None:
    """Each coarser cube holds the sums of a finer one, and each the sums over every channel and
    kind (EVERY) beside the rows of each."""
    names = [*COUNTERS, "handling"]
    cubes: defaultdict[tuple[str, str], dict[tuple[Any, ...], dict[str, int]]] = defaultdict(dict)
    for (cube, grain, period, department, category, area, channel, kind), values in rollup.items():
        row = dict(zip(names, values, strict=True))
        counts = {name: row[name] for name in COUNTERS if row[name]}
        counts |= {f"h{days}": n for days, n in row["handling"].items() if n}
        cubes[(cube, grain)][(period, department, category, area, channel, kind)] = counts

    def summed(
        source: tuple[str, str], keep: tuple[bool, bool, bool], every: bool
    ) -> dict[tuple[Any, ...], dict[str, int]]:
        sums: defaultdict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
        for (period, *dims, channel, kind), counts in cubes[source].items():
            if channel == EVERY:
                continue
            kept = tuple(value if keeps else 0 for value, keeps in zip(dims, keep, strict=True))
            sums[(period, *kept, *((EVERY, EVERY) if every else (channel, kind)))].update(counts)
        # Positions change by -1 as well as +1: only zeros are dropped.
        return {key: nonzero for key, counts in sums.items() if (nonzero := {k: v for k, v in counts.items() if v})}

    def rows(cube: tuple[str, str], every: bool) -> dict[tuple[Any, ...], dict[str, int]]:
        return {key: counts for key, counts in cubes[cube].items() if (key[-1] == EVERY) == every}

    for cube, source, keep in [
        (("dc", "m"), ("dca", "m"), (True, True, False)),
        (("a", "m"), ("dca", "m"), (False, False, True)),
        (("t", "m"), ("dc", "m"), (False, False, False)),
        (("t", "w"), ("dc", "w"), (False, False, False)),
    ]:
        assert rows(cube, False) == summed(source, keep, every=False), cube
    for cube in [("dca", "m"), ("dc", "m"), ("a", "m"), ("t", "m"), ("dc", "w"), ("t", "w")]:
        assert rows(cube, True) == summed(cube, (True, True, True), every=True), cube


def test_incremental_updates_after_every_event_equal_a_full_rebuild(app: Flask, database: None) -> None:
    with app.app_context():
        rollups.rebuild(now=local(9, 1))
        build_history(lambda now: rollups.update(now=now))
        # T10's deadline to classify passes with no event: only the horizon moving finds it.
        assert statistics.overall(StatFilters(OCT, OCT)).overdue == 2
        assert rollups.update(now=local(11, 1)) == 1
        assert figures(statistics.overall(StatFilters(OCT, OCT))) == OCTOBER
        assert figures(statistics.overall(StatFilters(SEP, SEP))) == SEPTEMBER
        assert db.session.scalar(select(func.count(StatChange.id))) == 0
        assert_incremental_equals_rebuild(local(11, 1))


def test_a_deadline_passing_without_an_event_makes_the_ticket_overdue(app: Flask, database: None) -> None:
    with app.app_context():
        rollups.rebuild(now=local(9, 1))
        ticket_id = submit("late", local(9, 7), "GTDB", NT)
        act("accept", ticket_id, "SXD", local(9, 8))
        due = db.session.get_one(Ticket, ticket_id).resolve_due
        assert due == datetime(2026, 9, 22, 23, 59, 59, tzinfo=TIMEZONE)
        # At its last second the work is not late yet.
        assert rollups.update(now=due) == 1
        assert statistics.overall(StatFilters(SEP, SEP)).overdue == 0
        assert db.session.scalar(select(func.count(StatChange.id))) == 0
        assert rollups.update(now=due + timedelta(seconds=1)) == 1
        assert statistics.overall(StatFilters(SEP, SEP)).overdue == 1
        # Overdue from Wednesday 23 Sep, in the week of Monday 21.
        assert (
            statistics.series(StatFilters(SEP, SEP), "w", date(2026, 9, 21), date(2026, 9, 21))[0].totals.overdue == 1
        )
        assert_incremental_equals_rebuild(due + timedelta(seconds=1))


def test_a_transfer_moves_the_tickets_cells_and_updates_are_idempotent(app: Flask, database: None) -> None:
    with app.app_context():
        rollups.rebuild(now=local(9, 1))
        sxd, sct = _id(Department.code, "SXD"), _id(Department.code, "SCT")
        ticket_id = submit("moved", local(9, 7), "GTDB", NT)
        act("accept", ticket_id, "SXD", local(9, 8))
        rollups.update(now=local(9, 8, 12))

        def held_by() -> set[int]:
            return set(db.session.scalars(select(StatRollup.department_id).where(StatRollup.cube.in_(["dc", "dca"]))))

        assert held_by() == {sxd}
        act("transfer", ticket_id, "SCT", local(9, 9))
        assert db.session.scalar(select(func.count(StatChange.id))) > 0
        assert rollups.update(now=local(9, 9, 12)) == 1
        assert db.session.scalar(select(func.count(StatChange.id))) == 0
        assert held_by() == {sct}
        rows = db.session.scalars(select(StatRollup)).all()
        assert all(any(getattr(row, name) for name in COUNTERS) or row.handling for row in rows)
        month = statistics.overall(StatFilters(SEP, SEP, department_id=sct))
        assert (month.received, month.accepted, month.transfers, month.backlog) == (1, 1, 1, 1)
        before = tables()
        assert (rollups.update(now=local(9, 9, 12)), rollups.update(now=local(9, 10))) == (0, 0)
        assert tables() == before
        assert_incremental_equals_rebuild(local(9, 10))


def _legal_steps(ticket: Ticket) -> list[tuple[str, Any]]:
    status = Status(ticket.status)
    other = "SCT" if ticket.department.code == "SXD" else "SXD"
    extend = [("extend", 3)] if not ticket.extension_days else []
    if status == Status.SUBMITTED:
        return [("accept", "SXD"), ("accept", "SCT"), ("reject", None)]
    if status in (Status.ACCEPTED, Status.IN_PROGRESS, Status.REOPENED):
        return [("resolve", None), ("ask", None), ("transfer", other), *extend]
    if status == Status.WAITING_FOR_SUBMITTER:
        return [("reply", None), *extend]
    if status == Status.RESOLVED and ticket.rating is None:
        return [("rate", level) for level in ("satisfied", "acceptable", "not_satisfied")]
    if status == Status.RESOLVED and ticket.rating.level == "not_satisfied" and not ticket.reopen_count:
        return [("reopen", None)]
    return []


PLACES = [("GTDB", NT), ("DIEN", CR), ("GTDB", CR), ("DIEN", NT)]


@pytest.mark.parametrize("seed", range(8))
def test_random_histories_incremental_equals_rebuild_after_every_step(app: Flask, database: None, seed: int) -> None:
    chance = random.Random(seed)
    with app.app_context():
        now = local(9, 7)
        rollups.rebuild(now=now)
        ids = [submit(f"walk {seed} {n}", now + timedelta(hours=n), *PLACES[n]) for n in range(3)]
        for n in range(60):
            now += timedelta(hours=chance.randint(1, 30))
            playable = [
                (ticket_id, steps)
                for ticket_id in ids
                if (steps := _legal_steps(db.session.get_one(Ticket, ticket_id)))
            ]
            if chance.random() < 0.1:
                ids.append(submit(f"walk {seed} {len(ids)}", now, *chance.choice(PLACES)))
            elif playable and chance.random() < 0.8:
                ticket_id, steps = chance.choice(playable)
                action, argument = chance.choice(steps)
                # A leader may extend and transfer in any department, as often as needed.
                act(action, ticket_id, argument, now, decider="leader@example.org")
            else:
                now += timedelta(hours=chance.randint(0, 120))
            # Now and then several events and deadlines wait for one update.
            if chance.random() < 0.7 or n == 59:
                rollups.update(now=now)
                assert_incremental_equals_rebuild(now)


def test_the_rebuild_command_prints_its_counts(app: Flask, make_ticket: Callable[..., int]) -> None:
    make_ticket(title="Ổ gà thứ nhất", now=local(9, 7))
    make_ticket(title="Ổ gà thứ hai", now=local(9, 7, 10))
    result = app.test_cli_runner().invoke(args=["statistics", "rebuild"])
    assert result.exit_code == 0, result.output
    # Both on 7 Sep with the same key: one row in each month cube (dca, dc, a, t) and week cube
    # (dc, t), and one of every channel and kind in each.
    assert "Compiled 12 rows from 2 tickets." in result.output
    make_ticket(title="Ổ gà thứ ba", now=local(9, 8))
    result = app.test_cli_runner().invoke(args=["statistics", "update"])
    assert "Recomputed 1 tickets." in result.output
