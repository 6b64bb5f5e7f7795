"""Extending a case's deadline, and the progress updates owed while it is open."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from tests.workflows.case_builders import (
    CAL,
    CLOCK,
    POLICY,
    E,
    R,
    S,
    accepted,
    eod,
    in_progress,
    local,
    opened,
    refused,
    resolved,
    waiting,
)
from workflows import Clock, DeadlinePolicy, ReasonRequired, StepRefused, Urgency, next_progress_update
from workflows import case as wf

# --- extend -----------------------------------------------------------------------------------


def test_extend() -> None:
    case = wf.extend(in_progress(), R.DEPARTMENT_HEAD, 5, "Cần khảo sát", CLOCK)
    assert case.extension_days == 5
    assert case.resolve_due == eod(2026, 3, 31)
    assert case.status == S.IN_PROGRESS


def test_extend_only_once() -> None:
    once = wf.extend(in_progress(), R.DEPARTMENT_HEAD, 1, "x", CLOCK)
    for days in (1, 3):
        error = refused(lambda days=days: wf.extend(once, R.LEADER, days, "x", CLOCK), once, "already_extended")
        assert isinstance(error, StepRefused)


@pytest.mark.parametrize("days", [0, -1, POLICY.max_extension_days + 1, 30])
def test_extension_out_of_range(days: int) -> None:
    case = in_progress()
    refused(lambda: wf.extend(case, R.DEPARTMENT_HEAD, days, "x", CLOCK), case, "extension_out_of_range")


def test_extension_range_follows_the_policy() -> None:
    assert POLICY.max_extension_days == 10
    case = wf.extend(in_progress(), R.LEADER, 10, "x", CLOCK)
    assert case.resolve_due == eod(2026, 4, 7)
    clock = Clock(CAL, DeadlinePolicy(max_extension_days=3), Urgency.ORDINARY)
    base = in_progress()
    refused(lambda: wf.extend(base, R.LEADER, 4, "x", clock), base, "extension_out_of_range")
    assert wf.extend(base, R.LEADER, 3, "x", clock).resolve_due == eod(2026, 3, 27)


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_extend_needs_a_reason(reason: str | None) -> None:
    case = in_progress()
    with pytest.raises(ReasonRequired):
        wf.extend(case, R.DEPARTMENT_HEAD, 2, reason, CLOCK)  # type: ignore[arg-type]
    assert case == in_progress()


def test_extend_refusals_by_role_and_status() -> None:
    case = in_progress()
    refused(lambda: wf.extend(case, R.DEPARTMENT_OFFICER, 2, "x", CLOCK), case, "role_not_allowed")
    sub = opened()
    refused(lambda: wf.extend(sub, R.LEADER, 2, "x", CLOCK), sub, "invalid_source")
    res = resolved()
    refused(lambda: wf.extend(res, R.LEADER, 2, "x", CLOCK), res, "invalid_source")


def test_extend_while_waiting_for_the_submitter() -> None:
    case = wf.extend(waiting(local(2026, 3, 12, 10)), R.DEPARTMENT_HEAD, 2, "x", CLOCK)
    assert case.status == S.WAITING_FOR_SUBMITTER
    assert case.resolve_due == eod(2026, 3, 26)
    assert case.paused_at == local(2026, 3, 12, 10)
    # The wait (Friday 13, Monday 16) is added on top of the extension.
    assert wf.provide_info(case, local(2026, 3, 16, 9), CLOCK).resolve_due == eod(2026, 3, 30)


def test_extend_across_tet_resets_the_escalation() -> None:
    clock = Clock(CAL, POLICY, Urgency.SIMPLE)
    # Accepted Tuesday 10 February 2026: three working days end Friday 13 February.
    case = wf.accept(opened(at=local(2026, 2, 9, 9), clock=clock), R.INTAKE_OFFICER, local(2026, 2, 10, 9), clock)
    assert case.resolve_due == eod(2026, 2, 13)
    late = wf.escalate(case, R.SYSTEM, E.HEAD)
    longer = wf.extend(late, R.DEPARTMENT_HEAD, 2, "x", clock)
    assert longer.resolve_due == eod(2026, 2, 24)
    assert longer.escalation == E.NONE


def test_an_extension_still_in_the_past_keeps_the_escalation() -> None:
    late = wf.escalate(in_progress(), R.SYSTEM, E.LEADER)
    long_after = late.resolve_due + timedelta(days=30)
    assert wf.extend(late, R.DEPARTMENT_HEAD, 1, "x", CLOCK, long_after).escalation == E.LEADER
    assert wf.extend(late, R.DEPARTMENT_HEAD, 1, "x", CLOCK, late.resolve_due).escalation == E.NONE


# --- progress updates -------------------------------------------------------------------------


def test_progress_update() -> None:
    now = local(2026, 3, 16, 14)
    case = wf.progress_update(in_progress(), R.DEPARTMENT_OFFICER, now, "Đang xử lý")
    assert case.progress_at == now
    assert case.status == S.IN_PROGRESS
    base = in_progress()
    refused(lambda: wf.progress_update(base, R.DEPARTMENT_OFFICER, now, ""), base, "reason_required")
    refused(lambda: wf.progress_update(base, R.LEADER, now, "x"), base, "role_not_allowed")
    sub = opened()
    refused(lambda: wf.progress_update(sub, R.DEPARTMENT_OFFICER, now, "x"), sub, "invalid_source")


def test_next_progress_update() -> None:
    # Seven working days after Tuesday 10 March: Thursday 19 March.
    assert next_progress_update(accepted(), CLOCK) == eod(2026, 3, 19)
    assert next_progress_update(in_progress(), CLOCK) == eod(2026, 3, 19)
    updated = wf.progress_update(in_progress(), R.DEPARTMENT_OFFICER, local(2026, 3, 16, 14), "x")
    assert next_progress_update(updated, CLOCK) == eod(2026, 3, 25)
    # An update stamped before the acceptance counts from the acceptance.
    odd = dataclasses.replace(accepted(), progress_at=local(2026, 3, 1, 9))
    assert next_progress_update(odd, CLOCK) == eod(2026, 3, 19)


def test_next_progress_update_across_tet() -> None:
    case = wf.accept(opened(at=local(2026, 2, 9, 9)), R.INTAKE_OFFICER, local(2026, 2, 11, 9), CLOCK)
    # Thursday 12, Friday 13, then 23-27 February.
    assert next_progress_update(case, CLOCK) == eod(2026, 2, 27)


def test_no_progress_update_owed() -> None:
    assert next_progress_update(opened(), CLOCK) is None
    assert next_progress_update(resolved(), CLOCK) is None
    assert next_progress_update(wf.close(resolved(), R.SYSTEM, local(2026, 3, 27)), CLOCK) is None
    paused = waiting()
    assert next_progress_update(paused, CLOCK) is None
    noted = wf.progress_update(paused, R.DEPARTMENT_OFFICER, local(2026, 3, 13, 9), "Chờ công dân")
    assert noted.progress_at == local(2026, 3, 13, 9)
    assert next_progress_update(noted, CLOCK) is None
    # Once answered, the clock counts from that update again (13 March + 7 = 24 March).
    back = wf.provide_info(noted, local(2026, 3, 13, 10), CLOCK)
    assert next_progress_update(back, CLOCK) == eod(2026, 3, 24)


def test_progress_update_every_follows_the_policy() -> None:
    clock = Clock(CAL, DeadlinePolicy(progress_update_every_days=1), Urgency.ORDINARY)
    assert next_progress_update(accepted(), clock) == eod(2026, 3, 11)


def test_progress_updates_are_owed_from_the_last_contact() -> None:
    answered = wf.provide_info(waiting(local(2026, 3, 12, 10)), local(2026, 3, 30, 9), CLOCK)
    assert wf.next_progress_update(answered, CLOCK) == CAL.add_working_days(local(2026, 3, 30, 9), 7)
