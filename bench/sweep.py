"""Time the deadline sweep (`feedback.jobs.sweep_deadlines`) on N seeded tickets, in production
mode: the catch-up run after the seed, an idle run straight after it, and --rounds more idle runs.

    .venv/bin/python bench/sweep.py                               # 100,000 tickets, PostgreSQL + Redis here
    .venv/bin/python bench/sweep.py --tickets 20000 --rounds 5 --json-out /tmp/bench/sweep.json
    BENCH_DATABASE_URL=sqlite:////tmp/bench/sweep.sqlite3 .venv/bin/python bench/sweep.py --tickets 20000

The database BENCH_DATABASE_URL names (default postgresql+psycopg://postgres@127.0.0.1:5432/pakn_sweep,
made if missing) is wiped, migrated and seeded with the demo province and the statistics
benchmark's ticket histories (bench/stats_seed.py), lived up to --now; the pending ones are made
due, as migration 0010 makes them. The Redis database BENCH_REDIS_URL (default
redis://127.0.0.1:6379/9) is flushed.

Each sweep runs as the worker runs it: the job function, in an app context of its own, of the
production-mode app, in a process forked for the sweeps (the seed is made in another, so that
its memory is not counted), with its database and Redis connections open, one sweep after the
other. The job reads the machine's clock: --now does not move the sweep, it moves the end of the
histories, so an earlier --now makes the first sweep catch up on what fell due since, as after
an outage. Per sweep: the tickets due when it starts, wall time, the app's CPU (process_time),
SQL statements, transactions and round trips to the database and Redis
(tests/support/counting.py), the process's resident memory as the sweep starts and its peak
during the sweep (VmHWM, reset before each sweep through /proc/self/clear_refs), what the job
did (the counts it returns), and statements and CPU per action. With --parts K, each sweep is
the K jobs SWEEP_PARTS=K enqueues, taken one after the other; each part's wall time is kept, since
several workers would run them side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from bench.databases import production_app  # noqa: E402
from bench.stats_seed import seed_histories  # noqa: E402
from feedback.background.queues import redis_connection  # noqa: E402
from feedback.extensions import db  # noqa: E402
from feedback.jobs import sweep_deadlines  # noqa: E402
from feedback.models import Ticket, utcnow  # noqa: E402
from tests.support.counting import counting  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/pakn_sweep")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
MEMORY = "RSS of the worker process as a sweep starts, and its peak during the sweep (VmHWM, reset before each)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=0, help="idle sweeps after the first idle one")
    parser.add_argument("--now", type=datetime.fromisoformat, help="the end of the histories (default: now)")
    parser.add_argument("--parts", type=int, default=1, help="each sweep as this many jobs (SWEEP_PARTS)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json-out", type=Path)
    options = parser.parse_args()
    now = options.now or utcnow()
    if now.tzinfo is None:
        parser.error("--now needs its UTC offset, e.g. 2026-12-01T09:00+07:00")
    if now > utcnow():
        parser.error("--now is in the future: the sweep runs on the machine's clock, after the histories")
    app = production_app(DATABASE_URL, REDIS_URL)
    with app.app_context():
        # The children open connections of their own.
        db.engine.dispose()
    seeded = in_child(app, seed, options.tickets, options.seed, now)
    labels = ["catch-up", "idle", *(f"idle {number + 2}" for number in range(options.rounds))]
    sweeps = in_child(app, worker, labels, options.parts)
    report(sweeps)
    results = {"url": DATABASE_URL.split("@")[-1], "tickets": options.tickets, "histories_until": now.isoformat(),
               "parts": options.parts, "seed": seeded, "memory": MEMORY, "sweeps": sweeps}
    if options.json_out:
        options.json_out.write_text(json.dumps(results, indent=1))
        print(f"results in {options.json_out}")


def in_child(app: Flask, function: Callable[..., Any], *args: Any) -> Any:
    """`function(app, *args)` in a forked child, which keeps its memory to itself; its result
    comes back as JSON."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reader)
        code = 1
        try:
            with os.fdopen(writer, "w") as out:
                json.dump(function(app, *args), out)
            with app.app_context():
                db.engine.dispose()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(writer)
    with os.fdopen(reader) as incoming:
        received = incoming.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise SystemExit(f"{function.__name__} failed: its traceback is above")
    return json.loads(received)


