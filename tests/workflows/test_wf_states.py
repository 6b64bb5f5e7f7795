from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows import (
    OPEN,
    TERMINAL,
    TRANSITIONS,
    Action,
    EventFact,
    IllegalTransition,
    ReasonRequired,
    ReplayError,
    Role,
    Status,
    allowed_actions,
    replay,
    transition,
)

FAST = settings(max_examples=200, deadline=None, database=None)

S, R, A = Status, Role, Action
SCREENERS = {R.INTAKE_OFFICER, R.DEPARTMENT_HEAD, R.LEADER, R.ADMINISTRATOR}
HANDLERS = {R.DEPARTMENT_OFFICER, R.DEPARTMENT_HEAD}
WORKABLE = {S.ACCEPTED, S.IN_PROGRESS, S.REOPENED}
HELD = WORKABLE | {S.WAITING_FOR_SUBMITTER}
DECIDERS = {R.DEPARTMENT_HEAD, R.LEADER, R.ADMINISTRATOR}

# Spelled out independently of workflows.states so a typo there fails here. A target of None
# means the status stays as it was.
EXPECTED: dict[Action, tuple[set[Status], Status | None, set[Role], bool]] = {
    A.ACCEPT: ({S.SUBMITTED}, S.ACCEPTED, SCREENERS, False),
    A.REJECT: ({S.SUBMITTED}, S.REJECTED, SCREENERS, True),
    A.START: ({S.ACCEPTED, S.REOPENED}, S.IN_PROGRESS, HANDLERS, False),
    A.REQUEST_INFO: ({S.IN_PROGRESS}, S.WAITING_FOR_SUBMITTER, HANDLERS, True),
    A.PROVIDE_INFO: ({S.WAITING_FOR_SUBMITTER}, S.IN_PROGRESS, {R.SUBMITTER}, False),
    A.RESOLVE: (WORKABLE, S.RESOLVED, HANDLERS, False),
    A.REOPEN: ({S.RESOLVED}, S.REOPENED, {R.SUBMITTER}, True),
    A.RATE: ({S.RESOLVED}, S.RESOLVED, {R.SUBMITTER}, False),
    A.CLOSE: (
        {S.RESOLVED},
        S.CLOSED,
        {R.SUBMITTER, R.SYSTEM, R.DEPARTMENT_HEAD, R.LEADER, R.ADMINISTRATOR},
        False,
    ),
    A.TRANSFER: (
        WORKABLE,
        S.ACCEPTED,
        {R.DEPARTMENT_HEAD, R.INTAKE_OFFICER, R.LEADER, R.ADMINISTRATOR},
        True,
    ),
    A.EXTEND: (HELD, None, DECIDERS, True),
    A.PROGRESS_UPDATE: (HELD, None, HANDLERS | {R.SYSTEM}, True),
    A.REQUEST_CONTRIBUTION: (HELD, None, HANDLERS, True),
    A.CONTRIBUTE: (HELD, None, HANDLERS, True),
    A.ESCALATE: (
        {S.SUBMITTED, S.ACCEPTED, S.IN_PROGRESS, S.WAITING_FOR_SUBMITTER, S.REOPENED},
        None,
        {R.SYSTEM, R.INTAKE_OFFICER, R.DEPARTMENT_HEAD},
        False,
    ),
    A.ASSIGN: (HELD, None, HANDLERS | {R.LEADER, R.ADMINISTRATOR}, False),
    A.NOTE: (
        {S.SUBMITTED, S.ACCEPTED, S.IN_PROGRESS, S.WAITING_FOR_SUBMITTER, S.REOPENED},
        None,
        {R.INTAKE_OFFICER, R.DEPARTMENT_OFFICER, R.DEPARTMENT_HEAD, R.LEADER, R.ADMINISTRATOR},
        True,
    ),
    A.DRAFT_ANSWER: (WORKABLE, None, HANDLERS, False),
    A.SUBMIT_ANSWER: (WORKABLE, None, HANDLERS, False),
    A.APPROVE_ANSWER: (WORKABLE, None, DECIDERS, False),
    A.RETURN_ANSWER: (WORKABLE, None, DECIDERS, True),
}


def test_table_matches_specification() -> None:
    assert list(TRANSITIONS) == list(EXPECTED)
    for action, (sources, target, roles, reason_required) in EXPECTED.items():
        row = TRANSITIONS[action]
        assert row.action == action
        assert (row.sources, row.target, row.roles) == (sources, target, roles)
        assert row.reason_required is reason_required
    assert A.SUBMIT not in TRANSITIONS


