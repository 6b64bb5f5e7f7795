from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows import (
    CASE_FIELDS,
    MAX_REOPENINGS,
    MAX_TRANSFERS,
    OPEN,
    TERMINAL,
    TIMEZONE,
    TRANSITIONS,
    Action,
    AnswerState,
    Case,
    Clock,
    DeadlinePolicy,
    Escalation,
    EventFact,
    IllegalTransition,
    ReasonRequired,
    RecordedEvent,
    ReplayError,
    Role,
    Status,
    StepRefused,
    Urgency,
    WorkingCalendar,
    changes,
    ladder,
    next_progress_update,
    replay_case,
)
from workflows import case as wf

# database=None: hypothesis would otherwise write .hypothesis/ into the project root.
WALKS = settings(max_examples=300, deadline=None, database=None)

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


# --- open_case ------------------------------------------------------------------------------


def test_open_case() -> None:
    case = opened()
    assert case == Case(
        status=S.SUBMITTED,
        department="SO-XD",
        submitted_at=SUBMITTED_AT,
        classify_due=eod(2026, 3, 11),
    )
    assert case.due == eod(2026, 3, 11)
    assert (case.accepted_at, case.resolve_due, case.paused_at) == (None, None, None)
    assert (case.transfers, case.extension_days, case.reopenings) == (0, 0, 0)
    assert case.escalation == E.NONE


@pytest.mark.parametrize(
    ("submitted", "classify_due"),
    [
        # Friday before Tết 2026: Monday 23 and Tuesday 24 February are the two working days.
        (local(2026, 2, 13, 15), eod(2026, 2, 24)),
        # Saturday: counted from Monday.
        (local(2026, 3, 7, 10), eod(2026, 3, 10)),
        # Friday 24 January 2025: Tết At Tỵ off until Sunday 2 February.
        (local(2025, 1, 24, 8), eod(2025, 2, 4)),
        # Late evening in UTC is already the next local day (Thursday 11 March 02:00 local).
        (datetime(2026, 3, 10, 19, 30, tzinfo=UTC), eod(2026, 3, 13)),
    ],
)
def test_open_case_classify_due_is_end_of_second_working_day(
    submitted: datetime, classify_due: datetime
) -> None:
    case = opened(at=submitted)
    assert case.classify_due == classify_due
    assert case.due == classify_due


def test_classify_due_follows_the_policy() -> None:
    clock = Clock(CAL, DeadlinePolicy(classify_days=5), Urgency.ORDINARY)
    assert opened(clock=clock).classify_due == eod(2026, 3, 16)


# --- accept ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("urgency", "due"),
    [
        (Urgency.URGENT, eod(2026, 3, 11)),
        (Urgency.SIMPLE, eod(2026, 3, 13)),
        (Urgency.ORDINARY, eod(2026, 3, 24)),
        (Urgency.COMPLEX, eod(2026, 4, 7)),
    ],
)
def test_accept_sets_resolve_due_by_urgency(urgency: Urgency, due: datetime) -> None:
    clock = Clock(CAL, POLICY, urgency)
    case = wf.accept(opened(clock=clock), R.INTAKE_OFFICER, ACCEPTED_AT, clock)
    assert case.status == S.ACCEPTED
    assert case.accepted_at == ACCEPTED_AT
    assert case.resolve_due == due
    assert case.due == due
    assert case.classify_due == eod(2026, 3, 11)
    assert case.department == "SO-XD"


def test_accept_across_tet() -> None:
    # Monday 2 February 2026: nine working days before Tết, the tenth is Monday 23 February.
    case = wf.accept(opened(at=local(2026, 1, 30, 9)), R.DEPARTMENT_HEAD, local(2026, 2, 2, 9), CLOCK)
    assert case.resolve_due == eod(2026, 2, 23)


def test_accept_may_change_the_department() -> None:
    case = wf.accept(opened(), R.INTAKE_OFFICER, ACCEPTED_AT, CLOCK, department="SO-GTVT")
    assert case.department == "SO-GTVT"
    assert case.transfers == 0
    assert wf.accept(opened(), R.LEADER, ACCEPTED_AT, CLOCK, department=None).department == "SO-XD"


def test_accept_clears_the_classify_escalation() -> None:
    late = wf.escalate(opened(), R.SYSTEM, E.HEAD)
    assert late.escalation == E.HEAD
    assert wf.accept(late, R.INTAKE_OFFICER, ACCEPTED_AT, CLOCK).escalation == E.NONE


def test_accept_refusals() -> None:
    case = opened()
    refused(lambda: wf.accept(case, R.DEPARTMENT_OFFICER, ACCEPTED_AT, CLOCK), case, "role_not_allowed")
    done = accepted()
    refused(lambda: wf.accept(done, R.INTAKE_OFFICER, ACCEPTED_AT, CLOCK), done, "invalid_source")


# --- reject, start, request_info --------------------------------------------------------------


def test_reject() -> None:
    now = local(2026, 3, 9, 14)
    case = wf.reject(opened(), R.INTAKE_OFFICER, now, "Trùng lặp")
    assert case.status == S.REJECTED
    assert case.closed_at == now
    assert case.resolve_due is None


@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_needs_a_reason(reason: str) -> None:
    case = opened()
    error = refused(lambda: wf.reject(case, R.INTAKE_OFFICER, local(2026, 3, 9, 14), reason), case, "reason_required")
    assert isinstance(error, ReasonRequired)


