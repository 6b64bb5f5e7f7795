"""The statistics rollups against a history built through the real services: every indicator
read back through feedback/services/statistics.py equals the figure worked out by hand below, and
the incremental updates give exactly the tables a full rebuild gives."""

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
from feedback.models import EVERY, Area, Category, Department, StatChange, StatRollup, Ticket, TicketStat, User
from feedback.services.handling import actions as handling
from feedback.services.handling import cooperation
from feedback.services.intake.submissions import Submission, submit_ticket
from feedback.services.statistics import reading as statistics
from feedback.services.statistics import rollups
from feedback.services.statistics.reading import StatFilters
from feedback.services.submitters import responses as following
from workflows import TIMEZONE, Status
from workflows.indicators import COUNTERS, Totals

NT, CR = "Phường Nha Trang", "Phường Cam Ranh"
SEP, OCT = date(2026, 9, 1), date(2026, 10, 1)

# Who: (category, area, channel, kind). GTDB goes to SXD (10 working days to answer), DIEN to
# SCT (3 working days). Every deadline is the end of a local day; 7 Sep-31 Oct 2026 has no holiday.
TICKETS = {
    "T1": ("GTDB", NT, "web", "feedback"),  # on time, satisfied
    "T2": ("GTDB", CR, "hotline", "feedback"),  # on time thanks to its extension, unrated
    "T3": ("DIEN", NT, "web", "recommendation"),  # late, acceptable
    "T4": ("GTDB", CR, "web", "feedback"),  # transferred to SCT, paused in time, not satisfied
    "T5": ("GTDB", NT, "web", "feedback"),  # not satisfied, reopened, answered again, satisfied
    "T6": ("DIEN", NT, "hotline", "feedback"),  # rejected in time
    "T7": ("GTDB", CR, "web", "feedback"),  # rejected late
    "T8": ("GTDB", NT, "hotline", "recommendation"),  # extended, late all the same, unrated
    "T9": ("DIEN", CR, "web", "recommendation"),  # waiting for its submitter, asked in time
    "T10": ("GTDB", NT, "web", "feedback"),  # never accepted, past its deadline to classify
    "T11": ("GTDB", CR, "web", "feedback"),  # accepted, open past its deadline
    "T12": ("DIEN", NT, "web", "feedback"),  # waiting for its submitter, asked too late
}

