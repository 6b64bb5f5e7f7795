from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time

import pytest

from workflows import (
    TIMEZONE,
    Case,
    Clock,
    DeadlinePolicy,
    Escalation,
    Role,
    Rung,
    Status,
    Step,
    Urgency,
    WorkingCalendar,
    escalation_due,
    ladder,
)
from workflows import case as wf

S, R, E = Status, Role, Escalation
CAL = WorkingCalendar()
POLICY = DeadlinePolicy()
CLOCK = Clock(CAL, POLICY, Urgency.ORDINARY)
RUNGS = [Rung.REMIND_BEFORE, Rung.REMIND_DUE, Rung.ESCALATE_HEAD, Rung.ESCALATE_LEADER]
RECIPIENTS = [R.DEPARTMENT_OFFICER, R.DEPARTMENT_OFFICER, R.DEPARTMENT_HEAD, R.LEADER]


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=TIMEZONE)


def eod(year: int, month: int, day: int) -> datetime:
    return datetime.combine(date(year, month, day), time(23, 59, 59), tzinfo=TIMEZONE)


def morning(year: int, month: int, day: int) -> datetime:
    return local(year, month, day, 7)


def held_until(due: datetime, status: Status = S.IN_PROGRESS) -> Case:
    """A case a department holds, whose resolve deadline is `due`."""
    return Case(
        status=status,
        department="SO-XD",
        submitted_at=local(2025, 1, 2, 9),
        classify_due=eod(2025, 1, 6),
        accepted_at=local(2025, 1, 3, 9),
        resolve_due=due,
    )


def expected(before: datetime, due_day: datetime, head: datetime, leader: datetime) -> list[Step]:
    return [
        Step(Rung.REMIND_BEFORE, before, R.DEPARTMENT_OFFICER),
        Step(Rung.REMIND_DUE, due_day, R.DEPARTMENT_OFFICER),
        Step(Rung.ESCALATE_HEAD, head, R.DEPARTMENT_HEAD),
        Step(Rung.ESCALATE_LEADER, leader, R.LEADER),
    ]


def test_default_ladder_policy() -> None:
    assert (POLICY.remind_before_days, POLICY.escalate_leader_after_days) == (2, 3)


def test_ladder_of_an_accepted_case() -> None:
    # Accepted Tuesday 10 March 2026: due Tuesday 24 March.
    opened = wf.open_case("SO-XD", local(2026, 3, 9, 10), CLOCK)
    case = wf.accept(opened, R.INTAKE_OFFICER, local(2026, 3, 10, 9), CLOCK)
    steps = ladder(case, CLOCK)
    assert [s.rung for s in steps] == RUNGS
    assert [s.recipient for s in steps] == RECIPIENTS
    assert steps == expected(
        # Two working days before Tuesday: Monday 23, then Friday 20 across the weekend.
        morning(2026, 3, 20),
        morning(2026, 3, 24),
        local(2026, 3, 25),
        # Three working days after the due day end Friday 27 March.
        local(2026, 3, 28),
    )
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    assert all(s.at.tzinfo == TIMEZONE for s in steps)


@pytest.mark.parametrize(
    ("due", "steps"),
    [
        # Due on the first day after Tết 2026 (Monday 23 February): the reminder goes out on
        # Thursday 12 February, the leader hears once Thursday 26 February is over.
        (
            eod(2026, 2, 23),
            expected(morning(2026, 2, 12), morning(2026, 2, 23), local(2026, 2, 24), local(2026, 2, 27)),
        ),
        # Due on the last day before Tết 2026: the leader step waits for the holiday to pass.
        (
            eod(2026, 2, 13),
            expected(morning(2026, 2, 11), morning(2026, 2, 13), local(2026, 2, 14), local(2026, 2, 26)),
        ),
        # Due Tuesday 4 February 2025, the second day after Tết At Tỵ: reminded Friday 24 January.
        (
            eod(2025, 2, 4),
            expected(morning(2025, 1, 24), morning(2025, 2, 4), local(2025, 2, 5), local(2025, 2, 8)),
        ),
        # Due Wednesday 3 February 2027, the eve of the Tết Đinh Mùi days off.
        (
            eod(2027, 2, 3),
            expected(morning(2027, 2, 1), morning(2027, 2, 3), local(2027, 2, 4), local(2027, 2, 16)),
        ),
        # Due Monday 24 August 2026: Saturday 22 August is a make-up working day.
        (
            eod(2026, 8, 24),
            expected(morning(2026, 8, 21), morning(2026, 8, 24), local(2026, 8, 25), local(2026, 8, 28)),
        ),
        # Due Thursday 3 September 2026, after 31 August - 2 September off.
        (
            eod(2026, 9, 3),
            expected(morning(2026, 8, 27), morning(2026, 9, 3), local(2026, 9, 4), local(2026, 9, 9)),
        ),
    ],
)
def test_ladder_across_holidays(due: datetime, steps: list[Step]) -> None:
    assert ladder(held_until(due), CLOCK) == steps