def test_reject_only_while_submitted() -> None:
    case = accepted()
    refused(lambda: wf.reject(case, R.INTAKE_OFFICER, local(2026, 3, 11), "x"), case, "invalid_source")


def test_start() -> None:
    case = wf.start(accepted(), R.DEPARTMENT_OFFICER)
    assert case == dataclasses.replace(accepted(), status=S.IN_PROGRESS)
    sub = opened()
    refused(lambda: wf.start(sub, R.DEPARTMENT_OFFICER), sub, "invalid_source")
    acc = accepted()
    refused(lambda: wf.start(acc, R.INTAKE_OFFICER), acc, "role_not_allowed")


def test_request_info_pauses() -> None:
    now = local(2026, 3, 12, 10)
    case = wf.request_info(in_progress(), R.DEPARTMENT_HEAD, now, "Địa chỉ cụ thể?")
    assert case.status == S.WAITING_FOR_SUBMITTER
    assert case.paused_at == now
    assert case.resolve_due == eod(2026, 3, 24)
    base = in_progress()
    refused(lambda: wf.request_info(base, R.DEPARTMENT_OFFICER, now, " "), base, "reason_required")
    acc = accepted()
    refused(lambda: wf.request_info(acc, R.DEPARTMENT_OFFICER, now, "?"), acc, "invalid_source")


# --- provide_info -----------------------------------------------------------------------------


def test_provide_info_pushes_the_deadline_by_the_working_days_waited() -> None:
    # Paused Thursday 12 March, answered Monday 16 March: Friday and Monday were waited.
    case = wf.provide_info(waiting(local(2026, 3, 12, 10)), local(2026, 3, 16, 15), CLOCK)
    assert case.status == S.IN_PROGRESS
    assert case.paused_at is None
    assert case.resolve_due == eod(2026, 3, 26)


def test_provide_info_does_not_count_tet() -> None:
    start = wf.start(
        wf.accept(opened(at=local(2026, 1, 30, 9)), R.INTAKE_OFFICER, local(2026, 2, 2, 9), CLOCK),
        R.DEPARTMENT_OFFICER,
    )
    assert start.resolve_due == eod(2026, 2, 23)
    paused = wf.request_info(start, R.DEPARTMENT_OFFICER, local(2026, 2, 12, 10), "?")
    # Waited Friday 13, Monday 23 and Tuesday 24 February; the Tết week does not count.
    case = wf.provide_info(paused, local(2026, 2, 24, 9), CLOCK)
    assert case.resolve_due == eod(2026, 2, 26)


@pytest.mark.parametrize(
    ("paused", "answered"),
    [
        (local(2026, 3, 12, 8), local(2026, 3, 12, 17)),  # the same day
        (local(2026, 3, 13, 18), local(2026, 3, 15, 20)),  # Friday evening to Sunday
    ],
)
def test_a_wait_without_working_days_costs_nothing(paused: datetime, answered: datetime) -> None:
    case = wf.provide_info(waiting(paused), answered, CLOCK)
    assert case.resolve_due == eod(2026, 3, 24)
    assert case.paused_at is None


def test_provide_info_resets_the_escalation_when_the_new_due_is_ahead() -> None:
    late = wf.escalate(in_progress(), R.SYSTEM, E.HEAD)
    # Paused on the due day's evening, answered Thursday: the due moves to Thursday 26 March.
    paused = wf.request_info(late, R.DEPARTMENT_OFFICER, local(2026, 3, 24, 20), "?")
    case = wf.provide_info(paused, local(2026, 3, 26, 10), CLOCK)
    assert case.resolve_due == eod(2026, 3, 26)
    assert case.escalation == E.NONE


def test_provide_info_keeps_the_escalation_when_still_late() -> None:
    late = wf.escalate(wf.escalate(in_progress(), R.SYSTEM, E.HEAD), R.SYSTEM, E.LEADER)
    paused = wf.request_info(late, R.DEPARTMENT_OFFICER, local(2026, 3, 30, 10), "?")
    same_day = wf.provide_info(paused, local(2026, 3, 30, 15), CLOCK)
    assert same_day.resolve_due == eod(2026, 3, 24)
    assert same_day.escalation == E.LEADER
    next_day = wf.provide_info(paused, local(2026, 3, 31, 15), CLOCK)
    assert next_day.resolve_due == eod(2026, 3, 25)
    assert next_day.escalation == E.LEADER


def test_provide_info_refusals() -> None:
    case = in_progress()
    refused(lambda: wf.provide_info(case, local(2026, 3, 12), CLOCK), case, "invalid_source")


# --- resolve, rate, close ---------------------------------------------------------------------


def test_resolve() -> None:
    now = local(2026, 3, 20, 16)
    case = wf.resolve(in_progress(), R.DEPARTMENT_OFFICER, now)
    assert case.status == S.RESOLVED
    assert case.resolved_at == now
    assert case.resolve_due == eod(2026, 3, 24)
    # Straight from accepted is allowed too.
    assert wf.resolve(accepted(), R.DEPARTMENT_HEAD, now).status == S.RESOLVED
    paused = waiting()
    refused(lambda: wf.resolve(paused, R.DEPARTMENT_OFFICER, now), paused, "invalid_source")
    prog = in_progress()
    refused(lambda: wf.resolve(prog, R.LEADER, now), prog, "role_not_allowed")


