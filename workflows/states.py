from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_SUBMITTER = "waiting_for_submitter"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    REJECTED = "rejected"


class Role(StrEnum):
    SUBMITTER = "submitter"
    INTAKE_OFFICER = "intake_officer"
    DEPARTMENT_OFFICER = "department_officer"
    DEPARTMENT_HEAD = "department_head"
    LEADER = "leader"
    ADMINISTRATOR = "administrator"
    SYSTEM = "system"


class Action(StrEnum):
    # SUBMIT only ever appears as the first stored event; it is deliberately
    # absent from TRANSITIONS so transition() can never produce it.
    SUBMIT = "submit"
    ACCEPT = "accept"
    REJECT = "reject"
    START = "start"
    REQUEST_INFO = "request_info"
    PROVIDE_INFO = "provide_info"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CLOSE = "close"
    TRANSFER = "transfer"
    # The submitter's rating: recorded as an event, and the status stays RESOLVED.
    RATE = "rate"
    # The rest change the ticket's deadlines or bookkeeping, never its status.
    EXTEND = "extend"
    PROGRESS_UPDATE = "progress_update"
    REQUEST_CONTRIBUTION = "request_contribution"
    CONTRIBUTE = "contribute"
    ESCALATE = "escalate"
    ASSIGN = "assign"
    NOTE = "note"
    DRAFT_ANSWER = "draft_answer"
    SUBMIT_ANSWER = "submit_answer"
    APPROVE_ANSWER = "approve_answer"
    RETURN_ANSWER = "return_answer"


TERMINAL: frozenset[Status] = frozenset({Status.CLOSED, Status.REJECTED})

# RESOLVED is in neither set: the agency is done, the submitter has not yet
# confirmed or reopened.
OPEN: frozenset[Status] = frozenset(
    {
        Status.SUBMITTED,
        Status.ACCEPTED,
        Status.IN_PROGRESS,
        Status.WAITING_FOR_SUBMITTER,
        Status.REOPENED,
    }
)


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[Status]
    # None: the action is recorded and the status stays what it was.
    target: Status | None
    roles: frozenset[Role]
    reason_required: bool = False

    def target_from(self, status: Status) -> Status:
        return status if self.target is None else self.target


def _row(
    action: Action,
    sources: Iterable[Status],
    target: Status | None,
    roles: Iterable[Role],
    reason_required: bool = False,
) -> tuple[Action, Transition]:
    return action, Transition(action, frozenset(sources), target, frozenset(roles), reason_required)


_S = Status
_R = Role
_SCREENERS = (_R.INTAKE_OFFICER, _R.DEPARTMENT_HEAD, _R.LEADER, _R.ADMINISTRATOR)
_HANDLERS = (_R.DEPARTMENT_OFFICER, _R.DEPARTMENT_HEAD)
_WORKABLE = (_S.ACCEPTED, _S.IN_PROGRESS, _S.REOPENED)
# Accepted and not yet answered: a department holds it, and its resolve clock exists.
_HELD = (*_WORKABLE, _S.WAITING_FOR_SUBMITTER)
_DECIDERS = (_R.DEPARTMENT_HEAD, _R.LEADER, _R.ADMINISTRATOR)

TRANSITIONS: dict[Action, Transition] = dict(
    [
        _row(Action.ACCEPT, [_S.SUBMITTED], _S.ACCEPTED, _SCREENERS),
        _row(Action.REJECT, [_S.SUBMITTED], _S.REJECTED, _SCREENERS, reason_required=True),
        _row(Action.START, [_S.ACCEPTED, _S.REOPENED], _S.IN_PROGRESS, _HANDLERS),
        _row(
            Action.REQUEST_INFO,
            [_S.IN_PROGRESS],
            _S.WAITING_FOR_SUBMITTER,
            _HANDLERS,
            reason_required=True,
        ),
        _row(Action.PROVIDE_INFO, [_S.WAITING_FOR_SUBMITTER], _S.IN_PROGRESS, [_R.SUBMITTER]),
        _row(Action.RESOLVE, _WORKABLE, _S.RESOLVED, _HANDLERS),
        _row(Action.REOPEN, [_S.RESOLVED], _S.REOPENED, [_R.SUBMITTER], reason_required=True),
        _row(Action.RATE, [_S.RESOLVED], _S.RESOLVED, [_R.SUBMITTER]),
        _row(
            Action.CLOSE,
            [_S.RESOLVED],
            _S.CLOSED,
            [_R.SUBMITTER, _R.SYSTEM, _R.DEPARTMENT_HEAD, _R.LEADER, _R.ADMINISTRATOR],
        ),
        _row(
            Action.TRANSFER,
            _WORKABLE,
            _S.ACCEPTED,
            [_R.DEPARTMENT_HEAD, _R.INTAKE_OFFICER, _R.LEADER, _R.ADMINISTRATOR],
            reason_required=True,
        ),
        # The reason is told to the submitter (DESIGN.md: one extension, approved by the head).
        _row(Action.EXTEND, _HELD, None, _DECIDERS, reason_required=True),
        # The reason is the update's text, which the submitter sees. The system posts one when
        # the department has been silent for the policy's number of working days.
        _row(Action.PROGRESS_UPDATE, _HELD, None, [*_HANDLERS, _R.SYSTEM], reason_required=True),
        _row(Action.REQUEST_CONTRIBUTION, _HELD, None, _HANDLERS, reason_required=True),
        _row(Action.CONTRIBUTE, _HELD, None, _HANDLERS, reason_required=True),
        # The deadline sweep escalates late work; intake or a head escalates a ticket that has
        # used up its transfers, for a leader to decide where it belongs.
        _row(
            Action.ESCALATE,
            OPEN,
            None,
            [_R.SYSTEM, _R.INTAKE_OFFICER, _R.DEPARTMENT_HEAD],
        ),
        # Officers may take a ticket themselves; heads (and above) give it to anyone in the department.
        _row(Action.ASSIGN, _HELD, None, [*_HANDLERS, _R.LEADER, _R.ADMINISTRATOR]),
        # An internal note, never shown to the submitter; the reason is its text.
        _row(Action.NOTE, OPEN, None, [_R.INTAKE_OFFICER, *_DECIDERS, _R.DEPARTMENT_OFFICER], reason_required=True),
        _row(Action.DRAFT_ANSWER, _WORKABLE, None, _HANDLERS),
        _row(Action.SUBMIT_ANSWER, _WORKABLE, None, _HANDLERS),
        _row(Action.APPROVE_ANSWER, _WORKABLE, None, _DECIDERS),
        _row(Action.RETURN_ANSWER, _WORKABLE, None, _DECIDERS, reason_required=True),
    ]
)