def test_escalate_head_is_one_second_after_the_due() -> None:
    due = local(2026, 3, 24, 15, 30)  # a deadline that is not the end of a day
    steps = ladder(held_until(due), CLOCK)
    assert steps[2].at == local(2026, 3, 24, 15, 30, 1)
    assert steps[1].at == morning(2026, 3, 24)
    assert steps[3].at == local(2026, 3, 28)


def test_ladder_reads_the_due_in_local_time() -> None:
    # The same deadline as stored after a replay or read from UTC.
    in_utc = eod(2026, 3, 24).astimezone(UTC)
    assert ladder(held_until(in_utc), CLOCK) == ladder(held_until(eod(2026, 3, 24)), CLOCK)


def test_ladder_follows_the_policy() -> None:
    clock = Clock(CAL, DeadlinePolicy(remind_before_days=1, escalate_leader_after_days=5), Urgency.ORDINARY)
    assert ladder(held_until(eod(2026, 3, 24)), clock) == expected(
        morning(2026, 3, 23), morning(2026, 3, 24), local(2026, 3, 25), local(2026, 4, 1)
    )


def test_ladder_follows_the_calendar() -> None:
    # Monday 23 and Thursday 26 March off, Saturday 28 March worked.
    calendar = WorkingCalendar(
        extra_days_off=[date(2026, 3, 23), date(2026, 3, 26)], extra_working_days=[date(2026, 3, 28)]
    )
    clock = Clock(calendar, POLICY, Urgency.ORDINARY)
    assert ladder(held_until(eod(2026, 3, 24)), clock) == expected(
        morning(2026, 3, 19), morning(2026, 3, 24), local(2026, 3, 25), local(2026, 3, 29)
    )


def test_submitted_case_uses_the_classify_due() -> None:
    case = wf.open_case("SO-XD", local(2026, 3, 9, 10), CLOCK)
    assert case.classify_due == eod(2026, 3, 11)
    assert ladder(case, CLOCK) == expected(
        morning(2026, 3, 9), morning(2026, 3, 11), local(2026, 3, 12), local(2026, 3, 17)
    )


@pytest.mark.parametrize("status", [S.ACCEPTED, S.IN_PROGRESS, S.REOPENED])
def test_ladder_for_every_held_status(status: Status) -> None:
    assert len(ladder(held_until(eod(2026, 3, 24), status), CLOCK)) == 4


@pytest.mark.parametrize("status", [S.RESOLVED, S.CLOSED, S.REJECTED])
def test_no_ladder_once_answered(status: Status) -> None:
    assert ladder(held_until(eod(2026, 3, 24), status), CLOCK) == []


def test_no_ladder_while_paused() -> None:
    case = wf.request_info(held_until(eod(2026, 3, 24)), R.DEPARTMENT_OFFICER, local(2026, 3, 20, 9), "?")
    assert case.status == S.WAITING_FOR_SUBMITTER
    assert ladder(case, CLOCK) == []
    assert escalation_due(case, CLOCK, local(2026, 4, 30)) is None
    back = wf.provide_info(case, local(2026, 3, 23, 9), CLOCK)
    # One working day waited (Monday 23): due Wednesday 25 March.
    assert ladder(back, CLOCK)[1].at == morning(2026, 3, 25)