# (month, day, hour, ticket, action, argument), in time order; local times in 2026.
STEPS: list[tuple[int, int, int, str, str, Any]] = [
    (9, 7, 9, "T1", "submit", None),
    (9, 8, 9, "T2", "submit", None),
    (9, 8, 10, "T8", "submit", None),
    (9, 8, 11, "T1", "accept", "SXD"),  # due end of Tue 22 Sep
    (9, 9, 9, "T3", "submit", None),
    (9, 9, 10, "T2", "accept", "SXD"),  # due Wed 23 Sep
    (9, 9, 11, "T8", "accept", "SXD"),  # due Wed 23 Sep
    (9, 10, 9, "T4", "submit", None),
    (9, 10, 10, "T3", "accept", "SCT"),  # due Tue 15 Sep (11, 14, 15)
    (9, 11, 9, "T4", "accept", "SXD"),  # due Fri 25 Sep
    (9, 14, 9, "T5", "submit", None),
    (9, 14, 10, "T4", "transfer", "SCT"),  # keeps its deadline
    (9, 15, 9, "T1", "resolve", None),  # 6 working days after submission (8-11, 14, 15)
    (9, 15, 10, "T5", "accept", "SXD"),  # due Tue 29 Sep
    (9, 15, 11, "T4", "ask", None),
    (9, 16, 9, "T6", "submit", None),  # to classify by Fri 18 Sep
    (9, 16, 10, "T1", "rate", "satisfied"),
    (9, 17, 9, "T6", "reject", None),
    (9, 18, 9, "T3", "resolve", None),  # late; 7 working days (10, 11, 14-18)
    (9, 18, 10, "T4", "reply", None),  # 3 working days waited (16-18): due Wed 30 Sep
    (9, 19, 9, "T3", "rate", "acceptable"),
    (9, 21, 9, "T5", "resolve", None),
    (9, 21, 10, "T2", "extend", 2),  # due Fri 25 Sep
    (9, 21, 11, "T8", "extend", 2),  # due Fri 25 Sep
    (9, 22, 9, "T5", "rate", "not_satisfied"),
    (9, 23, 9, "T5", "reopen", None),  # a new round, due Wed 7 Oct
    (9, 25, 10, "T2", "resolve", None),  # 13 working days (9-11, 14-18, 21-25)
    (9, 29, 9, "T4", "resolve", None),  # 13 working days (11, 14-18, 21-25, 28, 29)
    (9, 30, 9, "T4", "rate", "not_satisfied"),  # may still reopen: stays resolved
    (10, 1, 9, "T7", "submit", None),  # to classify by Mon 5 Oct
    (10, 5, 9, "T5", "resolve", None),  # 15 working days (15-18, 21-25, 28-2, 5)
    (10, 5, 10, "T12", "submit", None),
    (10, 6, 9, "T5", "rate", "satisfied"),
    (10, 6, 10, "T12", "accept", "SCT"),  # due Fri 9 Oct
    (10, 7, 9, "T7", "reject", None),
    (10, 12, 9, "T11", "submit", None),
    (10, 13, 9, "T8", "resolve", None),  # 25 working days (9-11, 14-18, ..., 12, 13)
    (10, 13, 10, "T11", "accept", "SXD"),  # due Tue 27 Oct
    (10, 13, 11, "T12", "ask", None),
    (10, 19, 9, "T9", "submit", None),
    (10, 20, 9, "T9", "accept", "SCT"),  # due Fri 23 Oct
    (10, 21, 9, "T9", "ask", None),
    (10, 28, 9, "T10", "submit", None),  # to classify by Fri 30 Oct
]


def local(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TIMEZONE)


def _user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def _id(column: Any, value: str) -> int:
    """The id of the one row of the column's model where it has this value."""
    return db.session.scalars(select(column.class_.id).where(column == value)).one()


def submit(name: str, now: datetime, category: str | None = None, area: str | None = None) -> int:
    """As make_ticket, with the ticket's channel and kind."""
    code, place, channel, kind = TICKETS.get(name, (category, area, "web", "feedback"))
    receipt = submit_ticket(
        Submission(
            kind=kind, channel=channel, title=f"Phản ánh {name}",
            category_id=_id(Category.code, code), area_id=_id(Area.name, place),
            description="Sự việc kéo dài nhiều ngày, đề nghị cơ quan chức năng kiểm tra.",
        ),
        actor=None, now=now,
    )
    return receipt.ticket.id


def act(action: str, ticket_id: int, argument: Any, now: datetime, decider: str = "head.sxd@example.org") -> None:
    ticket = db.session.get_one(Ticket, ticket_id)
    officer = _user(f"officer.{ticket.department.code.lower()}@example.org")
    intake = _user("intake@example.org")
    match action:
        case "accept":
            handling.accept_ticket(intake, ticket_id, _id(Department.code, argument), now=now)
        case "reject":
            handling.reject_ticket(intake, ticket_id, "Không thuộc phạm vi tiếp nhận", now=now)
        case "transfer":
            department_id = _id(Department.code, argument)
            cooperation.transfer_ticket(_user(decider), ticket_id, department_id, "Thuộc lĩnh vực khác", now=now)
        case "extend":
            handling.extend_deadline(_user(decider), ticket_id, argument, "Cần khảo sát thêm", now=now)
        case "ask":
            handling.request_information(officer, ticket_id, "Xin bổ sung ảnh hiện trường", now=now)
        case "reply":
            following.provide_information(ticket, "Ảnh đã gửi kèm", [], now=now)
        case "resolve":
            handling.resolve_ticket(officer, ticket_id, "Đã xử lý xong theo phản ánh.", now=now)
        case "rate":
            following.rate_ticket(ticket, argument, "", now=now)
        case "reopen":
            following.reopen_ticket(ticket, "Vẫn chưa sửa xong", now=now)
        case _:
            raise ValueError(action)