def test_status_sets() -> None:
    assert {S.CLOSED, S.REJECTED} == TERMINAL
    assert {S.SUBMITTED, S.ACCEPTED, S.IN_PROGRESS, S.WAITING_FOR_SUBMITTER, S.REOPENED} == OPEN
    assert not OPEN & TERMINAL


def expected_code(status: Status, action: Action, role: Role) -> str | None:
    if status in TERMINAL:
        return "terminal_status"
    if action not in EXPECTED:
        return "not_a_transition"
    sources, _, roles, _ = EXPECTED[action]
    if status not in sources:
        return "invalid_source"
    if role not in roles:
        return "role_not_allowed"
    return None


@pytest.mark.parametrize(("status", "action", "role"), list(itertools.product(S, A, R)))
def test_every_combination(status: Status, action: Action, role: Role) -> None:
    code = expected_code(status, action, role)
    if code is None:
        assert transition(status, action, role, reason="lý do") == (EXPECTED[action][1] or status)
        assert action in allowed_actions(status, role)
        return
    with pytest.raises(IllegalTransition) as caught:
        transition(status, action, role, reason="lý do")
    error = caught.value
    assert (error.code, error.status, error.action, error.role) == (code, status, action, role)
    assert code in str(error)
    assert not isinstance(error, ReasonRequired)
    assert action not in allowed_actions(status, role)


REASON_CASES = [
    (S.SUBMITTED, A.REJECT, R.INTAKE_OFFICER),
    (S.IN_PROGRESS, A.REQUEST_INFO, R.DEPARTMENT_OFFICER),
    (S.RESOLVED, A.REOPEN, R.SUBMITTER),
    (S.IN_PROGRESS, A.TRANSFER, R.DEPARTMENT_HEAD),
    (S.IN_PROGRESS, A.EXTEND, R.DEPARTMENT_HEAD),
    (S.WAITING_FOR_SUBMITTER, A.PROGRESS_UPDATE, R.DEPARTMENT_OFFICER),
    (S.ACCEPTED, A.REQUEST_CONTRIBUTION, R.DEPARTMENT_OFFICER),
    (S.REOPENED, A.CONTRIBUTE, R.DEPARTMENT_HEAD),
    (S.SUBMITTED, A.NOTE, R.INTAKE_OFFICER),
    (S.IN_PROGRESS, A.RETURN_ANSWER, R.DEPARTMENT_HEAD),
]


@pytest.mark.parametrize(("status", "action", "role"), REASON_CASES)
@pytest.mark.parametrize("reason", [None, "", "   \n\t"])
def test_reason_required(status: Status, action: Action, role: Role, reason: str | None) -> None:
    with pytest.raises(ReasonRequired) as caught:
        transition(status, action, role, reason=reason)
    assert caught.value.code == "reason_required"
    assert isinstance(caught.value, IllegalTransition)


def test_reason_optional_elsewhere() -> None:
    assert transition(S.SUBMITTED, A.ACCEPT, R.INTAKE_OFFICER) == S.ACCEPTED
    assert transition(S.RESOLVED, A.CLOSE, R.SYSTEM, reason="") == S.CLOSED


def test_role_checked_before_reason() -> None:
    with pytest.raises(IllegalTransition) as caught:
        transition(S.SUBMITTED, A.REJECT, R.SUBMITTER)
    assert caught.value.code == "role_not_allowed"


