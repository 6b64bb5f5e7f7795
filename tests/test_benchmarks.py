"""Every benchmark in bench/ runs end to end at a tiny size, as its README tells people to run
it: a subprocess of this interpreter. A benchmark is not run by anyone for weeks, and the schema
and services move under it (a column a migration adds, a service's new signature); this is
where that shows.

Each runs on a database of its own, which it wipes: a SQLite file in the test's folder, or, when
the suite runs on PostgreSQL, a database next to this worker's (test_gw0 → test_gw0_bench),
dropped afterwards. Redis is this worker's TEST_REDIS_URL database, or a throwaway redis-server.
Ports come from this worker's block. Nothing touches the benchmarks' default databases.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from redis import Redis
from sqlalchemy.engine import URL, make_url

from tests.support.ports import free_port
from tests.support.redis_server import RedisServer, require_redis_server

ROOT = Path(__file__).parents[1]
BENCH = ROOT / "bench"
# What a developer's shell may hold that would point a benchmark somewhere else.
INHERITED_SETTINGS = re.compile(r"^(BENCH_|CEILING_)|^(APP_ENV|DATABASE_URL|REDIS_URL)$")
# The scripts with a main, each run by a test below.
SCRIPTS = {"bench_inbox.py", "bench_statistics.py", "load.py", "page_cost.py", "sweep.py"}


def postgres_url() -> URL | None:
    test_url = os.environ.get("TEST_DATABASE_URL")
    url = make_url(test_url) if test_url else None
    return url if url is not None and url.get_backend_name() == "postgresql" else None


def server_url(url: URL, database: str | None = "postgres") -> str:
    """psycopg's URL of the server, with this database or none."""
    server = URL.create("postgresql", url.username, url.password, url.host, url.port, database)
    return server.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str | None]:
    """On PostgreSQL, one database for this module's benchmarks next to this worker's; each
    benchmark wipes it first. None when the suite runs on SQLite."""
    url = postgres_url()
    if url is None:
        yield None
        return
    name = f"{url.database}_bench"
    drop_databases(url, name)
    with psycopg.connect(server_url(url), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        drop_databases(url, name)


def drop_databases(url: URL, *names: str) -> None:
    with psycopg.connect(server_url(url), autocommit=True) as connection:
        for name in names:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def database_url(postgres_database: str | None, tmp_path: Path) -> str:
    return postgres_database or f"sqlite:///{tmp_path / 'bench.sqlite3'}"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if given := os.environ.get("TEST_REDIS_URL"):
        yield given
        with Redis.from_url(given) as redis:
            redis.flushdb()
        return
    require_redis_server()
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server.url
    finally:
        server.stop()


def run_bench(script: str, *args: str, **settings: str) -> str:
    """Run bench/`script` with these arguments and environment variables; its standard output."""
    environment = {name: value for name, value in os.environ.items() if not INHERITED_SETTINGS.search(name)}
    completed = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        cwd=ROOT,
        env={**environment, **settings},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, (
        f"{script} exited with {completed.returncode}\n--- stdout\n{completed.stdout[-4000:]}\n"
        f"--- stderr\n{completed.stderr[-8000:]}"
    )
    return completed.stdout


def test_every_benchmark_script_has_a_smoke_test() -> None:
    scripts = {path.name for path in BENCH.glob("*.py") if 'if __name__ == "__main__":' in path.read_text()}
    assert scripts == SCRIPTS


def test_inbox_benchmark(database_url: str) -> None:
    output = run_bench("bench_inbox.py", "--tickets", "200", "--runs", "2", BENCH_DATABASE_URL=database_url)
    assert re.search(r"^scenario +matching \| service p50 +p95 \| page p50 +p95", output, re.M)
    assert re.search(r"^leader: page 100 +\d", output, re.M)


def test_statistics_benchmark(database_url: str, tmp_path: Path) -> None:
    out = tmp_path / "stats.json"
    output = run_bench(
        "bench_statistics.py", "--tickets", "200", "--steps", "20", "--runs", "2", "--service-runs", "2",
        "--verify", "--json-out", str(out), BENCH_DATABASE_URL=database_url,
    )
    assert "events agree with columns" in output
    assert re.search(r"^page +p50 +p95 +runs", output, re.M)
    results = json.loads(out.read_text())
    assert {"seed", "rebuild", "mix", "update", "services", "pages"} <= results.keys()
    assert results["seed"]["tickets"] >= 200
    assert results["update"]["verified"] > 0


def test_page_cost_benchmark(database_url: str, redis_url: str) -> None:
    output = run_bench(
        "page_cost.py", "--requests", "3", "--warmup", "1", BENCH_DATABASE_URL=database_url, BENCH_REDIS_URL=redis_url
    )
    for page in ("submit form", "submission", "tracking page", "public board", "staff inbox", "ticket page"):
        assert re.search(rf"^{page} +CPU ms median +[\d.]+ .*statements +\d+ ", output, re.M), page


def test_sweep_benchmark(database_url: str, redis_url: str, tmp_path: Path) -> None:
    out = tmp_path / "sweep.json"
    output = run_bench(
        "sweep.py", "--tickets", "500", "--rounds", "1", "--json-out", str(out),
        BENCH_DATABASE_URL=database_url, BENCH_REDIS_URL=redis_url,
    )
    assert re.search(r"^sweep +due +actions +wall ms +CPU ms +statements +transactions", output, re.M)
    results = json.loads(out.read_text())
    catch_up, *idle = results["sweeps"]
    assert [catch_up["sweep"], *(row["sweep"] for row in idle)] == ["catch-up", "idle", "idle 2"]
    # The seed made its pending tickets due, as migration 0010 does: the first sweep looks at each.
    assert catch_up["due"] == results["seed"]["pending"] > 0
    for row in results["sweeps"]:
        assert row["actions"] == sum(row["done"].values())
        assert row["statements"] > 0 and row["peak_rss_mb"] > 0 and row["cpu_ms"] > 0


def test_load_benchmark_on_the_embedded_default(tmp_path: Path) -> None:
    out = tmp_path / "load.jsonl"
    output = run_bench(
        "load.py", "--systems", "embedded", "-d", "2", "--warmup", "1", "-c", "2",
        "--port", str(free_port()), "--json-out", str(out),
    )
    assert re.search(r"^system +c +visits/s +p50 ms", output, re.M)
    (row,) = map(json.loads, out.read_text().splitlines())
    assert row["system"] == "embedded" and row["visits"] > 0 and row["errors"] == {}


def test_load_benchmark_in_production_mode_and_the_ceiling(tmp_path: Path, redis_url: str) -> None:
    url = postgres_url()
    if url is None:
        pytest.skip("production mode and the ceiling need PostgreSQL: run the suite with TEST_DATABASE_URL")
    pakn, ceiling = f"{url.database}_bench_load", f"{url.database}_bench_ceiling"
    out = tmp_path / "load.jsonl"
    try:
        run_bench(
            "load.py", "--systems", "production,ceiling", "-d", "2", "--warmup", "1", "-c", "2",
            "--port", str(free_port()), "--json-out", str(out), "--pakn-database", pakn, "--ceiling-database", ceiling,
            BENCH_PG=server_url(url, None), BENCH_REDIS_URL=redis_url,
        )
    finally:
        drop_databases(url, pakn, ceiling)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["system"] for row in rows] == ["production", "ceiling"]
    assert all(row["visits"] > 0 and row["errors"] == {} for row in rows)


def test_the_ceiling_app_imports() -> None:
    """Served by gunicorn from bench/ (bench/load.py); its engine connects only on a request."""
    subprocess.run(
        [sys.executable, "-c", "import ceiling_app; assert ceiling_app.app.url_map"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(BENCH), "CEILING_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"},
        check=True,
    )
