"""Time the staff inbox on 100,000 tickets: the service alone and the whole page.

    .venv/bin/python bench/bench_inbox.py                      # SQLite file in /tmp
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/bench_inbox.py

The database named is wiped first. See bench/README.md for the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

from app import create_app  # noqa: E402
from bench.databases import fresh_database  # noqa: E402
from feedback.codes import new_code  # noqa: E402
from feedback.demo import seed_demo  # noqa: E402
from feedback.extensions import db  # noqa: E402
from feedback.models import Area, Category, Department, Ticket, User, utcnow  # noqa: E402
from feedback.services.handling.inbox import InboxQuery, inbox_page  # noqa: E402
from feedback.text import fold  # noqa: E402
from workflows import Role  # noqa: E402

DEFAULT_URL = "sqlite:////tmp/bench-inbox.sqlite3"
CHUNK = 5_000
# Share of the tickets in each status: most of a year's tickets are long closed.
STATUS_WEIGHTS = {
    "submitted": 4,
    "accepted": 6,
    "in_progress": 14,
    "waiting_for_submitter": 3,
    "reopened": 1,
    "resolved": 7,
    "closed": 60,
    "rejected": 5,
}
CHANNEL_WEIGHTS = {"web": 70, "hotline": 12, "walk_in": 8, "email": 6, "letter": 3, "api": 1}
OPEN_STATUSES = {"accepted", "in_progress", "waiting_for_submitter", "reopened"}


@dataclass(frozen=True)
class Scenario:
    name: str
    email: str
    query: InboxQuery
    args: str
    page: int = 1


def scenarios(sample_code: str, sample_email: str, category: int) -> list[Scenario]:
    cases: list[Scenario] = []
    for who, email in (
        ("intake", "intake@example.org"),
        ("officer SXD", "officer.sxd@example.org"),
        ("leader", "leader@example.org"),
    ):
        cases += [
            Scenario(f"{who}: no filter", email, InboxQuery(), ""),
            Scenario(f"{who}: overdue + subject", email, InboxQuery(overdue_only=True, category_id=category),
                     f"?overdue=y&category={category}"),
            Scenario(f"{who}: words 'duong ngap'", email, InboxQuery(search="duong ngap"), "?q=duong+ngap"),
            Scenario(f"{who}: code", email, InboxQuery(search=sample_code), f"?q={sample_code}"),
            Scenario(f"{who}: email", email, InboxQuery(search=sample_email), f"?q={sample_email}"),
            Scenario(f"{who}: assigned to me", email, InboxQuery(assignee="me"), "?assignee=me"),
        ]
    cases.append(Scenario("leader: page 100", "leader@example.org", InboxQuery(), "?page=100", page=100))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    options = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    app = create_app({
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": url,
        "REDIS_URL": None,
        "RATELIMIT_ENABLED": False,
        "TOTP_REQUIRED_ROLES": (),
    })
    with app.app_context():
        started = time.perf_counter()
        fresh_database(url)
        seed_demo()
        sample_code, sample_email = seed_tickets(options.tickets)
        print(f"{db.engine.dialect.name}: {options.tickets:,} tickets ready in {time.perf_counter() - started:.0f} s")
        category = db.session.scalars(select(Category.id).where(Category.code == "GTDB")).one()
        db.session.remove()
    print(f"{'scenario':36} {'matching':>8} | {'service p50':>11} {'p95':>7} | {'page p50':>8} {'p95':>7}  (ms)")
    for scenario in scenarios(sample_code, sample_email, category):
        service, matching = time_service(app, scenario, options.runs)
        page = time_page(app, scenario, options.runs)
        print(f"{scenario.name:36} {matching:>8,} | {median(service):>11.1f} {p95(service):>7.1f} | "
              f"{median(page):>8.1f} {p95(page):>7.1f}")


def seed_tickets(count: int) -> tuple[str, str]:
    """Insert `count` ticket rows directly (no events: the inbox does not read them); returns a
    code and a submitter email that exist, to search for."""
    rng = random.Random(2026)
    departments = list(db.session.scalars(select(Department.id).where(Department.external.is_(False))))
    # The big departments get most of the work, as in the province.
    department_weights = [8 if index < 5 else 2 for index in range(len(departments))]
    categories = list(db.session.scalars(select(Category.id)))
    areas = list(db.session.scalars(select(Area.id).where(Area.parent_id.is_not(None))))
    staff: dict[int, list[int]] = {}
    for user in db.session.scalars(select(User).where(User.role == Role.DEPARTMENT_OFFICER.value)):
        staff.setdefault(user.department_id or 0, []).append(user.id)
    sxd = db.session.scalars(select(Department.id).where(Department.code == "SXD")).one()
    departments.remove(sxd)
    departments.insert(0, sxd)
    texts = sample_texts()
    now = utcnow()
    codes: set[str] = set()
    sample: dict[str, Any] | None = None
    rows = ticket_rows(count, rng, now, codes, texts, departments, department_weights, categories, areas, staff)
    for chunk in chunked(rows, CHUNK):
        db.session.execute(insert(Ticket), chunk)
        # An open ticket of SXD with an email, for the searches: the officer and the leader find it.
        sample = sample or next(
            (row for row in chunk
             if row["status"] in OPEN_STATUSES and row["department_id"] == sxd and row["submitter_email"]),
            None,
        )
    assert sample is not None
    db.session.commit()
    # Fresh statistics and visibility map, as autovacuum (PostgreSQL) or `PRAGMA optimize`
    # (SQLite) keep them: without the map, PostgreSQL cannot count from an index alone.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"))
    return sample["code"], sample["submitter_email"]


def sample_texts() -> list[tuple[str, str]]:
    lines = (ROOT / "feedback" / "data" / "sample_feedback.jsonl").read_text(encoding="utf-8").splitlines()
    return [(item["title"], item["description"]) for item in map(json.loads, lines)]


def ticket_rows(
    count: int, rng: random.Random, now: datetime, codes: set[str], texts: list[tuple[str, str]],
    departments: list[int], department_weights: list[int], categories: list[int], areas: list[int],
    staff: dict[int, list[int]],
) -> Iterator[dict[str, Any]]:
    statuses, status_weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    channels, channel_weights = zip(*CHANNEL_WEIGHTS.items(), strict=True)
    for number in range(count):
        code = new_code()
        while code in codes:
            code = new_code()
        codes.add(code)
        status = rng.choices(statuses, status_weights)[0]
        # Open tickets are recent; closed ones spread over the year.
        age = timedelta(days=rng.uniform(0, 40 if status in OPEN_STATUSES | {"submitted"} else 365))
        submitted = now - age
        accepted = None if status == "submitted" else submitted + timedelta(days=rng.uniform(0.1, 2))
        department = rng.choices(departments, department_weights)[0]
        title, description = texts[number % len(texts)]
        title = f"{title} ({number})"
        late = accepted is not None and status in OPEN_STATUSES and rng.random() < 0.15
        yield {
            "code": code,
            "secret_hash": "0" * 64,
            "kind": "recommendation" if rng.random() < 0.1 else "feedback",
            "channel": rng.choices(channels, channel_weights)[0],
            "language": "vi",
            "status": status,
            "category_id": rng.choice(categories),
            "area_id": rng.choice(areas),
            "title": title,
            "description": description,
            "submitter_email": f"person{number}@example.org" if rng.random() < 0.6 else "",
            "submitter_phone": f"09{number:08d}" if rng.random() < 0.4 else "",
            "search_text": fold(f"{title} {description}"),
            "department_id": department,
            "assignee_id": rng.choice(staff[department]) if staff.get(department) and rng.random() < 0.5 else None,
            "submitted_at": submitted,
            "classify_due": submitted + timedelta(days=3),
            "accepted_at": accepted,
            "resolve_due": accepted + timedelta(days=rng.uniform(5, 30)) if accepted else None,
            "paused_at": now - timedelta(days=1) if status == "waiting_for_submitter" else None,
            "escalation": rng.choice(["head", "leader"]) if late else "",
            "decision_requested": status in OPEN_STATUSES and rng.random() < 0.01,
        }


def chunked(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def time_service(app: Flask, scenario: Scenario, runs: int) -> tuple[list[float], int]:
    timings: list[float] = []
    matching = 0
    for _ in range(runs):
        with app.app_context():
            user = db.session.scalars(select(User).where(User.email == scenario.email)).one()
            started = time.perf_counter()
            result = inbox_page(user, scenario.query, scenario.page)
            timings.append((time.perf_counter() - started) * 1000)
            matching = result.total
    return timings, matching


def time_page(app: Flask, scenario: Scenario, runs: int) -> list[float]:
    client = signed_in(app, scenario.email)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(f"/staff/{scenario.args}")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (scenario.name, response.status_code)
    return timings


def signed_in(app: Flask, email: str) -> FlaskClient:
    """A client with the user's session, as after signing in (the password step is not timed)."""
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


if __name__ == "__main__":
    main()