def test_rate_keeps_the_case() -> None:
    case = resolved()
    assert wf.rate(case) == case
    prog = in_progress()
    refused(lambda: wf.rate(prog), prog, "invalid_source")


@pytest.mark.parametrize("role", [R.SUBMITTER, R.SYSTEM, R.DEPARTMENT_HEAD, R.LEADER, R.ADMINISTRATOR])
def test_close(role: Role) -> None:
    now = local(2026, 3, 27, 9)
    case = wf.close(resolved(), role, now)
    assert case.status == S.CLOSED
    assert case.closed_at == now
    assert case.resolved_at == local(2026, 3, 20, 16)


def test_close_refusals() -> None:
    res = resolved()
    refused(lambda: wf.close(res, R.DEPARTMENT_OFFICER, local(2026, 3, 27)), res, "role_not_allowed")
    prog = in_progress()
    refused(lambda: wf.close(prog, R.SYSTEM, local(2026, 3, 27)), prog, "invalid_source")


def test_nothing_moves_a_terminal_case() -> None:
    now = local(2026, 4, 1, 10)
    for case in (wf.close(resolved(), R.SYSTEM, now), wf.reject(opened(), R.LEADER, now, "x")):
        for step in (
            lambda case=case: wf.reopen(case, now, "x", CLOCK),
            lambda case=case: wf.rate(case),
            lambda case=case: wf.close(case, R.SYSTEM, now),
            lambda case=case: wf.escalate(case, R.SYSTEM, E.HEAD),
            lambda case=case: wf.extend(case, R.LEADER, 2, "x", CLOCK),
            lambda case=case: wf.transfer(case, R.LEADER, "KHAC", "x"),
            lambda case=case: wf.accept(case, R.LEADER, now, CLOCK),
        ):
            refused(step, case, "terminal_status")


# --- reopen -----------------------------------------------------------------------------------


def test_reopen_gives_a_full_new_period() -> None:
    now = local(2026, 4, 1, 10)
    case = wf.reopen(resolved(), now, "Chưa sửa xong", CLOCK)
    assert case.status == S.REOPENED
    assert case.resolved_at is None
    assert case.reopenings == 1
    assert case.resolve_due == eod(2026, 4, 15)
    assert case.accepted_at == ACCEPTED_AT
    assert case.escalation == E.NONE


def test_reopen_across_tet_2027() -> None:
    clock = Clock(CAL, POLICY, Urgency.URGENT)
    res = wf.resolve(accepted(clock=clock), R.DEPARTMENT_OFFICER, local(2026, 3, 11, 9))
    # Wednesday 3 February 2027, the eve of Tết Đinh Mùi: one working day is Thursday 11 February.
    assert wf.reopen(res, local(2027, 2, 3, 10), "x", clock).resolve_due == eod(2027, 2, 11)


def test_reopen_clears_the_escalation() -> None:
    late = wf.escalate(in_progress(), R.SYSTEM, E.HEAD)
    res = wf.resolve(late, R.DEPARTMENT_OFFICER, local(2026, 3, 25, 10))
    assert res.escalation == E.HEAD
    assert wf.reopen(res, local(2026, 3, 26, 10), "x", CLOCK).escalation == E.NONE


def test_reopen_limit() -> None:
    assert MAX_REOPENINGS == 1
    once = wf.reopen(resolved(), local(2026, 4, 1, 10), "x", CLOCK)
    again = wf.resolve(once, R.DEPARTMENT_OFFICER, local(2026, 4, 8, 10))
    error = refused(lambda: wf.reopen(again, local(2026, 4, 9, 10), "x", CLOCK), again, "reopen_limit")
    assert isinstance(error, StepRefused)
    assert (error.status, error.action, error.role) == (S.RESOLVED, A.REOPEN, R.SUBMITTER)
    # The submitter may still close it.
    assert wf.close(again, R.SUBMITTER, local(2026, 4, 9, 10)).status == S.CLOSED


def test_reopen_needs_a_reason_and_a_resolved_case() -> None:
    res = resolved()
    refused(lambda: wf.reopen(res, local(2026, 4, 1), "", CLOCK), res, "reason_required")
    prog = in_progress()
    refused(lambda: wf.reopen(prog, local(2026, 4, 1), "x", CLOCK), prog, "invalid_source")


# --- transfer ---------------------------------------------------------------------------------


def test_transfer_keeps_the_deadline() -> None:
    case = wf.transfer(in_progress(), R.DEPARTMENT_HEAD, "SO-GTVT", "Sai thẩm quyền")
    assert case.status == S.ACCEPTED
    assert case.department == "SO-GTVT"
    assert case.transfers == 1
    assert case.resolve_due == eod(2026, 3, 24)
    assert case.accepted_at == ACCEPTED_AT


def test_transfer_to_the_same_department_is_refused() -> None:
    case = in_progress()
    error = refused(lambda: wf.transfer(case, R.DEPARTMENT_HEAD, "SO-XD", "x"), case, "same_department")
    assert isinstance(error, StepRefused)


def test_transfer_needs_a_reason() -> None:
    case = in_progress()
    refused(lambda: wf.transfer(case, R.DEPARTMENT_HEAD, "SO-GTVT", ""), case, "reason_required")
    refused(lambda: wf.transfer(case, R.DEPARTMENT_OFFICER, "SO-GTVT", "x"), case, "role_not_allowed")


