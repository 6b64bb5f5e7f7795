"""A closed-loop load client of fresh visitors, for bench/load.py.

Each of C worker processes (processes, so that the client is not held back by one interpreter
lock) repeats, until the time is up: a new visitor without cookies GETs /submit, reads its CSRF
token and session cookie, POSTs a valid submission with text no one sent before, and checks the
redirect to /submitted. Only those count as visits; anything else is an error, counted by kind.
`post_only` GETs once per worker and then only POSTs (the request the database sees). The
ceiling's adapter POSTs JSON to a bare Flask app with one INSERT.
"""

from __future__ import annotations

import multiprocessing as mp
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import requests

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ROAD_SUBJECT = re.compile(
    r'<fieldset class="panel extra-fields" data-category="(\d+)">(?:(?!</fieldset>).)*x__GTDB__road_type', re.S
)


@dataclass(frozen=True)
class Run:
    base_url: str
    kind: str  # "pakn" or "ceiling"
    concurrency: int
    duration: float
    warmup: float
    post_only: bool = False
    timeout: float = 30.0


def visitor_form(base_url: str) -> tuple[str, str]:
    """The road subject's id, read once from the page, as a visitor picks it from the list."""
    page = requests.get(f"{base_url}/submit", timeout=30).text
    match = ROAD_SUBJECT.search(page)
    if match is None:
        raise SystemExit(f"{base_url}/submit has no road subject: is the demo seeded?")
    return match.group(1), "do_thi"


def _pakn_visit(session: requests.Session, run: Run, subject: tuple[str, str], token: list[str]) -> str | None:
    """One visit; None when it succeeded, else the kind of error."""
    if not run.post_only or not token:
        session.cookies.clear()
        page = session.get(f"{run.base_url}/submit", timeout=run.timeout)
        if page.status_code != 200:
            return f"GET {page.status_code}"
        found = CSRF.search(page.text)
        if found is None:
            return "no CSRF token"
        token[:] = [found.group(1), page.cookies.get("session") or ""]
    reference = uuid.uuid4().hex[:12]
    sent = session.post(
        f"{run.base_url}/submit",
        data={
            "csrf_token": token[0], "kind": "feedback", "category": subject[0], "x__GTDB__road_type": subject[1],
            "area": "Phường Nha Trang", "title": f"Đèn đường hỏng {reference}",
            "description": f"Đèn đường trước nhà số {reference} tắt nhiều đêm liền, đề nghị kiểm tra.",
            "submitter_type": "citizen", "notify_by": "email", "email": f"dan.{reference}@example.org",
            "visibility": "public", "consent": "y",
        },
        # Production's session cookie is Secure: a browser sends it back over HTTPS; this client, on
        # plain HTTP, sends it itself.
        headers={"Cookie": f"session={token[1]}"},
        allow_redirects=False,
        timeout=run.timeout,
    )
    if sent.status_code == 302 and sent.headers.get("Location", "").endswith("/submitted"):
        return None
    return f"POST {sent.status_code}"


def _ceiling_visit(session: requests.Session, run: Run) -> str | None:
    reference = uuid.uuid4().hex[:12]
    ticket: dict[str, Any] = {"dep": 1, "name": "Dân", "body": reference}
    sent = session.post(f"{run.base_url}/tickets", json=ticket, timeout=run.timeout)
    return None if sent.status_code == 201 else f"POST {sent.status_code}"


def _worker(run: Run, subject: tuple[str, str], measure_from: float, until: float, out: Any) -> None:
    session = requests.Session()
    token: list[str] = []
    records: list[tuple[float, float, str | None]] = []
    while (started := time.monotonic()) < until:
        try:
            error = _ceiling_visit(session, run) if run.kind == "ceiling" else _pakn_visit(session, run, subject, token)
        except requests.Timeout:
            error = "timeout"
        except requests.RequestException as exception:
            error = type(exception).__name__
        if run.kind == "pakn" and not run.post_only:
            session.close()  # the next visitor opens its own connection
        if started >= measure_from:
            records.append((started, time.monotonic() - started, error))
    out.put(records)


def run_load(run: Run) -> dict[str, Any]:
    """Visits per second, errors by kind and latency percentiles of the measured seconds."""
    subject = visitor_form(run.base_url) if run.kind == "pakn" else ("", "")
    out: Any = mp.get_context("fork").Queue()
    measure_from = time.monotonic() + run.warmup
    until = measure_from + run.duration
    workers = [
        mp.get_context("fork").Process(target=_worker, args=(run, subject, measure_from, until, out))
        for _ in range(run.concurrency)
    ]
    for worker in workers:
        worker.start()
    records = [record for _ in workers for record in out.get()]
    for worker in workers:
        worker.join()
    done = sorted(seconds for _, seconds, error in records if error is None)
    errors: dict[str, int] = {}
    for _, _, error in records:
        if error is not None:
            errors[error] = errors.get(error, 0) + 1
    return {
        "visits": len(done),
        "visits_per_s": len(done) / run.duration,
        "errors": errors,
        "p50_ms": _percentile(done, 50),
        "p95_ms": _percentile(done, 95),
        "p99_ms": _percentile(done, 99),
    }


def _percentile(ordered: list[float], p: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] * 1000, 1)
