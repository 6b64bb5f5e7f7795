from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from .calendar import WorkingCalendar


class Urgency(StrEnum):
    URGENT = "urgent"
    SIMPLE = "simple"
    ORDINARY = "ordinary"
    COMPLEX = "complex"


def _default_resolve_days() -> Mapping[Urgency, int]:
    return MappingProxyType(
        {Urgency.URGENT: 1, Urgency.SIMPLE: 3, Urgency.ORDINARY: 10, Urgency.COMPLEX: 20}
    )


@dataclass(frozen=True)
class DeadlinePolicy:
    classify_days: int = 2
    # hash=False keeps the policy hashable (a mapping proxy is not); equal
    # policies still hash equal because the other fields match.
    resolve_days: Mapping[Urgency, int] = field(default_factory=_default_resolve_days, hash=False)
    max_extension_days: int = 10
    progress_update_every_days: int = 7
    # The ladder: remind the assignee this many working days before the due day (and on it),
    # escalate to the head once overdue, and to the leader this many working days later.
    remind_before_days: int = 2
    escalate_leader_after_days: int = 3

    def __post_init__(self) -> None:
        # Copy so a caller mutating its own dict cannot change a frozen policy.
        resolve_days = MappingProxyType({Urgency(k): v for k, v in self.resolve_days.items()})
        object.__setattr__(self, "resolve_days", resolve_days)
        if set(resolve_days) != set(Urgency):
            raise ValueError("resolve_days_must_cover_every_urgency")
        if min(resolve_days.values()) < 1 or self.classify_days < 1:
            raise ValueError("deadline_days_must_be_positive")
        if self.max_extension_days < 0 or self.progress_update_every_days < 1:
            raise ValueError("invalid_policy_days")
        if self.remind_before_days < 1 or self.escalate_leader_after_days < 1:
            raise ValueError("invalid_policy_days")


def classify_deadline(
    calendar: WorkingCalendar, submitted_at: datetime, policy: DeadlinePolicy
) -> datetime:
    return calendar.add_working_days(submitted_at, policy.classify_days)


def resolve_deadline(
    calendar: WorkingCalendar, accepted_at: datetime, urgency: Urgency, policy: DeadlinePolicy
) -> datetime:
    return calendar.add_working_days(accepted_at, policy.resolve_days[urgency])


def resume_deadline(
    calendar: WorkingCalendar, due: datetime, paused_at: datetime, resumed_at: datetime
) -> datetime:
    """The resolve deadline after waiting for the submitter: pushed back by every working day
    that passed while the clock was stopped, so the wait never eats the department's time."""
    paused_days = calendar.working_days_between(paused_at, resumed_at)
    return calendar.add_working_days(due, paused_days) if paused_days else due
