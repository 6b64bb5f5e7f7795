"""Resolving, rating, closing and reopening a case, and the head's approval of an answer."""

from __future__ import annotations

import pytest

from tests.workflows.case_builders import (
    ACCEPTED_AT,
    CAL,
    CLOCK,
    POLICY,
    A,
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
from workflows import MAX_REOPENINGS, AnswerState, Clock, Role, StepRefused, Urgency
from workflows import case as wf

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
