"""A ticket's workflow state and every step that changes it, as pure functions.

Each step checks the move with the transition table, then returns a new `Case`; nothing is
changed when a step raises. The services store the fields that a step changed in the step's
event, and replaying the events rebuilds the case (replay.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .calendar import WorkingCalendar
from .deadlines import (
    DeadlinePolicy,
    Urgency,
    classify_deadline,
    resolve_deadline,
    resume_deadline,
)
from .states import (
    OPEN,
    Action,
    IllegalTransition,
    ReasonRequired,
    Refusal,
    Role,
    Status,
    allowed_actions,
    transition,
)

# After this many transfers, only a leader (or an administrator) may move the ticket again.
MAX_TRANSFERS = 2
MAX_REOPENINGS = 1
FINAL_DECIDERS = frozenset({Role.LEADER, Role.ADMINISTRATOR})
# Who approves answers in a department that requires it, and whose own answers need no approval.
APPROVERS = frozenset({Role.DEPARTMENT_HEAD, Role.LEADER, Role.ADMINISTRATOR})


class Escalation(StrEnum):
    NONE = ""
    HEAD = "head"
    LEADER = "leader"


_ESCALATION_RANK = {Escalation.NONE: 0, Escalation.HEAD: 1, Escalation.LEADER: 2}


class AnswerState(StrEnum):
    """Where the department's draft answer stands, for departments whose head approves answers."""

    NONE = ""
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"


@dataclass(frozen=True)
class Clock:
    """What deadlines are counted with: the calendar, and the category's policy and urgency."""

    calendar: WorkingCalendar
    policy: DeadlinePolicy
    urgency: Urgency

    def resolve_due(self, start: datetime) -> datetime:
        return resolve_deadline(self.calendar, start, self.urgency, self.policy)


@dataclass(frozen=True)
class Case:
    status: Status
    department: str
    submitted_at: datetime
    classify_due: datetime
    accepted_at: datetime | None = None
    resolve_due: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    # Set while waiting for the submitter: the resolve clock is stopped from then.
    paused_at: datetime | None = None
    transfers: int = 0
    extension_days: int = 0
    reopenings: int = 0
    progress_at: datetime | None = None
    # How far the lateness of the current deadline has gone up; a new deadline starts again.
    escalation: Escalation = Escalation.NONE
    # The department holding a ticket with no transfer left asked a leader to say who handles it.
    decision_requested: bool = False
    # The user id of the officer handling it; a transfer leaves the new department to choose.
    assignee: int | None = None
    answer_state: AnswerState = AnswerState.NONE

    @property
    def due(self) -> datetime:
        """The deadline that matters now: to classify until accepted, then to resolve."""
        return self.resolve_due or self.classify_due


CASE_FIELDS = tuple(f.name for f in dataclasses.fields(Case))


class StepRefused(IllegalTransition):
    """A move the table allows but this ticket's history does not (a second extension, a third
    transfer by a head): `code` says which rule stopped it."""


def needs_approval(role: Role, approval_required: bool) -> bool:
    """Whether this role's answer must be approved before it is published, in a department
    whose head approves answers (`approval_required`)."""
    return approval_required and role not in APPROVERS


def actions_offered(status: Status, role: Role) -> frozenset[Action]:
    """What a role may do to a ticket in this status, each as one step: asking the submitter
    from "accepted" or "reopened" starts the work first, which the same roles may do."""
    actions = set(allowed_actions(status, role))
    if Action.START in actions:
        actions.add(Action.REQUEST_INFO)
    return frozenset(actions)


def _check(case: Case, action: Action, role: Role, reason: str | None = None) -> Status:
    return transition(case.status, action, role, reason=reason)


def _refuse(code: Refusal, case: Case, action: Action, role: Role) -> StepRefused:
    return StepRefused(code, case.status, action, role)


def open_case(department: str, submitted_at: datetime, clock: Clock) -> Case:
    return Case(
        status=Status.SUBMITTED,
        department=department,
        submitted_at=submitted_at,
        classify_due=classify_deadline(clock.calendar, submitted_at, clock.policy),
    )


def accept(case: Case, role: Role, now: datetime, clock: Clock, department: str | None = None) -> Case:
    """Accept into a department (intake may correct the routed one); the resolve clock starts."""
    return dataclasses.replace(
        case,
        status=_check(case, Action.ACCEPT, role),
        department=department or case.department,
        accepted_at=now,
        resolve_due=clock.resolve_due(now),
        escalation=Escalation.NONE,
    )


def reject(case: Case, role: Role, now: datetime, reason: str) -> Case:
    return dataclasses.replace(case, status=_check(case, Action.REJECT, role, reason), closed_at=now)