def build_history(after_step: Callable[[datetime], None] = lambda now: None) -> None:
    ids: dict[str, int] = {}
    for month, day, hour, name, action, argument in STEPS:
        now = local(month, day, hour)
        if action == "submit":
            ids[name] = submit(name, now)
        else:
            act(action, ids[name], argument, now)
        after_step(now)


def figures(totals: Totals) -> dict[str, Any]:
    return {name: totals.counts[name] for name in COUNTERS} | {"handling": dict(totals.handling)}


def zero(**counts: Any) -> dict[str, Any]:
    return dict.fromkeys(COUNTERS, 0) | {"handling": {}} | counts


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


# September 2026. Flows: received T1-T6, T8; accepted T1-T5, T8; rejected T6; answered for good
# T1-T4 (T5's last answer is in October), on time T1, T2 (extended), T4 (paused); answered once
# T1-T5, T5 reopened; transferred T4; rated T1 satisfied, T3 acceptable, T4 not satisfied (T5's
# first rating was superseded); national_ok T1 and T2 (unrated; T3 late, T4 not satisfied).
# Positions at the end of 30 Sep: open T5 (reopened) and T8, overdue T8 (due 25 Sep).
SEPTEMBER = zero(
    received=7,
    accepted=6,
    rejected=1,
    resolved=4,
    on_time=3,
    backlog=2,
    overdue=1,
    answered=5,
    reopened=1,
    transfers=1,
    rated=3,
    satisfied=1,
    acceptable=1,
    not_satisfied=1,
    national_ok=2,
    handling={6: 1, 7: 1, 13: 2},
)
# October: received T7, T9-T12; accepted T9, T11, T12; rejected T7; answered for good T5 (on
# time, satisfied) and T8 (late, first answer, unrated). Open at the end of 31 Oct: T9-T12;
# overdue T10 (from 31 Oct), T11 (from 28 Oct), T12 (asked after its deadline); T9 was asked in time.
OCTOBER = zero(
    received=5,
    accepted=3,
    rejected=1,
    resolved=2,
    on_time=1,
    backlog=4,
    overdue=3,
    answered=1,
    rated=1,
    satisfied=1,
    national_ok=1,
    handling={15: 1, 25: 1},
)


def test_the_statistics_job_compiles_the_hand_built_figures(
    app: Flask, database: None, run_worker: Callable[[], bool]
) -> None:
    with app.app_context():
        build_history()
    assert run_worker()
    with app.app_context():
        assert db.session.scalar(select(func.count(StatChange.id))) == 0
        assert statistics.freshness().horizon is not None
        assert statistics.data_months() == (SEP, OCT)
        september = statistics.overall(StatFilters(SEP, SEP))
        assert figures(september) == SEPTEMBER
        rates = (
            "on_time_rate",
            "on_time_rate_national",
            "satisfaction_rate",
            "satisfaction_rate_national",
            "rating_coverage",
            "reopen_rate",
            "transfers_per_ticket",
            "median_days",
            "p90_days",
        )
        # 3/(4 answered + 1 overdue), 3/4, (3-1)/3, 2/4, 3/4, 1/5, 1/7; days 6, 7, 13, 13.
        assert [getattr(september, name) for name in rates] == [3 / 5, 3 / 4, 2 / 3, 2 / 4, 3 / 4, 1 / 5, 1 / 7, 7, 13]
        october = statistics.overall(StatFilters(OCT, OCT))
        assert figures(october) == OCTOBER
        # 1/(2 + 3 overdue), 1/2, 1/1, 1/2, 1/2, 0/1, 0/5; days 15, 25.
        assert [getattr(october, name) for name in rates] == [1 / 5, 1 / 2, 1.0, 1 / 2, 1 / 2, 0.0, 0.0, 15, 25]
        both = statistics.overall(StatFilters(SEP, OCT))
        # Flows add up; positions are October's.
        assert figures(both) == zero(
            **{name: SEPTEMBER[name] + OCTOBER[name] for name in COUNTERS if name not in ("backlog", "overdue")},
            backlog=4,
            overdue=3,
            handling={6: 1, 7: 1, 13: 2, 15: 1, 25: 1},
        )
        # 4/(6 + 3), 4/6, 3/4, 3/6; days 6, 7, 13, 13, 15, 25: the 3rd and the 6th (5.4 up).
        assert [
            both.on_time_rate,
            both.on_time_rate_national,
            both.satisfaction_rate,
            both.satisfaction_rate_national,
            both.median_days,
            both.p90_days,
        ] == [4 / 9, 4 / 6, 3 / 4, 3 / 6, 13, 25]


