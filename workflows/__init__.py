from __future__ import annotations

from .calendar import TIMEZONE, WorkingCalendar
from .deadlines import (
    DeadlinePolicy,
    Urgency,
    classify_deadline,
    resolve_deadline,
    resume_deadline,
)
from .routing import RoutingDecision, Rule, route
from .states import (
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
    Transition,
    allowed_actions,
    replay,
    transition,
)

__all__ = [
    "OPEN",
    "TERMINAL",
    "TIMEZONE",
    "TRANSITIONS",
    "Action",
    "DeadlinePolicy",
    "EventFact",
    "IllegalTransition",
    "ReasonRequired",
    "ReplayError",
    "Role",
    "RoutingDecision",
    "Rule",
    "Status",
    "Transition",
    "Urgency",
    "WorkingCalendar",
    "allowed_actions",
    "classify_deadline",
    "replay",
    "resolve_deadline",
    "resume_deadline",
    "route",
    "transition",
]
