"""What one request of each page people hit most costs in production mode (PostgreSQL, Redis):
a fresh visitor's GET of the form and its POST, the tracking page, the public board, an
officer's inbox and ticket page.

    .venv/bin/python bench/page_cost.py                 # PostgreSQL + Redis on this machine
    .venv/bin/python bench/page_cost.py --requests 300 --show-sql

For each: CPU in this process (the app, plus the Flask test client's small share), SQL
statements, transactions, database round trips (statements, BEGIN, COMMIT, pre-pings) and Redis
round trips. The database named by BENCH_DATABASE_URL is wiped, migrated and seeded first.
tests/feedback/test_statement_budgets.py holds the statements to a bound. Figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import make_url, select  # noqa: E402
from werkzeug.test import TestResponse  # noqa: E402

from bench.databases import production_app  # noqa: E402
from feedback.codes import link_token  # noqa: E402
from feedback.demo import DEMO_PASSWORD  # noqa: E402
from feedback.extensions import db  # noqa: E402
from feedback.models import Category, Department, Ticket, User  # noqa: E402
from feedback.services.handling.actions import accept_ticket, assign_ticket, post_progress_update  # noqa: E402
from tests.support.counting import Counts, counting  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/pakn_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
Sample = tuple[float, Counts]


def browser(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"  # the production cookie is Secure
    return client


def measured(app: Flask, request: Callable[[], TestResponse], expected: int = 200) -> Sample:
    with app.app_context():
        engine = db.engine
    with counting(engine, redis=True) as counts:
        started = time.process_time()
        response = request()
        cpu = time.process_time() - started
    assert response.status_code == expected, (response.status_code, response.get_data(as_text=True)[:500])
    return cpu, counts


def visit(app: Flask, category_id: int) -> tuple[Sample, Sample]:
    """A fresh visitor: the GET of the form and the POST of a new submission."""
    client = browser(app)
    got = measured(app, lambda: client.get("/submit"))
    token = CSRF.search(client.get("/submit").get_data(as_text=True))
    assert token
    reference = uuid.uuid4().hex[:12]
    form: dict[str, Any] = {
        "csrf_token": token.group(1), "kind": "feedback", "category": category_id, "x__GTDB__road_type": "do_thi",
        "area": "Phường Nha Trang", "title": f"Đèn đường hỏng {reference}",
        "description": f"Đèn đường trước nhà số {reference} tắt nhiều đêm liền, đề nghị kiểm tra.",
        "submitter_type": "citizen", "notify_by": "email", "email": f"b{reference}@example.org",
        "visibility": "public", "consent": "y",
    }
    headers = {"Referer": "https://localhost/submit"}  # checked by CSRF protection over HTTPS
    posted = measured(app, lambda: client.post("/submit", data=form, headers=headers), expected=302)
    return got, posted


def handled_tickets(app: Flask, count: int) -> list[tuple[int, str]]:
    """The newest tickets accepted into SXD, assigned, with three progress updates: (id, tracking path)."""
    with app.app_context():
        users = {u.email: u for u in db.session.scalars(select(User))}
        sxd = db.session.scalars(select(Department.id).where(Department.code == "SXD")).one()
        ids = db.session.scalars(select(Ticket.id).where(Ticket.status == "submitted").order_by(Ticket.id.desc())).all()
        paths = []
        for ticket_id in ids[:count]:
            accept_ticket(users["intake@example.org"], ticket_id, sxd)
            assign_ticket(users["head.sxd@example.org"], ticket_id, users["officer.sxd@example.org"].id)
            for number in range(3):
                post_progress_update(users["officer.sxd@example.org"], ticket_id, f"Đã kiểm tra lần {number + 1}.")
            ticket = db.session.get_one(Ticket, ticket_id)
            token = link_token(app.config["SECRET_KEY"], ticket.code, ticket.secret_hash)
            paths.append((ticket_id, f"/track/{ticket.code}/{token}"))
        db.session.remove()
        return paths


def officer(app: Flask) -> FlaskClient:
    client = browser(app)
    token = CSRF.search(client.get("/login").get_data(as_text=True))
    assert token
    signed_in = client.post(
        "/login", data={"csrf_token": token.group(1), "email": "officer.sxd@example.org", "password": DEMO_PASSWORD},
        headers={"Referer": "https://localhost/login"},
    )
    assert signed_in.status_code == 302, signed_in.status_code
    return client


def report(name: str, samples: list[Sample]) -> None:
    cpu = sorted(sample[0] * 1000 for sample in samples)
    last = samples[-1][1]
    print(
        f"{name:14} CPU ms median {statistics.median(cpu):6.2f}  p90 {cpu[int(len(cpu) * 0.9)]:6.2f}  |  "
        f"statements {len(last.statements):3}  transactions {last.transactions}  "
        f"database round trips {last.database_round_trips:3}  Redis round trips {last.redis_round_trips}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="of each page, after the warm-up")
    parser.add_argument("--warmup", type=int, default=30, help="requests of each page not counted")
    parser.add_argument("--show-sql", action="store_true", help="print the last POST's statements")
    args = parser.parse_args()
    app = production_app(DATABASE_URL, REDIS_URL)
    with app.app_context():
        category_id = db.session.scalars(select(Category.id).where(Category.code == "GTDB")).one()
    for _ in range(args.warmup):
        visit(app, category_id)
    gets, posts = [], []
    for _ in range(args.requests):
        got, posted = visit(app, category_id)
        gets.append(got)
        posts.append(posted)
    tickets = handled_tickets(app, 20)
    public, staff = browser(app), officer(app)
    pages: dict[str, list[Sample]] = {"tracking page": [], "public board": [], "staff inbox": [], "ticket page": []}
    for number in range(args.warmup + args.requests):
        ticket_id, tracking = tickets[number % len(tickets)]
        for page, (client, path) in {
            "tracking page": (public, tracking),
            "public board": (public, "/board/"),
            "staff inbox": (staff, "/staff/"),
            "ticket page": (staff, f"/staff/tickets/{ticket_id}"),
        }.items():
            sample = measured(app, partial(client.get, path))
            if number >= args.warmup:
                pages[page].append(sample)
    print(f"{args.requests} requests of each, on {make_url(DATABASE_URL).get_backend_name()}")
    report("submit form", gets)
    report("submission", posts)
    for page, samples in pages.items():
        report(page, samples)
    if args.show_sql:
        for statement in posts[-1][1].statements:
            print("  ", " ".join(statement.split())[:160])


if __name__ == "__main__":
    main()
