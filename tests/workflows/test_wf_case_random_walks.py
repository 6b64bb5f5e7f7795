"""Random walks through the steps of a case against an independent model of its deadlines and history."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.workflows.case_builders import A, E, R, S
from workflows import (
    OPEN,
    TERMINAL,
    TIMEZONE,
    TRANSITIONS,
    Action,
    Case,
    Clock,
    DeadlinePolicy,
    Escalation,
    EventFact,
    IllegalTransition,
    RecordedEvent,
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