SOME = ("received", "resolved", "on_time", "rejected", "rated", "backlog", "overdue")


def test_breakdowns_and_slices(app: Flask, database: None, run_worker: Callable[[], bool]) -> None:
    with app.app_context():
        build_history()
    assert run_worker()
    with app.app_context():
        sxd, sct = _id(Department.code, "SXD"), _id(Department.code, "SCT")
        both = StatFilters(SEP, OCT)
        departments = statistics.breakdown(both, "department")
        assert set(departments) == {sxd, sct}
        # SXD: T1, T2, T5, T7, T8, T10, T11. Accepted T1, T2, T5, T8, T11; on time T1, T2, T5;
        # open and overdue at the end: T10, T11.
        assert figures(departments[sxd]) == zero(
            received=7,
            accepted=5,
            rejected=1,
            resolved=4,
            on_time=3,
            backlog=2,
            overdue=2,
            answered=4,
            reopened=1,
            rated=2,
            satisfied=2,
            national_ok=3,
            handling={6: 1, 13: 1, 15: 1, 25: 1},
        )
        # SCT: T3, T4 (accepted by SXD, counted where it is now), T6, T9, T12; open T9, T12.
        assert figures(departments[sct]) == zero(
            received=5,
            accepted=4,
            rejected=1,
            resolved=2,
            on_time=1,
            backlog=2,
            overdue=1,
            answered=2,
            transfers=1,
            rated=2,
            acceptable=1,
            not_satisfied=1,
            handling={7: 1, 13: 1},
        )

        def some(totals: Totals) -> tuple[int, ...]:
            return tuple(totals.counts[name] for name in SOME)

        categories = {
            db.session.get_one(Category, key).code: some(value)
            for key, value in statistics.breakdown(both, "category").items()
        }
        # GTDB: T1, T2, T4, T5, T7, T8, T10, T11; DIEN: T3, T6, T9, T12.
        assert categories == {"GTDB": (8, 5, 4, 1, 3, 2, 2), "DIEN": (4, 1, 0, 1, 1, 2, 1)}
        areas = {
            db.session.get_one(Area, key).name: some(value) for key, value in statistics.breakdown(both, "area").items()
        }
        # Nha Trang: T1, T3, T5, T6, T8, T10, T12; Cam Ranh: T2, T4, T7, T9, T11.
        assert areas == {NT: (7, 4, 2, 1, 3, 2, 2), CR: (5, 2, 2, 1, 1, 2, 1)}
        sxd_areas = {
            db.session.get_one(Area, key).name: some(value)
            for key, value in statistics.breakdown(StatFilters(SEP, OCT, department_id=sxd), "area").items()
        }
        # SXD in Nha Trang: T1, T5, T8, T10; in Cam Ranh: T2, T7, T11.
        assert sxd_areas == {NT: (4, 3, 2, 0, 2, 1, 1), CR: (3, 1, 1, 1, 0, 1, 1)}
        # By hotline: T2, T6, T8. Recommendations: T3, T8, T9. SXD's feedback: T1, T2, T5, T7, T10, T11.
        assert some(statistics.overall(StatFilters(SEP, OCT, channel="hotline"))) == (3, 2, 1, 1, 0, 0, 0)
        assert some(statistics.overall(StatFilters(SEP, OCT, kind="recommendation"))) == (3, 2, 0, 0, 1, 1, 0)
        assert some(statistics.overall(StatFilters(SEP, OCT, kind="feedback", department_id=sxd))) == (
            6,
            3,
            3,
            1,
            2,
            2,
            2,
        )
        assert some(statistics.overall(StatFilters(OCT, OCT, area_id=_id(Area.name, NT)))) == (2, 2, 1, 0, 1, 2, 2)


