"""Transfers between departments, the leader's decision when none is left, and assigning a case."""

from __future__ import annotations

import pytest

from tests.workflows.case_builders import ACCEPTED_AT, E, R, S, eod, in_progress, opened, refused
from workflows import MAX_TRANSFERS, Case, ReasonRequired, Role, StepRefused
from workflows import case as wf

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