def test_ladder_moves_with_an_extension_not_with_a_transfer() -> None:
    case = held_until(eod(2026, 3, 24))
    moved = wf.transfer(case, R.DEPARTMENT_HEAD, "SO-GTVT", "x")
    assert ladder(moved, CLOCK) == ladder(case, CLOCK)
    longer = wf.extend(case, R.DEPARTMENT_HEAD, 2, "x", CLOCK)
    assert ladder(longer, CLOCK)[1].at == morning(2026, 3, 26)


# --- escalation_due ---------------------------------------------------------------------------

DUE = eod(2026, 3, 24)


@pytest.mark.parametrize(
    ("now", "level"),
    [
        (local(2026, 3, 20, 7), None),
        (DUE, None),
        (local(2026, 3, 25), E.HEAD),
        (local(2026, 3, 27, 23, 59, 59), E.HEAD),
        (local(2026, 3, 28), E.LEADER),
        (local(2026, 6, 1), E.LEADER),
    ],
)
def test_escalation_due(now: datetime, level: Escalation | None) -> None:
    assert escalation_due(held_until(DUE), CLOCK, now) == level


def test_escalation_due_after_the_head_was_told() -> None:
    case = wf.escalate(held_until(DUE), R.SYSTEM, E.HEAD)
    assert escalation_due(case, CLOCK, local(2026, 3, 25)) is None
    assert escalation_due(case, CLOCK, local(2026, 3, 27, 12)) is None
    assert escalation_due(case, CLOCK, local(2026, 3, 28)) == E.LEADER


@pytest.mark.parametrize(
    "now", [local(2026, 3, 20), local(2026, 3, 25), local(2026, 3, 28), local(2026, 6, 1)]
)
def test_no_escalation_beyond_the_leader(now: datetime) -> None:
    case = wf.escalate(held_until(DUE), R.INTAKE_OFFICER, E.LEADER)
    assert escalation_due(case, CLOCK, now) is None


def test_escalation_due_on_the_classify_deadline() -> None:
    case = wf.open_case("SO-XD", local(2026, 3, 9, 10), CLOCK)
    assert escalation_due(case, CLOCK, eod(2026, 3, 11)) is None
    assert escalation_due(case, CLOCK, local(2026, 3, 12)) == E.HEAD
    assert escalation_due(case, CLOCK, local(2026, 3, 17)) == E.LEADER
    # Accepting starts a new deadline: nothing is late any more.
    accepted = wf.accept(wf.escalate(case, R.SYSTEM, E.HEAD), R.INTAKE_OFFICER, local(2026, 3, 12, 9), CLOCK)
    assert escalation_due(accepted, CLOCK, local(2026, 3, 12, 10)) is None


def test_escalation_due_across_tet() -> None:
    case = held_until(eod(2026, 2, 13))
    assert escalation_due(case, CLOCK, local(2026, 2, 14)) == E.HEAD
    # Only Monday 23 and Tuesday 24 February have passed as working days by the 25th.
    assert escalation_due(case, CLOCK, local(2026, 2, 25, 12)) == E.HEAD
    assert escalation_due(case, CLOCK, local(2026, 2, 26)) == E.LEADER


@pytest.mark.parametrize("status", [S.RESOLVED, S.CLOSED, S.REJECTED])
def test_no_escalation_once_answered(status: Status) -> None:
    assert escalation_due(held_until(DUE, status), CLOCK, local(2026, 6, 1)) is None


def test_sweep_applies_what_escalation_due_says() -> None:
    case = held_until(DUE)
    for now in (local(2026, 3, 25), local(2026, 3, 26), local(2026, 3, 28), local(2026, 4, 3)):
        level = escalation_due(case, CLOCK, now)
        if level is not None:
            case = wf.escalate(case, R.SYSTEM, level)
    assert case.escalation == E.LEADER
    assert dataclasses.replace(case, escalation=E.NONE) == held_until(DUE)