class Refusal(StrEnum):
    """Why the engine refused a step. The values are stable codes: the web layer gives each a
    message in the user's language (feedback/i18n.py), and tests check that every one has."""

    # The transition table's own checks.
    TERMINAL_STATUS = "terminal_status"
    NOT_A_TRANSITION = "not_a_transition"
    INVALID_SOURCE = "invalid_source"
    ROLE_NOT_ALLOWED = "role_not_allowed"
    REASON_REQUIRED = "reason_required"
    # Rules of a ticket's history (StepRefused).
    TRANSFER_LIMIT = "transfer_limit"
    SAME_DEPARTMENT = "same_department"
    TRANSFERS_LEFT = "transfers_left"
    DECISION_ALREADY_REQUESTED = "decision_already_requested"
    ALREADY_EXTENDED = "already_extended"
    EXTENSION_OUT_OF_RANGE = "extension_out_of_range"
    NO_DEADLINE = "no_deadline"
    REOPEN_LIMIT = "reopen_limit"
    OFFICERS_ASSIGN_THEMSELVES = "officers_assign_themselves"
    ALREADY_ASSIGNED = "already_assigned"
    NO_DRAFT = "no_draft"
    NOTHING_TO_APPROVE = "nothing_to_approve"
    APPROVAL_REQUIRED = "approval_required"
    ANSWER_DIFFERS_FROM_APPROVED = "answer_differs_from_approved"
    APPROVAL_NOT_NEEDED = "approval_not_needed"
    NOT_A_RECORD = "not_a_record"
    ALREADY_ESCALATED = "already_escalated"


class IllegalTransition(Exception):
    def __init__(self, code: Refusal, status: Status, action: Action, role: Role) -> None:
        super().__init__(f"{code}: {action} from {status} by {role}")
        self.code = code
        self.status = status
        self.action = action
        self.role = role


class ReasonRequired(IllegalTransition):
    def __init__(self, status: Status, action: Action, role: Role) -> None:
        super().__init__(Refusal.REASON_REQUIRED, status, action, role)


def transition(status: Status, action: Action, role: Role, *, reason: str | None = None) -> Status:
    if status in TERMINAL:
        raise IllegalTransition(Refusal.TERMINAL_STATUS, status, action, role)
    row = TRANSITIONS.get(action)
    if row is None:
        raise IllegalTransition(Refusal.NOT_A_TRANSITION, status, action, role)
    if status not in row.sources:
        raise IllegalTransition(Refusal.INVALID_SOURCE, status, action, role)
    if role not in row.roles:
        raise IllegalTransition(Refusal.ROLE_NOT_ALLOWED, status, action, role)
    if row.reason_required and (reason is None or not reason.strip()):
        raise ReasonRequired(status, action, role)
    return row.target_from(status)


def allowed_actions(status: Status, role: Role) -> list[Action]:
    # Terminal statuses are no row's source, so they yield an empty list.
    return [a for a, row in TRANSITIONS.items() if status in row.sources and role in row.roles]


@dataclass(frozen=True)
class EventFact:
    action: Action
    from_status: Status | None
    to_status: Status


class ReplayError(ValueError):
    # Raised for a stored history the table cannot produce: that is data
    # corruption, not a user mistake, hence a separate type from IllegalTransition.
    def __init__(self, code: str, index: int, event: EventFact | None) -> None:
        super().__init__(f"{code} at event {index}: {event}")
        self.code = code
        self.index = index
        self.event = event


def replay(events: Iterable[EventFact]) -> Status:
    current: Status | None = None
    for index, event in enumerate(events):
        if current is None:
            if (event.action, event.from_status, event.to_status) != (
                Action.SUBMIT,
                None,
                Status.SUBMITTED,
            ):
                raise ReplayError("invalid_first_event", index, event)
            current = Status.SUBMITTED
            continue
        if event.from_status != current:
            raise ReplayError("status_mismatch", index, event)
        if current in TERMINAL:
            raise ReplayError("event_after_terminal", index, event)
        row = TRANSITIONS.get(event.action)
        if row is None or current not in row.sources or event.to_status != row.target_from(current):
            raise ReplayError("illegal_transition", index, event)
        current = event.to_status
    if current is None:
        raise ReplayError("empty_history", 0, None)
    return current
