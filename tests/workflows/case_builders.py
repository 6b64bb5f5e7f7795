"""The cases the tests of workflows.case start from (one ordinary life in March 2026), and a check
that a refused step leaves its case as it was."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime, time

import pytest

from workflows import (
    TIMEZONE,
    Action,
    Case,
    Clock,
    DeadlinePolicy,
    Escalation,
    IllegalTransition,
    Role,
    Status,
    Urgency,
    WorkingCalendar,
)
from workflows import case as wf

S, R, A, E = Status, Role, Action, Escalation
CAL = WorkingCalendar()
POLICY = DeadlinePolicy()
CLOCK = Clock(CAL, POLICY, Urgency.ORDINARY)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TIMEZONE)


def eod(year: int, month: int, day: int) -> datetime:
    return datetime.combine(date(year, month, day), time(23, 59, 59), tzinfo=TIMEZONE)


# One ordinary life in March 2026 (no holiday nearby): submitted Monday 9 March,
# accepted Tuesday 10 March, so the ordinary resolve deadline is Tuesday 24 March.
SUBMITTED_AT = local(2026, 3, 9, 10)
ACCEPTED_AT = local(2026, 3, 10, 9)


def opened(department: str = "SO-XD", at: datetime = SUBMITTED_AT, clock: Clock = CLOCK) -> Case:
    return wf.open_case(department, at, clock)


def accepted(at: datetime = ACCEPTED_AT, clock: Clock = CLOCK) -> Case:
    return wf.accept(opened(clock=clock), R.INTAKE_OFFICER, at, clock)


def in_progress() -> Case:
    return wf.start(accepted(), R.DEPARTMENT_OFFICER)


WAITING_SINCE = local(2026, 3, 12, 10)
RESOLVED_AT = local(2026, 3, 20, 16)


def waiting(at: datetime = WAITING_SINCE) -> Case:
    return wf.request_info(in_progress(), R.DEPARTMENT_OFFICER, at, "Xin bổ sung ảnh")


def resolved(at: datetime = RESOLVED_AT) -> Case:
    return wf.resolve(in_progress(), R.DEPARTMENT_OFFICER, at)


def refused(step: Callable[[], Case], case: Case, code: str) -> IllegalTransition:
    """Run a step that must fail with `code`, and check it left the case as it was."""
    before = copy.deepcopy(case)
    with pytest.raises(IllegalTransition) as caught:
        step()
    assert caught.value.code == code
    assert case == before
    return caught.value