def seed(app: Flask, count: int, seed_value: int, now: datetime) -> dict[str, Any]:
    with app.app_context():
        started = time.perf_counter()
        seed_histories(count, seed_value, now)
        summary: dict[str, Any] = {
            "seconds": round(time.perf_counter() - started, 1),
            "statuses": dict(db.session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()),
            "pending": db.session.scalars(select(func.count()).where(Ticket.next_due_at.is_not(None))).one(),
        }
    statuses = ", ".join(f"{name} {number:,}" for name, number in sorted(summary["statuses"].items()))
    print(f"seeded {count:,} tickets in {summary['seconds']:.0f} s, {summary['pending']:,} pending ({statuses})")
    return summary


def worker(app: Flask, labels: list[str], parts: int) -> list[dict[str, Any]]:
    """The sweeps one after another in one process, as a worker runs them: what the first run
    leaves behind (compiled statements, the reference copy) serves the next."""
    with app.app_context():
        # A worker's connections are open before its job starts.
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        redis_connection(app).ping()
    return [{"sweep": label, **measured_sweep(app, parts)} for label in labels]


def measured_sweep(app: Flask, parts: int) -> dict[str, Any]:
    """One sweep: its `parts` jobs, as the periodic list enqueues them, taken one after the
    other (several workers would run them side by side: each part's wall time is kept)."""
    with app.app_context():
        engine = db.engine
        clock = utcnow()
        due = db.session.scalars(select(func.count()).where(Ticket.next_due_at <= clock)).one()
        db.session.remove()
    # From here on the kernel's peak (VmHWM) counts from the present resident size (Linux).
    Path("/proc/self/clear_refs").write_text("5")
    rss_before = status_mb("VmRSS")
    done: Counter[str] = Counter()
    part_walls = []
    with counting(engine, redis=True) as counts:
        started, cpu_started = time.perf_counter(), time.process_time()
        for part in range(parts):
            part_started = time.perf_counter()
            # As the worker runs each job: in an app context of its own.
            with app.app_context():
                part_done = sweep_deadlines(**({"part": part, "parts": parts} if parts > 1 else {}))
            part_walls.append(round((time.perf_counter() - part_started) * 1000, 1))
            if part_done is None:
                raise RuntimeError("another sweep held the lock")
            done.update(part_done)
        cpu, wall = time.process_time() - cpu_started, time.perf_counter() - started
    peak = status_mb("VmHWM")
    actions = sum(done.values())
    return {
        "clock": clock.isoformat(),
        "due": due,
        "done": dict(done),
        "actions": actions,
        "wall_ms": round(wall * 1000, 1),
        "part_wall_ms": part_walls,
        "cpu_ms": round(cpu * 1000, 1),
        "statements": len(counts.statements),
        "transactions": counts.transactions,
        "commits": counts.commits,
        "database_round_trips": counts.database_round_trips,
        "redis_round_trips": counts.redis_round_trips,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak,
        "statements_per_action": round(len(counts.statements) / actions, 2) if actions else None,
        "cpu_ms_per_action": round(cpu * 1000 / actions, 2) if actions else None,
    }


def status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise LookupError(field)


COLUMNS = (
    ("sweep", "sweep", "{:<10}"),
    ("due", "due", "{:>8,}"),
    ("actions", "actions", "{:>8,}"),
    ("wall ms", "wall_ms", "{:>9,.1f}"),
    ("CPU ms", "cpu_ms", "{:>9,.1f}"),
    ("statements", "statements", "{:>10,}"),
    ("transactions", "transactions", "{:>12,}"),
    ("db trips", "database_round_trips", "{:>10,}"),
    ("Redis trips", "redis_round_trips", "{:>11,}"),
    ("RSS MB", "rss_before_mb", "{:>7.0f}"),
    ("peak MB", "peak_rss_mb", "{:>8.0f}"),
    ("stmts/action", "statements_per_action", "{:>12.2f}"),
    ("CPU ms/action", "cpu_ms_per_action", "{:>13.2f}"),
)


def report(sweeps: list[dict[str, Any]]) -> None:
    widths = [len(template.format(0 if key != "sweep" else "")) for _, key, template in COLUMNS]
    print("  ".join(f"{title:>{width}}" if key != "sweep" else f"{title:<{width}}"
                    for (title, key, _), width in zip(COLUMNS, widths, strict=True)))
    for row in sweeps:
        print("  ".join(template.format(row[key]) if row[key] is not None else f"{'—':>{width}}"
                        for (_, key, template), width in zip(COLUMNS, widths, strict=True)))
    for row in sweeps:
        print(f"{row['sweep']}: " + ", ".join(f"{name} {number:,}" for name, number in row["done"].items()))
        if len(row["part_wall_ms"]) > 1:
            print(f"  its {len(row['part_wall_ms'])} parts, wall ms: " + ", ".join(map(str, row["part_wall_ms"])))
    print(f"memory: {MEMORY}")


if __name__ == "__main__":
    main()
