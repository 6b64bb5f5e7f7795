"""Load benchmark: fresh visitors submitting, against the embedded default (`make run`: waitress,
SQLite, the in-process worker), production mode (gunicorn with 2 workers, PostgreSQL, Redis and
a separate `flask worker`), and the stack's ceiling (bench/ceiling_app.py under the same
gunicorn), alternating the systems in each round because this machine is noisy.

    .venv/bin/python bench/load.py                          # c = 8, 16, 32; 20 s each; 1 round
    .venv/bin/python bench/load.py -c 32 -d 60 --systems embedded
    .venv/bin/python bench/load.py --rounds 3 --json-out /tmp/load.jsonl

Needs PostgreSQL and Redis on this machine (BENCH_PG, BENCH_REDIS_URL) for production mode and
the ceiling; `--systems embedded` needs neither. It makes and wipes the databases pakn_load and
ceiling_load (--pakn-database, --ceiling-database) and Redis database 9. Reports visits/s,
errors by kind, p50/p95/p99 of a visit and the CPU the servers spent per visit: the app's
processes, and the database's and Redis's.
See bench/README.md for the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import requests
from redis import Redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_client import Run, run_load  # noqa: E402

BIN = Path(sys.executable).parent
PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
HIGH_LIMIT = "1000000 per minute"


def cpu_seconds(pids: list[int]) -> float:
    """CPU of these processes and their children, the reaped ones included (Linux /proc)."""
    table: dict[int, tuple[int, int, int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            table[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14]))
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    total, todo, seen = 0, [pid for pid in pids if pid in table], set()
    total += sum(table[pid][2] for pid in todo)
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.add(pid)
            total += table[pid][1]
            todo += children.get(pid, [])
    return total / os.sysconf("SC_CLK_TCK")


def service_pids() -> list[int]:
    """PostgreSQL's postmaster and Redis's server: their CPU is the database's share."""
    found = subprocess.run(["pgrep", "-x", "postgres|redis-server"], capture_output=True, text=True).stdout
    return [int(pid) for pid in found.split()]


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server for {url} stopped (exit {process.returncode})")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer in {seconds} s")


def fresh_database(name: str) -> str:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=env, check=True, capture_output=True)


@contextmanager
def started(commands: list[list[str]], env: dict[str, str], url: str, log: Path) -> Iterator[list[int]]:
    with log.open("ab") as output:
        processes = [subprocess.Popen(c, cwd=ROOT, env=env, stdout=output, stderr=output) for c in commands]
    try:
        wait_until_up(url, processes[0])
        yield [p.pid for p in processes]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def embedded(port: int, folder: Path, _args: argparse.Namespace) -> tuple[dict[str, str], list[list[str]]]:
    env = {**os.environ, "APP_ENV": "development", "DATABASE_URL": f"sqlite:///{folder / 'embedded.sqlite3'}",
           "SECRET_KEY": "bench", "SUBMIT_RATE_LIMIT": HIGH_LIMIT, "UPLOAD_FOLDER": str(folder / "uploads")}
    env.pop("REDIS_URL", None)
    flask(env, "db", "upgrade")
    flask(env, "seed-demo")
    return env, [[str(BIN / "flask"), "--app", "app", "serve", "--port", str(port)]]


def production(port: int, folder: Path, args: argparse.Namespace) -> tuple[dict[str, str], list[list[str]]]:
    Redis.from_url(REDIS_URL).flushdb()
    database = fresh_database(args.pakn_database).replace("postgresql://", "postgresql+psycopg://")
    env = {**os.environ, "APP_ENV": "production", "DATABASE_URL": database, "REDIS_URL": REDIS_URL,
           "SECRET_KEY": "bench-secret", "PUBLIC_URL": f"http://127.0.0.1:{port}", "MAIL_BACKEND": "mailbox",
           "SMS_BACKEND": "mailbox", "SUBMIT_RATE_LIMIT": HIGH_LIMIT, "UPLOAD_FOLDER": str(folder / "uploads")}
    flask(env, "db", "upgrade")
    flask(env, "seed-demo", "--in-production")
    gunicorn = [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "app:create_app()"]
    return env, [gunicorn, [str(BIN / "flask"), "--app", "app", "worker"]]


def ceiling(port: int, _folder: Path, args: argparse.Namespace) -> tuple[dict[str, str], list[list[str]]]:
    database = fresh_database(args.ceiling_database)
    with psycopg.connect(database, autocommit=True) as connection:
        connection.execute("CREATE TABLE ceiling_ticket (id serial PRIMARY KEY, department_id int, "
                           "citizen_name text, body text)")
    env = {**os.environ, "CEILING_DATABASE_URL": database.replace("postgresql://", "postgresql+psycopg://"),
           "PYTHONPATH": str(ROOT / "bench")}
    return env, [[str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "ceiling_app:app"]]


