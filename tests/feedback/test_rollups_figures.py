"""The statistics job compiles the hand-built figures: totals, rates, breakdowns, slices, series, hotspots."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import Area, Category, Department, StatChange
from feedback.services.statistics import reading as statistics
from feedback.services.statistics import rollups
from feedback.services.statistics.reading import StatFilters
from tests.feedback.rollup_history import CR, NT, OCT, OCTOBER, SEP, SEPTEMBER, _id, build_history, figures, local, zero
from workflows.indicators import COUNTERS, Totals


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
