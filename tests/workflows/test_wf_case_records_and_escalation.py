"""Steps recorded without changing the case (contributions, notes), and escalation up the ladder."""

from __future__ import annotations

import dataclasses

import pytest

from tests.workflows.case_builders import A, E, R, S, in_progress, opened, refused, resolved, waiting
from workflows import Action, ReasonRequired, StepRefused
from workflows import case as wf

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


def test_a_note_is_recorded_by_staff_and_changes_nothing() -> None:
    case = in_progress()
    assert wf.record(case, A.NOTE, R.INTAKE_OFFICER, "Đã gọi điện cho người gửi") == case
    with pytest.raises(ReasonRequired):
        wf.record(case, A.NOTE, R.DEPARTMENT_OFFICER, " ")
    refused(lambda: wf.record(case, A.NOTE, R.SUBMITTER, "x"), case, "role_not_allowed")


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
