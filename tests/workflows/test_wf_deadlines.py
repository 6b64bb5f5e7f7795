from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path

import pytest

import workflows
from workflows import (
    TIMEZONE,
    DeadlinePolicy,
    Urgency,
    WorkingCalendar,
    classify_deadline,
    resolve_deadline,
    resume_deadline,
)

CAL = WorkingCalendar()
FRIDAY = datetime(2025, 3, 14, 10, tzinfo=TIMEZONE)


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=TIMEZONE)


def test_default_policy() -> None:
    policy = DeadlinePolicy()
    assert policy.classify_days == 2
    assert dict(policy.resolve_days) == {
        Urgency.URGENT: 1,
        Urgency.SIMPLE: 3,
        Urgency.ORDINARY: 10,
        Urgency.COMPLEX: 20,
    }
    assert (policy.max_extension_days, policy.progress_update_every_days) == (10, 7)


def test_policy_is_frozen_hashable_and_copies_input() -> None:
    days = {"urgent": 2, "simple": 4, "ordinary": 12, "complex": 25}
    policy = DeadlinePolicy(resolve_days=days)  # type: ignore[arg-type]
    days["urgent"] = 99
    assert policy.resolve_days[Urgency.URGENT] == 2
    with pytest.raises(TypeError):
        policy.resolve_days[Urgency.URGENT] = 3  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.classify_days = 5  # type: ignore[misc]
    same = DeadlinePolicy(resolve_days=dict(policy.resolve_days))
    assert policy == same and hash(policy) == hash(same)
    assert policy != DeadlinePolicy()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"resolve_days": {Urgency.URGENT: 1}},
        {"resolve_days": dict.fromkeys(Urgency, 0)},
        {"classify_days": 0},
        {"max_extension_days": -1},
        {"progress_update_every_days": 0},
    ],
)
def test_invalid_policy(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        DeadlinePolicy(**kwargs)  # type: ignore[arg-type]


def test_classify_deadline() -> None:
    assert classify_deadline(CAL, FRIDAY, DeadlinePolicy()) == end_of(date(2025, 3, 18))


@pytest.mark.parametrize(
    ("urgency", "due"),
    [
        (Urgency.URGENT, date(2025, 3, 17)),
        (Urgency.SIMPLE, date(2025, 3, 19)),
        (Urgency.ORDINARY, date(2025, 3, 28)),
        (Urgency.COMPLEX, date(2025, 4, 14)),  # Mon 7 Apr is Hùng Kings' day
    ],
)
def test_resolve_deadline(urgency: Urgency, due: date) -> None:
    assert resolve_deadline(CAL, FRIDAY, urgency, DeadlinePolicy()) == end_of(due)


def test_resolve_deadline_across_holidays() -> None:
    # Apr 2025: Hùng Kings on Mon 7, then 30 Apr - 2 May off, Sat 26 Apr worked.
    accepted = datetime(2025, 4, 4, 9, tzinfo=TIMEZONE)
    assert resolve_deadline(CAL, accepted, Urgency.COMPLEX, DeadlinePolicy()) == end_of(
        date(2025, 5, 7)
    )


def test_public_names_and_no_web_imports() -> None:
    assert set(workflows.__all__) <= set(dir(workflows))
    root = Path(__file__).resolve().parents[2]
    probe = (
        "import sys, workflows; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'sqlalchemy', 'flask_sqlalchemy'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_waiting_for_the_submitter_pushes_the_deadline_by_the_working_days_waited() -> None:
    calendar = WorkingCalendar()
    due = datetime(2026, 3, 20, 23, 59, 59, tzinfo=TIMEZONE)  # a Friday
    paused = datetime(2026, 3, 9, 10, 0, tzinfo=TIMEZONE)  # Monday
    resumed = datetime(2026, 3, 11, 15, 0, tzinfo=TIMEZONE)  # Wednesday: Tuesday and Wednesday waited
    assert resume_deadline(calendar, due, paused, resumed) == datetime(2026, 3, 24, 23, 59, 59, tzinfo=TIMEZONE)


def test_a_wait_within_one_day_or_over_a_weekend_costs_nothing() -> None:
    calendar = WorkingCalendar()
    due = datetime(2026, 3, 20, 23, 59, 59, tzinfo=TIMEZONE)
    same_day = (datetime(2026, 3, 9, 8, 0, tzinfo=TIMEZONE), datetime(2026, 3, 9, 17, 0, tzinfo=TIMEZONE))
    weekend = (datetime(2026, 3, 13, 18, 0, tzinfo=TIMEZONE), datetime(2026, 3, 15, 20, 0, tzinfo=TIMEZONE))
    assert resume_deadline(calendar, due, *same_day) == due
    assert resume_deadline(calendar, due, *weekend) == due


def test_the_tet_holiday_during_a_wait_is_not_counted() -> None:
    calendar = WorkingCalendar()
    due = datetime(2026, 3, 2, 23, 59, 59, tzinfo=TIMEZONE)
    # Tết 2026: 16–20 February are days off between two weekends; 13 Feb (Friday) to 23 Feb (Monday) is one working day.
    paused = datetime(2026, 2, 13, 9, 0, tzinfo=TIMEZONE)
    resumed = datetime(2026, 2, 23, 9, 0, tzinfo=TIMEZONE)
    assert calendar.working_days_between(paused, resumed) == 1
    assert resume_deadline(calendar, due, paused, resumed) == datetime(2026, 3, 3, 23, 59, 59, tzinfo=TIMEZONE)
