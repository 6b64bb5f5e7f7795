"""The dashboard's reads, timed: each statistics service call, then the pages through HTTP."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Area, Category, Department, User, utcnow
from feedback.services.statistics import reading as stats
from feedback.services.statistics.reading import StatFilters, add_months, month_start
from workflows import local_date

FILTERS: dict[str, dict[str, Any]] = {
    "": {},
    "hotline": {"channel": "hotline"},
    "recommendation": {"kind": "recommendation"},
    "hotline+recommendation": {"channel": "hotline", "kind": "recommendation"},
}
PERIODS = (1, 3, 12)


@dataclass(frozen=True)
class Case:
    name: str
    call: Callable[[], Any]


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def service_cases(this_month: date, department: int, category: int) -> list[Case]:
    cases = []
    for months in PERIODS:
        for label, slices in FILTERS.items():
            filters = StatFilters(first=add_months(this_month, 1 - months), last=this_month, **slices)
            tag = f"{months:>2} mo {label}".rstrip()
            in_department = StatFilters(**{**filters.__dict__, "department_id": department})
            in_category = StatFilters(**{**in_department.__dict__, "category_id": category})
            cases += [
                Case(f"{tag}: overall", partial(stats.overall, filters)),
                Case(f"{tag}: by department", partial(stats.breakdown, filters, "department")),
                Case(f"{tag}: by category", partial(stats.breakdown, filters, "category")),
                Case(f"{tag}: by area", partial(stats.breakdown, filters, "area")),
                Case(f"{tag}: hotspots area", partial(stats.hotspots, filters, "area")),
                Case(f"{tag}: hotspots category", partial(stats.hotspots, filters, "category")),
                Case(f"{tag}: SXD by category", partial(stats.breakdown, in_department, "category")),
                Case(f"{tag}: SXD, GTDB by area", partial(stats.breakdown, in_category, "area")),
            ]
    monday = local_date(utcnow()) - timedelta(days=local_date(utcnow()).weekday())
    for label, slices in FILTERS.items():
        filters = StatFilters(first=this_month, last=this_month, **slices)
        tag = f"series {label}".rstrip()
        cases += [
            Case(f"{tag}: 12 months", partial(stats.series, filters, "m", add_months(this_month, -11), this_month)),
            Case(f"{tag}: 36 months", partial(stats.series, filters, "m", add_months(this_month, -35), this_month)),
            Case(f"{tag}: 13 weeks", partial(stats.series, filters, "w", monday - timedelta(weeks=12), monday)),
            Case(f"{tag}: 52 weeks", partial(stats.series, filters, "w", monday - timedelta(weeks=51), monday)),
        ]
    return cases


def urls(department: int, category: int, area: int, this_month: date) -> list[tuple[str, bool]]:
    """(URL, signed in as the leader): the dashboard's pages and the public statistics."""
    month = f"{this_month:%Y-%m}"
    quarter = f"first={add_months(this_month, -2):%Y-%m}&last={month}"
    longest = f"first={add_months(this_month, -35):%Y-%m}&last={month}"
    drill = f"/dashboard/departments/{department}"
    return [
        ("/dashboard/", True),
        (f"/dashboard/?first={month}&last={month}", True),
        (f"/dashboard/?{quarter}", True),
        (f"/dashboard/?{longest}", True),
        ("/dashboard/?channel=hotline&kind=recommendation", True),
        (f"/dashboard/?{quarter}&channel=hotline&kind=recommendation", True),
        ("/dashboard/?sort=satisfaction_rate&order=asc", True),
        (drill, True),
        (f"{drill}/categories/{category}", True),
        (f"/dashboard/tickets?department={department}&category={category}&area={area}", True),
        (f"/dashboard/tickets?department={department}", True),
        ("/dashboard/tickets", True),
        ("/dashboard/tickets?page=100", True),
        ("/dashboard/report", True),
        ("/dashboard/export.csv", True),
        ("/dashboard/export.xlsx", True),
        ("/statistics", False),
        (f"/statistics?{quarter}&channel=hotline", False),
        ("/statistics/indicators.csv", False),
    ]


def _slices() -> tuple[int, int, int]:
    department = db.session.scalars(select(Department.id).where(Department.code == "SXD")).one()
    category = db.session.scalars(select(Category.id).where(Category.code == "GTDB")).one()
    area = db.session.scalars(select(Area.id).where(Area.name == "Phường Nha Trang")).one()
    return department, category, area


def bench_services(app: Flask, runs: int) -> dict[str, tuple[float, float]]:
    with app.app_context():
        department, category, _ = _slices()
    results = {}
    print(f"{'statistics service call':48} {'p50':>7} {'p95':>7}  (ms, {runs} calls each)")
    for case in service_cases(month_start(local_date(utcnow())), department, category):
        timings = []
        for _ in range(runs):
            with app.app_context():
                started = time.perf_counter()
                case.call()
                timings.append((time.perf_counter() - started) * 1000)
        results[case.name] = (round(median(timings), 1), round(p95(timings), 1))
        print(f"{case.name:48} {median(timings):>7.1f} {p95(timings):>7.1f}", flush=True)
    return results


def bench_pages(
    app: Flask, runs: int, matching: str = "", budget_seconds: float = 120
) -> dict[str, tuple[float, float, int]]:
    """Each URL once untimed, then `runs` times, or for `budget_seconds` (and at least 20 times)
    when slow."""
    with app.app_context():
        department, category, area = _slices()
        leader = db.session.scalars(select(User.id).where(User.email == "leader@example.org")).one()
    results = {}
    print(f"{'page':72} {'p50':>7} {'p95':>7} {'runs':>5}  (ms)")
    for url, signed_in in urls(department, category, area, month_start(local_date(utcnow()))):
        if matching not in url:
            continue
        client = _client(app, leader if signed_in else None)
        # Not timed: the first request of a page compiles its templates, once per process.
        client.get(url).get_data()
        timings: list[float] = []
        began = time.perf_counter()
        while len(timings) < runs and (len(timings) < 20 or time.perf_counter() - began < budget_seconds):
            started = time.perf_counter()
            response = client.get(url)
            response.get_data()  # a streamed download is made while it is read
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                break
        if response.status_code != 200:
            print(f"{url:72} HTTP {response.status_code}: not timed")
            continue
        results[url] = (round(median(timings), 1), round(p95(timings), 1), len(timings))
        print(f"{url:72} {median(timings):>7.1f} {p95(timings):>7.1f} {len(timings):>5}", flush=True)
    return results


def _client(app: Flask, user_id: int | None) -> FlaskClient:
    """A client with the user's session, as after signing in (the password and code steps are
    not what is timed)."""
    client = app.test_client()
    if user_id is not None:
        with client.session_transaction() as session:
            session["_user_id"] = str(user_id)
            session["_fresh"] = True
    return client
