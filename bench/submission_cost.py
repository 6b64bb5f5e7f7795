"""What one fresh visitor's submission costs in production mode: GET the form, POST it.

    .venv/bin/python bench/submission_cost.py                 # PostgreSQL + Redis on this machine
    .venv/bin/python bench/submission_cost.py --visits 300 --show-sql

For each request: CPU in this process (the app, plus the Flask test client's small share), SQL
statements, transactions, database round trips (statements, BEGIN, COMMIT, pre-pings) and Redis
round trips. The database named by BENCH_DATABASE_URL is wiped, migrated and seeded first.
See bench/README.md for the figures.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from psycopg import connect  # noqa: E402
from redis import Redis  # noqa: E402
from sqlalchemy import make_url, select, text  # noqa: E402

from app import create_app  # noqa: E402
from feedback.demo import seed_demo  # noqa: E402
from feedback.extensions import db  # noqa: E402
from feedback.models import Category  # noqa: E402
from tests.support.counting import Counts, counting  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/pakn_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def production_app() -> Flask:
    url = make_url(DATABASE_URL)
    if url.get_backend_name() == "postgresql":
        with connect(host=url.host, port=url.port, user=url.username, dbname="postgres", autocommit=True) as pg:
            if not pg.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone():
                pg.execute(f'CREATE DATABASE "{url.database}"')
    Redis.from_url(REDIS_URL).flushdb()
    os.environ.update(
        APP_ENV="production",
        SECRET_KEY="bench-secret",
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        PUBLIC_URL="https://pakn.example.org",
        MAIL_BACKEND="mailbox",
        SUBMIT_RATE_LIMIT="1000000 per minute",
    )
    app = create_app()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "migrations"))
        seed_demo()
        db.session.remove()
    return app


def visit(app: Flask, category_id: int) -> tuple[tuple[float, Counts], tuple[float, Counts]]:
    """A fresh visitor: (CPU seconds, counts) of the GET and of the POST."""
    with app.app_context():
        engine = db.engine
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"  # the production cookie is Secure
    with counting(engine, redis=True) as get_counts:
        started = time.process_time()
        page = client.get("/submit")
        get_cpu = time.process_time() - started
    assert page.status_code == 200, page.status_code
    token = CSRF.search(page.get_data(as_text=True))
    assert token
    reference = uuid.uuid4().hex[:12]
    form: dict[str, Any] = {
        "csrf_token": token.group(1),
        "kind": "feedback",
        "category": category_id,
        "x__GTDB__road_type": "do_thi",
        "area": "Phường Nha Trang",
        "title": f"Đèn đường hỏng {reference}",
        "description": f"Đèn đường trước nhà số {reference} tắt nhiều đêm liền, đề nghị kiểm tra.",
        "submitter_type": "citizen",
        "notify_by": "email",
        "email": f"b{reference}@example.org",
        "visibility": "public",
        "consent": "y",
    }
    with counting(engine, redis=True) as post_counts:
        started = time.process_time()
        sent = client.post("/submit", data=form, headers={"Referer": "https://localhost/submit"})
        post_cpu = time.process_time() - started
    assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    return (get_cpu, get_counts), (post_cpu, post_counts)


def report(name: str, samples: list[tuple[float, Counts]]) -> None:
    cpu = sorted(s[0] * 1000 for s in samples)
    last = samples[-1][1]
    print(
        f"{name:5} CPU ms median {statistics.median(cpu):6.2f}  p90 {cpu[int(len(cpu) * 0.9)]:6.2f}  |  "
        f"statements {len(last.statements):3}  transactions {last.transactions}  "
        f"database round trips {last.database_round_trips:3}  Redis round trips {last.redis_round_trips}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--show-sql", action="store_true", help="print the last POST's statements")
    args = parser.parse_args()
    app = production_app()
    with app.app_context():
        category_id = db.session.scalar(select(Category.id).where(Category.code == "GTDB"))
        db.session.remove()
    for _ in range(args.warmup):
        visit(app, category_id)
    gets, posts = [], []
    for _ in range(args.visits):
        got, posted = visit(app, category_id)
        gets.append(got)
        posts.append(posted)
    print(f"{args.visits} fresh visitors on {make_url(DATABASE_URL).get_backend_name()}")
    report("GET", gets)
    report("POST", posts)
    if args.show_sql:
        for statement in posts[-1][1].statements:
            print("  ", " ".join(statement.split())[:160])


if __name__ == "__main__":
    main()