def start(case: Case, role: Role) -> Case:
    return dataclasses.replace(case, status=_check(case, Action.START, role))


def request_info(case: Case, role: Role, now: datetime, question: str) -> Case:
    return dataclasses.replace(
        case, status=_check(case, Action.REQUEST_INFO, role, question), paused_at=now
    )


def provide_info(case: Case, now: datetime, clock: Clock) -> Case:
    """The submitter answered: the deadline moves by every working day spent waiting."""
    status = _check(case, Action.PROVIDE_INFO, Role.SUBMITTER)
    due = case.resolve_due
    if due is not None and case.paused_at is not None:
        due = resume_deadline(clock.calendar, due, case.paused_at, now)
    return dataclasses.replace(
        case,
        status=status,
        resolve_due=due,
        paused_at=None,
        escalation=_escalation_after(case, due, now),
        # The submitter just heard from the department and answered: updates are owed from here.
        progress_at=now,
    )


def resolve(case: Case, role: Role, now: datetime, approval_required: bool = False) -> Case:
    """Publish the answer. Where the department's head approves answers, an officer's answer
    must have been approved; a head (or above) resolving approves it by doing so."""
    status = _check(case, Action.RESOLVE, role)
    if needs_approval(role, approval_required) and case.answer_state != AnswerState.APPROVED:
        raise _refuse(Refusal.APPROVAL_REQUIRED, case, Action.RESOLVE, role)
    return dataclasses.replace(case, status=status, resolved_at=now, answer_state=AnswerState.NONE)


def assign(case: Case, role: Role, assignee: int | None, actor_id: int) -> Case:
    """Give the ticket to an officer of its department (the service checks the department);
    an officer may only take it themselves."""
    status = _check(case, Action.ASSIGN, role)
    if role == Role.DEPARTMENT_OFFICER and assignee != actor_id:
        raise _refuse(Refusal.OFFICERS_ASSIGN_THEMSELVES, case, Action.ASSIGN, role)
    if assignee == case.assignee:
        raise _refuse(Refusal.ALREADY_ASSIGNED, case, Action.ASSIGN, role)
    return dataclasses.replace(case, status=status, assignee=assignee)


def draft_answer(case: Case, role: Role) -> Case:
    """Save the answer being written; a draft sent back or approved becomes a draft again."""
    return dataclasses.replace(case, status=_check(case, Action.DRAFT_ANSWER, role), answer_state=AnswerState.DRAFT)


def submit_answer(case: Case, role: Role) -> Case:
    status = _check(case, Action.SUBMIT_ANSWER, role)
    if case.answer_state != AnswerState.DRAFT:
        raise _refuse(Refusal.NO_DRAFT, case, Action.SUBMIT_ANSWER, role)
    return dataclasses.replace(case, status=status, answer_state=AnswerState.AWAITING_APPROVAL)


def approve_answer(case: Case, role: Role) -> Case:
    status = _check(case, Action.APPROVE_ANSWER, role)
    if case.answer_state != AnswerState.AWAITING_APPROVAL:
        raise _refuse(Refusal.NOTHING_TO_APPROVE, case, Action.APPROVE_ANSWER, role)
    return dataclasses.replace(case, status=status, answer_state=AnswerState.APPROVED)


def return_answer(case: Case, role: Role, reason: str) -> Case:
    status = _check(case, Action.RETURN_ANSWER, role, reason)
    if case.answer_state != AnswerState.AWAITING_APPROVAL:
        raise _refuse(Refusal.NOTHING_TO_APPROVE, case, Action.RETURN_ANSWER, role)
    return dataclasses.replace(case, status=status, answer_state=AnswerState.DRAFT)


def rate(case: Case) -> Case:
    return dataclasses.replace(case, status=_check(case, Action.RATE, Role.SUBMITTER))


def close(case: Case, role: Role, now: datetime) -> Case:
    return dataclasses.replace(case, status=_check(case, Action.CLOSE, role), closed_at=now)


def may_reopen(case: Case) -> bool:
    return case.status == Status.RESOLVED and case.reopenings < MAX_REOPENINGS


def reopen(case: Case, now: datetime, reason: str, clock: Clock) -> Case:
    """Not satisfied: back to the department with a full new resolve period."""
    status = _check(case, Action.REOPEN, Role.SUBMITTER, reason)
    if not may_reopen(case):
        raise _refuse(Refusal.REOPEN_LIMIT, case, Action.REOPEN, Role.SUBMITTER)
    # A new round with a full period: its own extension, and progress updates owed from now.
    return dataclasses.replace(
        case,
        status=status,
        resolved_at=None,
        reopenings=case.reopenings + 1,
        resolve_due=clock.resolve_due(now),
        escalation=Escalation.NONE,
        extension_days=0,
        progress_at=now,
    )