# name: (how to start it, client kind, POST only)
SYSTEMS = {
    "embedded": (embedded, "pakn", False),
    "production": (production, "pakn", False),
    "production-post": (production, "pakn", True),
    "ceiling": (ceiling, "ceiling", True),
}


def measure(name: str, concurrency: int, args: argparse.Namespace, folder: Path, port: int) -> dict[str, Any]:
    setup, kind, post_only = SYSTEMS[name]
    env, commands = setup(port, folder, args)
    url = f"http://127.0.0.1:{port}"
    with started(commands, env, url + ("/submit" if kind == "pakn" else "/"), folder / f"{name}.log") as pids:
        load = Run(url, kind, concurrency, args.duration, args.warmup, post_only)
        # The web server, the background worker (production), the database and Redis.
        groups = [pids[:1], pids[1:], service_pids()]
        before: list[float] = []
        # The CPU of the measured seconds only: counted from the end of the warm-up.
        timer = threading.Timer(args.warmup, lambda: before.extend(cpu_seconds(group) for group in groups))
        timer.start()
        result = run_load(load)
        timer.join()
        web, jobs, database = (cpu_seconds(group) - start for group, start in zip(groups, before, strict=True))
    visits = max(result["visits"], 1)
    return {"system": name, "concurrency": concurrency, **result,
            "web_cpu_ms_per_visit": round(web * 1000 / visits, 2),
            "jobs_cpu_ms_per_visit": round(jobs * 1000 / visits, 2) if name.startswith("production") else None,
            "db_cpu_ms_per_visit": round(database * 1000 / visits, 2) if name != "embedded" else None,
            "load_average": os.getloadavg()[0]}


def report(results: list[dict[str, Any]]) -> None:
    print(f"\n{'system':16} {'c':>3} {'visits/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'CPU ms per visit: web':>22} {'jobs':>6} {'db':>6}  errors")
    keys = sorted({(r["system"], r["concurrency"]) for r in results}, key=lambda k: (k[1], list(SYSTEMS).index(k[0])))
    medians: dict[tuple[str, int], float] = {}
    for system, concurrency in keys:
        rows = [r for r in results if (r["system"], r["concurrency"]) == (system, concurrency)]
        rate = statistics.median(r["visits_per_s"] for r in rows)
        medians[system, concurrency] = rate
        errors: dict[str, int] = {}
        for row in rows:
            for kind, count in row["errors"].items():
                errors[kind] = errors.get(kind, 0) + count
        last = rows[-1]
        jobs, db = last["jobs_cpu_ms_per_visit"], last["db_cpu_ms_per_visit"]
        print(f"{system:16} {concurrency:>3} {rate:>9.1f} {last['p50_ms'] or 0:>8} {last['p95_ms'] or 0:>8} "
              f"{last['p99_ms'] or 0:>8} {last['web_cpu_ms_per_visit']:>22} {jobs or '':>6} {db or '':>6}  "
              f"{errors or 0}")
    for concurrency in sorted({k[1] for k in keys}):
        pairs = [("production-post", "ceiling"), ("embedded", "production")]
        for ours, other in pairs:
            if (ours, concurrency) in medians and medians.get((other, concurrency)):
                ratio = medians[ours, concurrency] / medians[other, concurrency]
                print(f"c={concurrency}: {ours} ÷ {other} = {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", "--concurrency", type=int, action="append", help="repeatable; default 8, 16, 32")
    parser.add_argument("-d", "--duration", type=float, default=20.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--systems", default="embedded,production,production-post,ceiling")
    parser.add_argument("--port", type=int, default=5510)
    parser.add_argument("--json-out")
    parser.add_argument("--pakn-database", default="pakn_load", help="production mode's, on BENCH_PG")
    parser.add_argument("--ceiling-database", default="ceiling_load", help="the ceiling's, on BENCH_PG")
    args = parser.parse_args()
    systems = args.systems.split(",")
    results = []
    with tempfile.TemporaryDirectory(prefix="pakn-load-") as scratch:
        for round_number in range(args.rounds):
            for concurrency in args.concurrency or [8, 16, 32]:
                for system in systems:
                    folder = Path(scratch) / f"{system}-{round_number}-{concurrency}"
                    folder.mkdir()
                    row = measure(system, concurrency, args, folder, args.port)
                    print(json.dumps(row), flush=True)
                    results.append(row)
                    if args.json_out:
                        with open(args.json_out, "a") as output:
                            output.write(json.dumps(row) + "\n")
    report(results)


if __name__ == "__main__":
    main()
