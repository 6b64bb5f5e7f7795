"""The workflow engine: statuses and transitions, routing, working-day deadlines, the ladder.

Pure Python: no Flask, no SQLAlchemy. The web and the jobs use it through `feedback.services`.
"""

from __future__ import annotations

from . import case
from .calendar import TIMEZONE, WorkingCalendar, end_of_day, local_date
from .case import (
    CASE_FIELDS,
    MAX_REOPENINGS,
    MAX_TRANSFERS,
    AnswerState,
    Case,
    Clock,
    Escalation,
    StepRefused,
    next_progress_update,
)
from .deadlines import (
    DeadlinePolicy,
    Urgency,
    classify_deadline,
    resolve_deadline,
    resume_deadline,
)
from .due import AfterAnswer, next_look
from .ladder import Rung, Step, escalation_due, ladder
from .replay import RecordedEvent, changes, replay_case
from .routing import RoutingDecision, Rule, route
from .states import (
    OPEN,
    TERMINAL,
    TRANSITIONS,
    Action,
    EventFact,
    IllegalTransition,
    ReasonRequired,
    Refusal,
    ReplayError,
    Role,
    Status,
    Transition,
    allowed_actions,
    replay,
    transition,
)

__all__ = [
    "CASE_FIELDS",
    "MAX_REOPENINGS",
    "MAX_TRANSFERS",
    "OPEN",
    "TERMINAL",
    "TIMEZONE",
    "TRANSITIONS",
    "Action",
    "AfterAnswer",
    "AnswerState",
    "Case",
    "Clock",
    "DeadlinePolicy",
    "Escalation",
    "EventFact",
    "IllegalTransition",
    "ReasonRequired",
    "RecordedEvent",
    "Refusal",
    "ReplayError",
    "Role",
    "RoutingDecision",
    "Rule",
    "Rung",
    "Status",
    "Step",
    "StepRefused",
    "Transition",
    "Urgency",
    "WorkingCalendar",
    "allowed_actions",
    "case",
    "changes",
    "classify_deadline",
    "end_of_day",
    "escalation_due",
    "ladder",
    "local_date",
    "next_look",
    "next_progress_update",
    "replay",
    "replay_case",
    "resolve_deadline",
    "resume_deadline",
    "route",
    "transition",
]
