"""One deadline sweep at a time, under its lock, and every late ticket escalated once whatever the batch size."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from flask import Flask
from redis import Redis

from feedback.jobs import sweep_deadlines
from feedback.services.deadlines import escalation
from tests.feedback.deadline_sweep import Sweep, accepted, at, delivered, each, events
from tests.feedback.deadline_sweep import monday as monday
from tests.feedback.deadline_sweep import sweep as sweep

# --- one sweep at a time, in batches ---------------------------------------------------------


def test_the_sweep_does_nothing_while_another_holds_its_lock(
    app: Flask, redis: Redis, monday: date, sweep: Sweep
) -> None:
    late = accepted(app, at(monday, 0))
    lock = redis.lock("pakn:lock:sweep-deadlines", timeout=60)
    assert lock.acquire(blocking=False)
    assert sweep(at(monday, 25, 9)) is None
    with app.app_context():
        assert sweep_deadlines() is None
    assert events(app, late, "escalate") == [] and delivered(app, late) == Counter()
    lock.release()
    result = sweep(at(monday, 25, 9))
    assert result is not None and result["escalated"] == 1
    assert redis.get("pakn:lock:sweep-deadlines") is None, "released after the run"


def test_every_late_ticket_is_escalated_once_whatever_the_batch_size(
    app: Flask, monday: date, sweep: Sweep, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(escalation, "BATCH", 3)
    late = [accepted(app, at(monday, 0)) for _ in range(8)]
    first, second = sweep(at(monday, 25, 9)), sweep(at(monday, 25, 9))
    assert first is not None and second is not None
    assert (first["escalated"], second["escalated"]) == (8, 0)
    for ticket_id in late:
        assert [e.payload["level"] for e in events(app, ticket_id, "escalate")] == ["leader"]
        assert delivered(app, ticket_id, ["escalated"]) == each("escalated", ["leader@example.org"])
