"""Opening a case, accepting, rejecting or starting it, and asking the submitter for information."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from tests.workflows.case_builders import (
    ACCEPTED_AT,
    CAL,
    CLOCK,
    POLICY,
    SUBMITTED_AT,
    E,
    R,
    S,
    accepted,
    eod,
    in_progress,
    local,
    opened,
    refused,
    waiting,
)
from workflows import Case, Clock, DeadlinePolicy, ReasonRequired, Urgency
from workflows import case as wf

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


def test_an_answer_the_same_day_keeps_the_escalation() -> None:
    late = wf.escalate(waiting(local(2026, 3, 12, 10)), R.SYSTEM, E.HEAD)
    answered = wf.provide_info(late, local(2026, 3, 12, 15), CLOCK)
    assert answered.resolve_due == late.resolve_due
    assert answered.escalation == E.HEAD
