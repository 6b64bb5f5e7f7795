"""The case as an immutable value, the changes between two cases, and replaying recorded changes."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable

import pytest

from tests.workflows.case_builders import (
    ACCEPTED_AT,
    CLOCK,
    SUBMITTED_AT,
    A,
    E,
    R,
    S,
    eod,
    in_progress,
    local,
    opened,
    waiting,
)
from workflows import (
    CASE_FIELDS,
    Action,
    Case,
    EventFact,
    IllegalTransition,
    ReasonRequired,
    RecordedEvent,
    ReplayError,
    StepRefused,
    changes,
    replay_case,
)
from workflows import case as wf

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


def test_replay_refuses_a_partial_first_event_and_a_status_that_disagrees() -> None:
    h = full_life()
    partial = {k: v for k, v in h.events[0].changes.items() if k != "transfers"}
    with pytest.raises(ValueError, match="incomplete_first_event"):
        replay_case(tamper(h.events, 0, changes=partial))
    wrong = {**h.events[1].changes, "status": "rejected"}
    with pytest.raises(ValueError, match="changes_disagree_with_statuses"):
        replay_case(tamper(h.events, 1, changes=wrong))