def may_transfer(case: Case, role: Role) -> bool:
    return case.transfers < MAX_TRANSFERS or role in FINAL_DECIDERS


def transfer(case: Case, role: Role, department: str, reason: str) -> Case:
    """Hand the ticket to another department, which receives it as accepted. The deadline is
    kept: the submitter's wait does not restart because the ticket went to the wrong desk. A
    leader's transfer is the decision a department may have asked for."""
    status = _check(case, Action.TRANSFER, role, reason)
    if department == case.department:
        raise _refuse(Refusal.SAME_DEPARTMENT, case, Action.TRANSFER, role)
    if not may_transfer(case, role):
        raise _refuse(Refusal.TRANSFER_LIMIT, case, Action.TRANSFER, role)
    return dataclasses.replace(
        case,
        status=status,
        department=department,
        transfers=case.transfers + 1,
        decision_requested=case.decision_requested and role not in FINAL_DECIDERS,
        # The new department chooses its own officer and writes its own answer.
        assignee=None,
        answer_state=AnswerState.NONE,
    )


def request_decision(case: Case, role: Role, reason: str) -> Case:
    """With no transfer left, the department holding the ticket asks a leader to decide."""
    status = _check(case, Action.ESCALATE, role, reason)
    if not reason.strip():
        raise ReasonRequired(case.status, Action.ESCALATE, role)
    if case.transfers < MAX_TRANSFERS:
        raise _refuse(Refusal.TRANSFERS_LEFT, case, Action.ESCALATE, role)
    if case.decision_requested:
        raise _refuse(Refusal.DECISION_ALREADY_REQUESTED, case, Action.ESCALATE, role)
    return dataclasses.replace(case, status=status, decision_requested=True)


def extend(
    case: Case, role: Role, days: int, reason: str, clock: Clock, now: datetime | None = None
) -> Case:
    """The one extension a ticket may have (per round: a reopening starts a new one), of at most
    the policy's working days. Given `now`, a new deadline still past keeps the escalation."""
    status = _check(case, Action.EXTEND, role, reason)
    if case.extension_days:
        raise _refuse(Refusal.ALREADY_EXTENDED, case, Action.EXTEND, role)
    if not 1 <= days <= clock.policy.max_extension_days:
        raise _refuse(Refusal.EXTENSION_OUT_OF_RANGE, case, Action.EXTEND, role)
    if case.resolve_due is None:
        raise _refuse(Refusal.NO_DEADLINE, case, Action.EXTEND, role)
    due = clock.calendar.add_working_days(case.resolve_due, days)
    return dataclasses.replace(
        case,
        status=status,
        extension_days=days,
        resolve_due=due,
        escalation=_escalation_after(case, due, now),
    )


def _escalation_after(case: Case, due: datetime | None, now: datetime | None) -> Escalation:
    # Lateness belongs to a deadline: one that moved into the future starts the ladder again.
    if due is not None and due != case.resolve_due and (now is None or due > now):
        return Escalation.NONE
    return case.escalation


def progress_update(case: Case, role: Role, now: datetime, text: str) -> Case:
    return dataclasses.replace(case, status=_check(case, Action.PROGRESS_UPDATE, role, text), progress_at=now)


def record(case: Case, action: Action, role: Role, reason: str) -> Case:
    """A step that only leaves a trace: an internal note, asking another department to
    contribute, or its answer."""
    if action not in (Action.REQUEST_CONTRIBUTION, Action.CONTRIBUTE, Action.NOTE):
        raise _refuse(Refusal.NOT_A_RECORD, case, action, role)
    return dataclasses.replace(case, status=_check(case, action, role, reason))


def escalate(case: Case, role: Role, level: Escalation) -> Case:
    status = _check(case, Action.ESCALATE, role)
    if _ESCALATION_RANK[level] <= _ESCALATION_RANK[case.escalation]:
        raise _refuse(Refusal.ALREADY_ESCALATED, case, Action.ESCALATE, role)
    return dataclasses.replace(case, status=status, escalation=level)


def next_progress_update(case: Case, clock: Clock) -> datetime | None:
    """When the submitter is owed the next progress update: every N working days while a
    department holds the ticket, not while waiting for the submitter's answer."""
    if case.accepted_at is None or case.paused_at is not None or case.status not in OPEN:
        return None
    since = max(case.accepted_at, case.progress_at or case.accepted_at)
    return clock.calendar.add_working_days(since, clock.policy.progress_update_every_days)