def twice_transferred() -> Case:
    once = wf.transfer(in_progress(), R.DEPARTMENT_HEAD, "SO-GTVT", "x")
    return wf.transfer(once, R.INTAKE_OFFICER, "SO-TNMT", "x")


@pytest.mark.parametrize("role", [R.DEPARTMENT_HEAD, R.INTAKE_OFFICER])
def test_third_transfer_refused_for_heads_and_intake(role: Role) -> None:
    assert MAX_TRANSFERS == 2
    case = twice_transferred()
    assert case.transfers == 2
    error = refused(lambda: wf.transfer(case, role, "SO-XD", "x"), case, "transfer_limit")
    assert isinstance(error, StepRefused)


@pytest.mark.parametrize("role", [R.LEADER, R.ADMINISTRATOR])
def test_leader_and_administrator_may_transfer_again(role: Role) -> None:
    case = wf.transfer(twice_transferred(), role, "SO-XD", "x")
    assert (case.department, case.transfers) == ("SO-XD", 3)
    assert case.resolve_due == eod(2026, 3, 24)
    assert wf.transfer(case, role, "SO-GTVT", "x").transfers == 4


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


# --- record, escalate -------------------------------------------------------------------------


@pytest.mark.parametrize("action", [A.REQUEST_CONTRIBUTION, A.CONTRIBUTE])
def test_record(action: Action) -> None:
    case = in_progress()
    assert wf.record(case, action, R.DEPARTMENT_OFFICER, "Đề nghị phối hợp") == case
    paused = waiting()
    assert wf.record(paused, action, R.DEPARTMENT_HEAD, "x") == paused
    refused(lambda: wf.record(case, action, R.DEPARTMENT_OFFICER, ""), case, "reason_required")
    refused(lambda: wf.record(case, action, R.LEADER, "x"), case, "role_not_allowed")
    sub = opened()
    refused(lambda: wf.record(sub, action, R.DEPARTMENT_OFFICER, "x"), sub, "invalid_source")


@pytest.mark.parametrize("action", [a for a in Action if a not in (A.REQUEST_CONTRIBUTION, A.CONTRIBUTE, A.NOTE)])
def test_record_refuses_other_actions(action: Action) -> None:
    case = in_progress()
    error = refused(lambda: wf.record(case, action, R.DEPARTMENT_OFFICER, "x"), case, "not_a_record")
    assert isinstance(error, StepRefused)


def test_escalate_rises() -> None:
    case = in_progress()
    head = wf.escalate(case, R.SYSTEM, E.HEAD)
    assert head == dataclasses.replace(case, escalation=E.HEAD)
    leader = wf.escalate(head, R.DEPARTMENT_HEAD, E.LEADER)
    assert leader.escalation == E.LEADER
    assert wf.escalate(case, R.INTAKE_OFFICER, E.LEADER).escalation == E.LEADER
    assert wf.escalate(opened(), R.SYSTEM, E.HEAD).status == S.SUBMITTED
    assert wf.escalate(waiting(), R.SYSTEM, E.HEAD).status == S.WAITING_FOR_SUBMITTER


def test_escalate_never_stays_or_falls() -> None:
    case = in_progress()
    refused(lambda: wf.escalate(case, R.SYSTEM, E.NONE), case, "already_escalated")
    head = wf.escalate(case, R.SYSTEM, E.HEAD)
    refused(lambda: wf.escalate(head, R.SYSTEM, E.HEAD), head, "already_escalated")
    leader = wf.escalate(head, R.SYSTEM, E.LEADER)
    for level in E:
        error = refused(lambda level=level: wf.escalate(leader, R.SYSTEM, level), leader, "already_escalated")
        assert isinstance(error, StepRefused)


def test_escalate_refusals() -> None:
    case = in_progress()
    refused(lambda: wf.escalate(case, R.LEADER, E.HEAD), case, "role_not_allowed")
    refused(lambda: wf.escalate(case, R.DEPARTMENT_OFFICER, E.HEAD), case, "role_not_allowed")
    res = resolved()
    refused(lambda: wf.escalate(res, R.SYSTEM, E.HEAD), res, "invalid_source")


# --- refusals leave the case alone ------------------------------------------------------------


def test_step_refused_is_an_illegal_transition() -> None:
    assert issubclass(StepRefused, IllegalTransition)
    assert issubclass(ReasonRequired, IllegalTransition)
    error = StepRefused("transfer_limit", S.ACCEPTED, A.TRANSFER, R.DEPARTMENT_HEAD)
    assert error.code == "transfer_limit"
    assert "transfer_limit" in str(error)


def test_case_is_frozen() -> None:
    case = opened()
    with pytest.raises(dataclasses.FrozenInstanceError):
        case.status = S.CLOSED  # type: ignore[misc]
    assert case.status == S.SUBMITTED


def test_steps_return_new_cases() -> None:
    case = in_progress()
    snapshot = copy.deepcopy(case)
    wf.extend(case, R.DEPARTMENT_HEAD, 3, "x", CLOCK)
    wf.transfer(case, R.DEPARTMENT_HEAD, "KHAC", "x")
    wf.request_info(case, R.DEPARTMENT_OFFICER, local(2026, 3, 12), "x")
    assert case == snapshot