def test_series_positions_and_hotspots(app: Flask, database: None, run_worker: Callable[[], bool]) -> None:
    with app.app_context():
        # Compiled before: the job applies the changes and the deadlines passed since 1 Sep.
        rollups.rebuild(now=local(9, 1))
        build_history()
    assert run_worker()
    with app.app_context():
        filters = StatFilters(SEP, OCT)
        months = statistics.series(filters, "m", date(2026, 8, 1), date(2026, 11, 1))
        # (month, received, resolved, open at its end, open and overdue at its end)
        assert [
            (p.period, p.totals.received, p.totals.resolved, p.totals.backlog, p.totals.overdue) for p in months
        ] == [(date(2026, 8, 1), 0, 0, 0, 0), (SEP, 7, 4, 2, 1), (OCT, 5, 2, 4, 3), (date(2026, 11, 1), 0, 0, 4, 3)]
        weeks = statistics.series(filters, "w", date(2026, 9, 7), date(2026, 11, 2))
        assert [p.period for p in weeks] == [date(2026, 9, 7) + timedelta(weeks=n) for n in range(9)]
        # Weeks from Monday 7 Sep: received T1-T4, T8 | T5, T6 | - | T7 | T12 | T11 | T9 | T10 | -.
        assert [p.totals.received for p in weeks] == [5, 2, 0, 1, 1, 1, 1, 1, 0]
        # Answered for good: T1, T3 | T2 | T4 | T5 | T8.
        assert [p.totals.resolved for p in weeks] == [0, 2, 1, 1, 1, 1, 0, 0, 0]
        # Open on Sundays: 5; +T5 +T6 -T1 -T6 -T3 = 4; -T5 +T5 -T2 = 3; -T4 +T7 = 3; -T5 +T12 -T7 = 2;
        # +T11 -T8 = 2; +T9 = 3; +T10 = 4; 4.
        assert [p.totals.backlog for p in weeks] == [5, 4, 3, 3, 2, 2, 3, 4, 4]
        # Overdue: T3 from 16 to 18 Sep; T8 from 26 Sep to 13 Oct; T7 6-7 Oct; T12 from 10 Oct;
        # T11 from 28 Oct; T10 from 31 Oct.
        assert [p.totals.overdue for p in weeks] == [0, 0, 1, 1, 2, 1, 1, 3, 3]
        nt, cr, gtdb = _id(Area.name, NT), _id(Area.name, CR), _id(Category.code, "GTDB")
        # October against September: Cam Ranh 3 (T7, T9, T11) against 2 (T2, T4); Nha Trang has
        # only 2; GTDB fell from 5 to 3 and DIEN stayed at 2.
        october = StatFilters(OCT, OCT)
        assert [(s.key, s.received, s.previous) for s in statistics.hotspots(october, "area")] == [(cr, 3, 2)]
        assert statistics.hotspots(october, "category") == []
        # September against an empty August: Nha Trang 5, GTDB 5 (T1, T2, T4, T5, T8).
        september = StatFilters(SEP, SEP)
        assert [(s.key, s.received, s.rise_rate) for s in statistics.hotspots(september, "area")] == [(nt, 5, None)]
        assert [(s.key, s.received) for s in statistics.hotspots(september, "category")] == [(gtdb, 5)]


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
