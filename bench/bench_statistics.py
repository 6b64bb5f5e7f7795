"""Time the statistics on 1,000,000 tickets: the full rebuild, the incremental update, the dashboard.

    .venv/bin/python bench/bench_statistics.py --tickets 20000          # quick, SQLite file in /tmp/bench
    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE bench_stats'       # once
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_stats \
        .venv/bin/python bench/bench_statistics.py

The "seed" phase wipes the database named. See bench/README.md ("Statistics") for the figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from app import create_app  # noqa: E402
from bench import stats_province, stats_seed  # noqa: E402
from bench.databases import fresh_database  # noqa: E402
from bench.stats_dashboard import bench_pages, bench_services, median, p95  # noqa: E402
from bench.stats_steps import apply_steps  # noqa: E402
from feedback.demo import seed_demo  # noqa: E402
from feedback.extensions import db  # noqa: E402
from feedback.models import StatChange, StatRollup, StatState, Ticket, TicketEvent, TicketStat, utcnow  # noqa: E402
from feedback.services.deadlines.calendar import working_calendar  # noqa: E402
from feedback.services.handling.events import case_of, recorded_events  # noqa: E402
from feedback.services.statistics import rollups  # noqa: E402
from feedback.services.statistics.reading import StatFilters, data_months, overall  # noqa: E402
from workflows import replay_case  # noqa: E402

SCRATCH = Path("/tmp/bench")
DEFAULT_URL = f"sqlite:///{SCRATCH}/stats-{{tickets}}.sqlite3"
PHASES = ("seed", "rebuild", "update", "services", "pages")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--phases", default=",".join(PHASES), help="any of " + ",".join(PHASES))
    parser.add_argument("--steps", type=int, default=2_000, help="events written through the services")
    parser.add_argument("--runs", type=int, default=200, help="requests per URL")
    parser.add_argument("--service-runs", type=int, default=50, help="calls per statistics service case")
    parser.add_argument("--pages-matching", default="", help="time only the URLs containing this")
    parser.add_argument("--verify", action="store_true", help="after the update, compare with a full rebuild")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json-out", type=Path, help="results merged in (default: /tmp/bench/stats-DIALECT-DB.json)")
    options = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL.format(tickets=options.tickets)
    SCRATCH.mkdir(exist_ok=True)
    phases = options.phases.split(",")
    results: dict[str, Any] = {"url": url.split("@")[-1], "tickets": options.tickets}
    app = make_app(url)
    if "seed" in phases:
        results["seed"] = seed(app, url, options.tickets, options.seed)
    if "rebuild" in phases:
        # In a process of its own, like `flask statistics rebuild`, so that its peak memory is its own.
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            results["rebuild"] = pool.apply(rebuild_in_child, (url,))
        print_rebuild(results["rebuild"])
        results["rebuild"]["analyze_seconds"] = analyze_rollups(app)
        results["mix"] = mix(app)
    if "update" in phases:
        results["update"] = bench_update(app, options.steps, options.seed, options.verify)
        if options.verify:
            # The comparison rewrote every row, as the rebuild does.
            analyze_rollups(app)
    if "services" in phases:
        results["services"] = bench_services(app, options.service_runs)
    if "pages" in phases:
        results["pages"] = bench_pages(app, options.runs, options.pages_matching)
    with app.app_context():
        dialect = db.engine.dialect.name
    database = Path(url.rsplit("/", 1)[-1]).stem
    out = options.json_out or SCRATCH / f"stats-{dialect}-{database}.json"
    previous = json.loads(out.read_text()) if out.exists() else {}
    out.write_text(json.dumps({**previous, **results}, indent=1, default=str))
    print(f"results in {out}")


def make_app(url: str) -> Flask:
    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": None,
            "RATELIMIT_ENABLED": False,
            "TOTP_REQUIRED_ROLES": (),
        }
    )


# Seeding ---------------------------------------------------------------------------------


def seed(app: Flask, url: str, count: int, seed_value: int) -> dict[str, Any]:
    with app.app_context():
        started = time.perf_counter()
        fresh_database(url)
        seed_demo()
        seeded = stats_seed.seed_histories(count, seed_value, utcnow())
        analysed = time.perf_counter()
        checked = check_replay(random.Random(seed_value), seeded.first_ticket, count)
        summary: dict[str, Any] = {
            "seconds": round(analysed - started, 1),
            "analyze_seconds": round(seeded.after_load_seconds, 1),
            "tickets": db.session.scalar(select(func.count(Ticket.id))),
            "events": db.session.scalar(select(func.count(TicketEvent.id))),
            "statuses": dict(db.session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()),
            "replayed": checked,
            "size_mb": database_size_mb(url),
        }
    print(
        f"seeded {summary['tickets']:,} tickets and {summary['events']:,} events in {summary['seconds']:.0f} s "
        f"(after the load, making tickets due and ANALYZE: {summary['analyze_seconds']:.0f} s of it), "
        f"{summary['size_mb']:,} MB; replayed {checked} tickets: events agree with columns"
    )
    print("  statuses:", ", ".join(f"{k} {v:,}" for k, v in sorted(summary["statuses"].items())))
    return summary


def check_replay(rng: random.Random, first: int, count: int, sample: int = 1000) -> int:
    """The conftest's check on a sample: replaying a ticket's events gives its columns."""
    ids = rng.sample(range(first, first + count), min(sample, count))
    for ticket in db.session.scalars(select(Ticket).where(Ticket.id.in_(ids))):
        assert replay_case(recorded_events(ticket)) == case_of(ticket), ticket.id
    db.session.remove()
    return len(ids)


def database_size_mb(url: str) -> int:
    if db.engine.dialect.name == "postgresql":
        return int(db.session.scalar(text("SELECT pg_database_size(current_database())")) / 2**20)
    return int(Path(url.removeprefix("sqlite:///")).stat().st_size / 2**20)


# The full rebuild ------------------------------------------------------------------------


def rebuild_in_child(url: str) -> dict[str, Any]:
    app = make_app(url)
    with app.app_context():
        baseline = peak_rss_mb()
        done = 0

        def progress(count: int) -> None:
            nonlocal done
            done += count
            if done % 200_000 < count:
                print(f"  rebuilt {done:,} tickets, {time.perf_counter() - started:.0f} s", flush=True)

        started = time.perf_counter()
        result = rollups.rebuild(progress=progress)
        seconds = time.perf_counter() - started
        peak = peak_rss_mb()
        cubes = db.session.execute(
            select(StatRollup.cube, StatRollup.grain, func.count()).group_by(StatRollup.cube, StatRollup.grain)
        ).all()
        return {
            "seconds": round(seconds, 1),
            "tickets": result.tickets,
            "rollup_rows": result.rows,
            "cubes": {f"{cube}/{grain}": count for cube, grain, count in cubes},
            "ticket_stat_rows": db.session.scalar(select(func.count(TicketStat.ticket_id))),
            "baseline_rss_mb": baseline,
            "peak_rss_mb": peak,
        }


def analyze_rollups(app: Flask) -> float:
    """On PostgreSQL, what autovacuum does soon after a rebuild (this container's server runs
    without it): without fresh statistics the planner takes the rewritten tables for the empty
    ones it last saw. SQLite is left as the application leaves it, without ANALYZE."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return 0.0
        started = time.perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE stat_rollup, ticket_stat"))
        seconds = time.perf_counter() - started
    print(f"  then VACUUM ANALYZE of the rollups: {seconds:.1f} s")
    return round(seconds, 1)