@pytest.mark.parametrize(
    ("status", "role", "actions"),
    [
        (S.SUBMITTED, R.INTAKE_OFFICER, [A.ACCEPT, A.REJECT, A.ESCALATE, A.NOTE]),
        (
            S.ACCEPTED,
            R.DEPARTMENT_HEAD,
            [A.START, A.RESOLVE, A.TRANSFER, A.EXTEND, A.PROGRESS_UPDATE,
             A.REQUEST_CONTRIBUTION, A.CONTRIBUTE, A.ESCALATE, A.ASSIGN, A.NOTE,
             A.DRAFT_ANSWER, A.SUBMIT_ANSWER, A.APPROVE_ANSWER, A.RETURN_ANSWER],
        ),
        (
            S.ACCEPTED,
            R.DEPARTMENT_OFFICER,
            [A.START, A.RESOLVE, A.PROGRESS_UPDATE, A.REQUEST_CONTRIBUTION, A.CONTRIBUTE,
             A.ASSIGN, A.NOTE, A.DRAFT_ANSWER, A.SUBMIT_ANSWER],
        ),
        (
            S.IN_PROGRESS,
            R.DEPARTMENT_OFFICER,
            [A.REQUEST_INFO, A.RESOLVE, A.PROGRESS_UPDATE, A.REQUEST_CONTRIBUTION, A.CONTRIBUTE,
             A.ASSIGN, A.NOTE, A.DRAFT_ANSWER, A.SUBMIT_ANSWER],
        ),
        (S.WAITING_FOR_SUBMITTER, R.SUBMITTER, [A.PROVIDE_INFO]),
        (S.WAITING_FOR_SUBMITTER, R.LEADER, [A.EXTEND, A.ASSIGN, A.NOTE]),
        (S.RESOLVED, R.SUBMITTER, [A.REOPEN, A.RATE, A.CLOSE]),
        (S.RESOLVED, R.SYSTEM, [A.CLOSE]),
        (S.CLOSED, R.ADMINISTRATOR, []),
        (S.REJECTED, R.LEADER, []),
    ],
)
def test_allowed_actions(status: Status, role: Role, actions: list[Action]) -> None:
    assert allowed_actions(status, role) == actions


SUBMIT = EventFact(A.SUBMIT, None, S.SUBMITTED)

steps = st.lists(
    st.tuples(st.sampled_from(A), st.sampled_from(R), st.sampled_from([None, "", "lý do"])),
    max_size=40,
)


@FAST
@given(steps=steps)
def test_random_walks_stay_consistent(steps: list[tuple[Action, Role, str | None]]) -> None:
    status = S.SUBMITTED
    events = [SUBMIT]
    for action, role, reason in steps:
        try:
            target = transition(status, action, role, reason=reason)
        except IllegalTransition:
            continue
        assert status not in TERMINAL
        assert target in set(S)
        events.append(EventFact(action, status, target))
        status = target
    assert replay(events) == status
    if status in TERMINAL:
        assert all(allowed_actions(status, role) == [] for role in R)


def test_replay_happy_path() -> None:
    history = [
        SUBMIT,
        EventFact(A.ACCEPT, S.SUBMITTED, S.ACCEPTED),
        EventFact(A.START, S.ACCEPTED, S.IN_PROGRESS),
        EventFact(A.RESOLVE, S.IN_PROGRESS, S.RESOLVED),
        EventFact(A.REOPEN, S.RESOLVED, S.REOPENED),
        EventFact(A.TRANSFER, S.REOPENED, S.ACCEPTED),
    ]
    assert replay(history) == S.ACCEPTED
    assert replay(iter(history[:1])) == S.SUBMITTED


@pytest.mark.parametrize(
    ("history", "code", "index"),
    [
        ([], "empty_history", 0),
        ([EventFact(A.ACCEPT, S.SUBMITTED, S.ACCEPTED)], "invalid_first_event", 0),
        ([EventFact(A.SUBMIT, S.SUBMITTED, S.SUBMITTED)], "invalid_first_event", 0),
        ([SUBMIT, SUBMIT], "status_mismatch", 1),
        ([SUBMIT, EventFact(A.SUBMIT, S.SUBMITTED, S.SUBMITTED)], "illegal_transition", 1),
        ([SUBMIT, EventFact(A.ACCEPT, S.ACCEPTED, S.ACCEPTED)], "status_mismatch", 1),
        ([SUBMIT, EventFact(A.ACCEPT, S.SUBMITTED, S.IN_PROGRESS)], "illegal_transition", 1),
        ([SUBMIT, EventFact(A.RESOLVE, S.SUBMITTED, S.RESOLVED)], "illegal_transition", 1),
        (
            [
                SUBMIT,
                EventFact(A.REJECT, S.SUBMITTED, S.REJECTED),
                EventFact(A.ACCEPT, S.REJECTED, S.ACCEPTED),
            ],
            "event_after_terminal",
            2,
        ),
    ],
)
def test_replay_rejects_inconsistent_history(
    history: list[EventFact], code: str, index: int
) -> None:
    with pytest.raises(ReplayError) as caught:
        replay(history)
    assert (caught.value.code, caught.value.index) == (code, index)
    assert isinstance(caught.value, ValueError)