# --- changes and replay -----------------------------------------------------------------------


class History:
    """Applies steps and records each one as the services store it."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.events = [RecordedEvent(EventFact(A.SUBMIT, None, S.SUBMITTED), changes(None, case))]
        self.states = [case]

    def apply(self, action: Action, step: Callable[[Case], Case]) -> History:
        after = step(self.case)
        self.events.append(RecordedEvent(EventFact(action, self.case.status, after.status), changes(self.case, after)))
        self.case = after
        self.states.append(after)
        return self


def full_life() -> History:
    h = History(opened())
    h.apply(A.ESCALATE, lambda c: wf.escalate(c, R.SYSTEM, E.HEAD))
    h.apply(A.ACCEPT, lambda c: wf.accept(c, R.INTAKE_OFFICER, ACCEPTED_AT, CLOCK, "SO-GTVT"))
    h.apply(A.START, lambda c: wf.start(c, R.DEPARTMENT_OFFICER))
    h.apply(A.REQUEST_INFO, lambda c: wf.request_info(c, R.DEPARTMENT_OFFICER, local(2026, 3, 12, 10), "?"))
    h.apply(A.EXTEND, lambda c: wf.extend(c, R.DEPARTMENT_HEAD, 3, "x", CLOCK))
    h.apply(A.PROGRESS_UPDATE, lambda c: wf.progress_update(c, R.DEPARTMENT_OFFICER, local(2026, 3, 13, 9), "x"))
    h.apply(A.PROVIDE_INFO, lambda c: wf.provide_info(c, local(2026, 3, 17, 9), CLOCK))
    h.apply(A.TRANSFER, lambda c: wf.transfer(c, R.DEPARTMENT_HEAD, "SO-XD", "x"))
    h.apply(A.REQUEST_CONTRIBUTION, lambda c: wf.record(c, A.REQUEST_CONTRIBUTION, R.DEPARTMENT_OFFICER, "x"))
    h.apply(A.CONTRIBUTE, lambda c: wf.record(c, A.CONTRIBUTE, R.DEPARTMENT_HEAD, "x"))
    h.apply(A.RESOLVE, lambda c: wf.resolve(c, R.DEPARTMENT_OFFICER, local(2026, 3, 20, 16)))
    h.apply(A.REOPEN, lambda c: wf.reopen(c, local(2026, 3, 23, 8), "x", CLOCK))
    h.apply(A.ESCALATE, lambda c: wf.escalate(c, R.INTAKE_OFFICER, E.LEADER))
    h.apply(A.START, lambda c: wf.start(c, R.DEPARTMENT_OFFICER))
    h.apply(A.RESOLVE, lambda c: wf.resolve(c, R.DEPARTMENT_HEAD, local(2026, 3, 30, 16)))
    h.apply(A.RATE, wf.rate)
    h.apply(A.CLOSE, lambda c: wf.close(c, R.SUBMITTER, local(2026, 3, 31, 9)))
    return h


def test_full_life_values() -> None:
    case = full_life().case
    assert case == Case(
        status=S.CLOSED,
        department="SO-XD",
        submitted_at=SUBMITTED_AT,
        classify_due=eod(2026, 3, 11),
        accepted_at=ACCEPTED_AT,
        # Reopened Monday 23 March: ten working days.
        resolve_due=eod(2026, 4, 6),
        resolved_at=local(2026, 3, 30, 16),
        closed_at=local(2026, 3, 31, 9),
        paused_at=None,
        transfers=1,
        # The reopening started a new round: its own extension, updates owed from then.
        extension_days=0,
        reopenings=1,
        progress_at=local(2026, 3, 23, 8),
        escalation=E.LEADER,
    )


def test_replay_rebuilds_the_case() -> None:
    h = full_life()
    assert replay_case(h.events) == h.case
    assert replay_case(iter(h.events)) == h.case
    # Every prefix replays to the case as it was after that event.
    assert len(h.states) == len(h.events)
    for n, state in enumerate(h.states, start=1):
        assert replay_case(h.events[:n]) == state


def test_replay_survives_json() -> None:
    h = full_life()
    stored = [RecordedEvent(e.fact, json.loads(json.dumps(e.changes))) for e in h.events]
    assert replay_case(stored) == h.case


def test_changes() -> None:
    case = opened()
    first = changes(None, case)
    assert set(first) == set(CASE_FIELDS)
    assert first["submitted_at"] == "2026-03-09T10:00:00+07:00"
    assert first["classify_due"] == "2026-03-11T23:59:59+07:00"
    assert first["status"] == "submitted"
    assert first["escalation"] == ""
    assert first["accepted_at"] is None
    assert first["transfers"] == 0
    json.dumps(first)
    assert changes(case, case) == {}
    after = wf.accept(case, R.INTAKE_OFFICER, ACCEPTED_AT, CLOCK)
    assert changes(case, after) == {
        "status": "accepted",
        "accepted_at": "2026-03-10T09:00:00+07:00",
        "resolve_due": "2026-03-24T23:59:59+07:00",
    }
    paused = waiting()
    assert changes(paused, wf.provide_info(paused, local(2026, 3, 12, 11), CLOCK)) == {
        "status": "in_progress",
        "paused_at": None,
        "progress_at": "2026-03-12T11:00:00+07:00",
    }


def tamper(events: list[RecordedEvent], index: int, **kwargs: object) -> list[RecordedEvent]:
    event = events[index]
    fact = dataclasses.replace(event.fact, **{k: v for k, v in kwargs.items() if k != "changes"})
    new = RecordedEvent(fact, kwargs.get("changes", event.changes))  # type: ignore[arg-type]
    return [*events[:index], new, *events[index + 1 :]]


def test_tampered_histories_are_refused() -> None:
    events = full_life().events
    with pytest.raises(ReplayError):
        replay_case([])
    with pytest.raises(ReplayError):
        replay_case(events[1:])
    with pytest.raises(ReplayError):
        replay_case(tamper(events, 3, from_status=S.SUBMITTED))
    with pytest.raises(ReplayError):
        replay_case(tamper(events, 3, to_status=S.RESOLVED))
    with pytest.raises(ReplayError):
        replay_case([*events, events[-1]])
    with pytest.raises(ReplayError):
        replay_case([events[0], events[2], events[1], *events[3:]])
    # The first event must describe the case; a missing required field is a ValueError.
    incomplete = {k: v for k, v in events[0].changes.items() if k != "classify_due"}
    with pytest.raises(ValueError, match="incomplete_first_event"):
        replay_case(tamper(events, 0, changes=incomplete))
    # Changes that disagree with the statuses of the facts.
    last = dict(events[-1].changes, status="resolved")
    with pytest.raises(ValueError, match="changes_disagree_with_statuses"):
        replay_case(tamper(events, len(events) - 1, changes=last))
    assert issubclass(ReplayError, ValueError)


# --- random walks -----------------------------------------------------------------------------

STEP_NAMES = [
    "accept",
    "reject",
    "start",
    "request_info",
    "provide_info",
    "resolve",
    "rate",
    "close",
    "reopen",
    "transfer",
    "extend",
    "progress_update",
    "request_contribution",
    "contribute",
    "escalate",
]
ACTION_OF = {name: Action(name) for name in STEP_NAMES}
DEPARTMENTS = ["SO-XD", "SO-GTVT", "SO-TNMT"]
# The rules spelled out here rather than read from workflows.case, so a change there fails.
TRANSFER_LIMIT = 2
FINAL = (R.LEADER, R.ADMINISTRATOR)
RANK = {E.NONE: 0, E.HEAD: 1, E.LEADER: 2}

WalkStep = tuple[str, Role, int, int, str, str | None, Escalation]


def plausible(status: Status) -> list[str]:
    """The steps the table lets some role take from `status`, the ending ones less often: a walk
    that rejects at once tests little."""
    names = [n for n in STEP_NAMES if status in TRANSITIONS[ACTION_OF[n]].sources]
    return [n for n in names for _ in range(1 if n in ("reject", "close") else 3)]


# Built once: building strategies inside every draw costs more than the steps themselves.
# Mostly a step and a role that fit the current status, and a real reason, so walks go deep;
# the rest of the time anything, to exercise the refusals.
NAME_FOR = {status: st.sampled_from(plausible(status) * 3 + STEP_NAMES) for status in Status}
ROLE_FOR = {
    name: st.sampled_from(sorted(TRANSITIONS[ACTION_OF[name]].roles) * 3 + list(Role))
    for name in STEP_NAMES
}
STEP_REST = st.tuples(
    st.integers(min_value=0, max_value=400),  # hours to advance the clock
    st.integers(min_value=0, max_value=12),  # extension days
    st.sampled_from(DEPARTMENTS),
    st.sampled_from(["lý do", "lý do", "lý do", None, ""]),
    st.sampled_from(list(Escalation)),
)


@st.composite
def walk_step(draw: st.DrawFn, status: Status) -> WalkStep:
    name = draw(NAME_FOR[status])
    return (name, draw(ROLE_FOR[name]), *draw(STEP_REST))


walk_starts = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 3, 1), timezones=st.just(TIMEZONE)
)


def run_step(
    name: str, case: Case, role: Role, now: datetime, days: int, department: str,
    reason: str | None, level: Escalation, clock: Clock,
) -> Case:
    text: str = reason  # type: ignore[assignment]
    match name:
        case "accept":
            return wf.accept(case, role, now, clock, department)
        case "reject":
            return wf.reject(case, role, now, text)
        case "start":
            return wf.start(case, role)
        case "request_info":
            return wf.request_info(case, role, now, text)
        case "provide_info":
            return wf.provide_info(case, now, clock)
        case "resolve":
            return wf.resolve(case, role, now)
        case "rate":
            return wf.rate(case)
        case "close":
            return wf.close(case, role, now)
        case "reopen":
            return wf.reopen(case, now, text, clock)
        case "transfer":
            return wf.transfer(case, role, department, text)
        case "extend":
            return wf.extend(case, role, days, text, clock, now)
        case "progress_update":
            return wf.progress_update(case, role, now, text)
        case "request_contribution" | "contribute":
            return wf.record(case, ACTION_OF[name], role, text)
        case "escalate":
            return wf.escalate(case, role, level)
    raise AssertionError(name)


@WALKS
@given(
    start_at=walk_starts,
    department=st.sampled_from(DEPARTMENTS),
    length=st.integers(min_value=10, max_value=40),
    data=st.data(),
)
def test_random_walks_keep_deadlines_and_history(
    start_at: datetime, department: str, length: int, data: st.DataObject
) -> None:
    clock = Clock(WorkingCalendar(), DeadlinePolicy(), Urgency.ORDINARY)
    calendar, policy = clock.calendar, clock.policy
    now = start_at
    case = wf.open_case(department, now, clock)
    events = [RecordedEvent(EventFact(A.SUBMIT, None, S.SUBMITTED), changes(None, case))]
    # The independent model of the resolve deadline.
    base: datetime | None = None
    period = paused_days = extension = 0
    model_paused_at: datetime | None = None
    extended_by = 0
    final_transfer = False
    transfers = 0
    tries_after_the_end = 0
    for _ in range(length):
        if case.status in TERMINAL:
            # A few tries show nothing moves it; more would only spend time.
            tries_after_the_end += 1
            if tries_after_the_end > 3:
                break
        name, role, hours, days, dept, reason, level = data.draw(walk_step(case.status))
        now = now + timedelta(hours=hours)
        before = dataclasses.replace(case)
        try:
            after = run_step(name, case, role, now, days, dept, reason, level, clock)
        except StepRefused as error:
            assert case == before
            # Each refusal has the reason the rules give for it.
            match error.code:
                case "reopen_limit":
                    assert case.reopenings >= 1
                case "same_department":
                    assert dept == case.department
                case "transfer_limit":
                    assert case.transfers >= TRANSFER_LIMIT and role not in FINAL
                case "already_extended":
                    assert extended_by != 0
                case "extension_out_of_range":
                    assert not 1 <= days <= policy.max_extension_days
                case "already_escalated":
                    assert RANK[level] <= RANK[case.escalation]
                case code:
                    raise AssertionError(f"unexpected refusal {code}") from error
            continue
        except IllegalTransition:
            assert case == before
            continue
        assert before.status not in TERMINAL, f"{name} moved a {before.status} case"
        action = ACTION_OF[name]
        if name in ("accept", "reopen"):
            base, period, paused_days, extension = now, policy.resolve_days[clock.urgency], 0, 0
        waited = 0
        if name == "reopen":
            assert before.reopenings == 0
            # A reopening starts a new round, with its own extension.
            extended_by = 0
        elif name == "request_info":
            model_paused_at = now
        elif name == "provide_info":
            assert model_paused_at is not None
            waited = calendar.working_days_between(model_paused_at, now)
            paused_days += waited
            model_paused_at = None
        elif name == "extend":
            assert extended_by == 0
            assert 1 <= days <= policy.max_extension_days
            extension += days
            extended_by = days
        elif name == "transfer":
            assert dept != before.department
            assert before.transfers < TRANSFER_LIMIT or role in FINAL
            transfers += 1
            final_transfer = final_transfer or role in FINAL
        elif name == "escalate":
            assert RANK[level] > RANK[before.escalation]
        events.append(RecordedEvent(EventFact(action, case.status, after.status), changes(case, after)))
        case = after

        if base is None:
            assert case.resolve_due is None
        else:
            assert case.resolve_due == calendar.add_working_days(base, period + paused_days + extension)
        assert case.paused_at == model_paused_at
        assert case.classify_due > case.submitted_at
        assert case.resolve_due is None or case.resolve_due > case.submitted_at
        assert case.extension_days == extended_by
        assert case.transfers == transfers
        assert case.transfers <= TRANSFER_LIMIT or final_transfer
        assert case.reopenings <= 1
        if name in ("accept", "reopen"):
            assert case.escalation == E.NONE
        if name == "extend" or (name == "provide_info" and waited):
            # A deadline moved into the future starts the ladder again; one still past does not.
            assert case.resolve_due is not None
            assert case.escalation == (before.escalation if case.resolve_due <= now else E.NONE)
        elif name == "provide_info":
            assert case.escalation == before.escalation
        owed = next_progress_update(case, clock)
        if case.accepted_at is None or case.paused_at is not None or case.status not in OPEN:
            assert owed is None
        else:
            assert owed is not None and owed > max(case.accepted_at, case.progress_at or case.accepted_at)
        steps = ladder(case, clock)
        assert [s.at for s in steps] == sorted(s.at for s in steps)
        assert (steps == []) == (case.status not in OPEN or case.paused_at is not None)
        assert replay_case(events) == case


def test_a_leader_is_asked_to_decide_only_when_no_transfer_is_left() -> None:
    once = wf.transfer(in_progress(), R.DEPARTMENT_HEAD, "SO-CT", "x")
    refused(lambda: wf.request_decision(once, R.DEPARTMENT_HEAD, "Hai sở chưa thống nhất"), once, "transfers_left")
    twice = wf.transfer(once, R.DEPARTMENT_HEAD, "SO-XD", "y")
    with pytest.raises(ReasonRequired):
        wf.request_decision(twice, R.DEPARTMENT_HEAD, "  ")
    asked = wf.request_decision(twice, R.DEPARTMENT_HEAD, "Hai sở chưa thống nhất")
    assert asked.decision_requested and asked.escalation == E.NONE
    refused(lambda: wf.request_decision(asked, R.INTAKE_OFFICER, "lại"), asked, "decision_already_requested")
    refused(lambda: wf.request_decision(twice, R.DEPARTMENT_OFFICER, "x"), twice, "role_not_allowed")
    # A head cannot move it; the leader's transfer is the decision and clears the request.
    refused(lambda: wf.transfer(asked, R.DEPARTMENT_HEAD, "SO-CT", "z"), asked, "transfer_limit")
    decided = wf.transfer(asked, R.LEADER, "SO-NNMT", "Giao Sở NN&MT chủ trì")
    assert (decided.department, decided.transfers, decided.decision_requested) == ("SO-NNMT", 3, False)


def test_an_answer_the_same_day_keeps_the_escalation() -> None:
    late = wf.escalate(waiting(local(2026, 3, 12, 10)), R.SYSTEM, E.HEAD)
    answered = wf.provide_info(late, local(2026, 3, 12, 15), CLOCK)
    assert answered.resolve_due == late.resolve_due
    assert answered.escalation == E.HEAD


def test_an_extension_still_in_the_past_keeps_the_escalation() -> None:
    late = wf.escalate(in_progress(), R.SYSTEM, E.LEADER)
    long_after = late.resolve_due + timedelta(days=30)
    assert wf.extend(late, R.DEPARTMENT_HEAD, 1, "x", CLOCK, long_after).escalation == E.LEADER
    assert wf.extend(late, R.DEPARTMENT_HEAD, 1, "x", CLOCK, late.resolve_due).escalation == E.NONE


def test_progress_updates_are_owed_from_the_last_contact() -> None:
    answered = wf.provide_info(waiting(local(2026, 3, 12, 10)), local(2026, 3, 30, 9), CLOCK)
    assert wf.next_progress_update(answered, CLOCK) == CAL.add_working_days(local(2026, 3, 30, 9), 7)


def test_replay_refuses_a_partial_first_event_and_a_status_that_disagrees() -> None:
    h = full_life()
    partial = {k: v for k, v in h.events[0].changes.items() if k != "transfers"}
    with pytest.raises(ValueError, match="incomplete_first_event"):
        replay_case(tamper(h.events, 0, changes=partial))
    wrong = {**h.events[1].changes, "status": "rejected"}
    with pytest.raises(ValueError, match="changes_disagree_with_statuses"):
        replay_case(tamper(h.events, 1, changes=wrong))


def test_a_note_is_recorded_by_staff_and_changes_nothing() -> None:
    case = in_progress()
    assert wf.record(case, A.NOTE, R.INTAKE_OFFICER, "Đã gọi điện cho người gửi") == case
    with pytest.raises(ReasonRequired):
        wf.record(case, A.NOTE, R.DEPARTMENT_OFFICER, " ")
    refused(lambda: wf.record(case, A.NOTE, R.SUBMITTER, "x"), case, "role_not_allowed")


def test_officers_take_tickets_and_heads_give_them() -> None:
    case = in_progress()
    taken = wf.assign(case, R.DEPARTMENT_OFFICER, 7, actor_id=7)
    assert taken.assignee == 7
    refused(lambda: wf.assign(case, R.DEPARTMENT_OFFICER, 8, actor_id=7), case, "officers_assign_themselves")
    given = wf.assign(taken, R.DEPARTMENT_HEAD, 8, actor_id=1)
    assert given.assignee == 8
    refused(lambda: wf.assign(given, R.DEPARTMENT_HEAD, 8, actor_id=1), given, "already_assigned")
    refused(lambda: wf.assign(opened(), R.DEPARTMENT_HEAD, 8, actor_id=1), opened(), "invalid_source")
    # The new department chooses its own officer.
    assert wf.transfer(given, R.DEPARTMENT_HEAD, "SO-CT", "x").assignee is None


def test_an_answer_the_head_approves() -> None:
    case = in_progress()
    refused(lambda: wf.resolve(case, R.DEPARTMENT_OFFICER, local(2026, 3, 16, 9), approval_required=True),
            case, "approval_required")
    refused(lambda: wf.submit_answer(case, R.DEPARTMENT_OFFICER), case, "no_draft")
    draft = wf.draft_answer(case, R.DEPARTMENT_OFFICER)
    waiting_approval = wf.submit_answer(draft, R.DEPARTMENT_OFFICER)
    assert waiting_approval.answer_state == AnswerState.AWAITING_APPROVAL
    refused(lambda: wf.approve_answer(waiting_approval, R.DEPARTMENT_OFFICER), waiting_approval, "role_not_allowed")
    returned = wf.return_answer(waiting_approval, R.DEPARTMENT_HEAD, "Bổ sung căn cứ pháp lý")
    assert returned.answer_state == AnswerState.DRAFT
    refused(lambda: wf.approve_answer(returned, R.DEPARTMENT_HEAD), returned, "nothing_to_approve")
    approved = wf.approve_answer(wf.submit_answer(returned, R.DEPARTMENT_OFFICER), R.DEPARTMENT_HEAD)
    done = wf.resolve(approved, R.DEPARTMENT_OFFICER, local(2026, 3, 16, 9), approval_required=True)
    assert (done.status, done.answer_state) == (S.RESOLVED, AnswerState.NONE)
    # A head's own answer needs nobody's approval; without the requirement, nobody's does.
    assert wf.resolve(case, R.DEPARTMENT_HEAD, local(2026, 3, 16, 9), approval_required=True).status == S.RESOLVED
    assert wf.resolve(case, R.DEPARTMENT_OFFICER, local(2026, 3, 16, 9)).status == S.RESOLVED