def mix(app: Flask) -> dict[str, Any]:
    """The seeded history as the indicators see it, over every month with tickets."""
    with app.app_context():
        months = data_months()
        if months is None:
            return {}
        totals = overall(StatFilters(first=months[0], last=months[1]))
    names = (
        "received",
        "rejected",
        "backlog",
        "overdue",
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
    figures = {name: getattr(totals, name) for name in names}
    print(
        "  the history:",
        ", ".join(
            f"{name} {value:.3f}" if isinstance(value, float) else f"{name} {value:,}"
            for name, value in figures.items()
        ),
    )
    return figures


def peak_rss_mb() -> int:
    """This process's peak resident memory. Not getrusage's ru_maxrss: Linux carries that over
    an exec, so a spawned child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def print_rebuild(result: dict[str, Any]) -> None:
    print(
        f"rebuild: {result['tickets']:,} tickets in {result['seconds']:.1f} s, {result['rollup_rows']:,} rollup rows "
        f"({', '.join(f'{k} {v:,}' for k, v in sorted(result['cubes'].items()))}); "
        f"peak RSS {result['peak_rss_mb']:,} MB (process before: {result['baseline_rss_mb']:,} MB)"
    )


# The incremental update ------------------------------------------------------------------


def bench_update(app: Flask, steps: int, seed_value: int, verify: bool) -> dict[str, Any]:
    with app.app_context():
        if db.session.get(StatState, 1) is None:
            raise SystemExit("Rebuild first (--phases rebuild).")
        rollups.update(now=_judging_now())
        first_event = db.session.scalar(select(func.max(TicketEvent.id))) or 0
        step_times = apply_steps(steps, random.Random(seed_value))
        events = db.session.scalars(select(func.count(TicketEvent.id)).where(TicketEvent.id > first_event)).one()
        tickets = db.session.scalar(select(func.count(func.distinct(StatChange.ticket_id))))
        started = time.perf_counter()
        recomputed = rollups.update(now=_judging_now())
        seconds = time.perf_counter() - started
        idle = []
        for _ in range(20):
            started = time.perf_counter()
            rollups.update(now=_judging_now())
            idle.append((time.perf_counter() - started) * 1000)
        midnight = _after_next_working_day(db.session.get_one(StatState, 1).horizon) + timedelta(minutes=1)
        started = time.perf_counter()
        passed = rollups.update(now=midnight)
        midnight_seconds = time.perf_counter() - started
        result = {
            "steps_p50_ms": round(median(step_times), 1),
            "steps_p95_ms": round(p95(step_times), 1),
            "events": events,
            "tickets": tickets,
            "recomputed": recomputed,
            "update_seconds": round(seconds, 2),
            "ms_per_event": round(seconds * 1000 / events, 2),
            "ms_per_ticket": round(seconds * 1000 / max(recomputed, 1), 2),
            "idle_p50_ms": round(median(idle), 1),
            "idle_p95_ms": round(p95(idle), 1),
            "midnight_tickets": passed,
            "midnight_seconds": round(midnight_seconds, 2),
        }
        print(
            f"update: {events:,} events on {tickets:,} tickets through the services "
            f"(a step: p50 {result['steps_p50_ms']} ms, p95 {result['steps_p95_ms']} ms); "
            f"update() recomputed {recomputed:,} tickets in {seconds:.2f} s = {result['ms_per_event']} ms per event, "
            f"{result['ms_per_ticket']} ms per ticket"
        )
        print(
            f"  with nothing to do: p50 {result['idle_p50_ms']} ms, p95 {result['idle_p95_ms']} ms; "
            f"after the next working day ends: {passed:,} tickets passed their deadline, {midnight_seconds:.2f} s"
        )
        if verify:
            result["verified"] = verify_against_rebuild()
    return result


def _judging_now() -> datetime:
    """Now, or the horizon when an earlier run judged deadlines ahead of the clock (the midnight
    measurement): every ticket's cells must be judged to the same moment."""
    state = db.session.get(StatState, 1)
    now = utcnow()
    return max(now, state.horizon) if state else now


def _after_next_working_day(moment: datetime) -> datetime:
    """The local midnight ending the next working day: deadlines fall at the end of working
    days, so the first run after it recomputes every open ticket due that day."""
    calendar = working_calendar()
    day = (moment + stats_province.LOCAL).date()
    if not calendar.is_working_day(day):
        day = calendar.shift_working_days(day, 1)
    return datetime.combine(day + timedelta(days=1), clock_time(0), UTC) - stats_province.LOCAL


def verify_against_rebuild() -> int:
    """The incremental tables must equal a full rebuild's at the same horizon."""
    incremental = rollup_snapshot()
    horizon = db.session.get_one(StatState, 1).horizon
    rollups.rebuild(now=horizon)
    rebuilt = rollup_snapshot()
    differing = [key for key in incremental.keys() | rebuilt.keys() if incremental.get(key) != rebuilt.get(key)]
    print(
        f"  verified: {len(rebuilt):,} rollup rows, {len(differing)} differ from a full rebuild"
        + (f", e.g. {sorted(differing)[:3]}" if differing else "")
    )
    assert not differing
    return len(rebuilt)


def rollup_snapshot() -> dict[tuple[Any, ...], tuple[Any, ...]]:
    table = StatRollup.__table__
    keys = [column for column in table.columns if column.primary_key]
    values = [column for column in table.columns if not column.primary_key]
    return {
        tuple(row[: len(keys)]): tuple(
            json.dumps(v, sort_keys=True) if isinstance(v, dict) else v for v in row[len(keys) :]
        )
        for row in db.session.execute(select(*keys, *values))
    }


if __name__ == "__main__":
    main()
