"""The reminder and escalation ladder of a deadline: who is told, and when (DESIGN.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from .calendar import TIMEZONE, local_date
from .case import Case, Clock, Escalation
from .states import OPEN, Role

# Reminders go out before the office opens, so the day's work can take them in.
_MORNING = time(7, 0)


class Rung(StrEnum):
    REMIND_BEFORE = "remind_before"
    REMIND_DUE = "remind_due"
    ESCALATE_HEAD = "escalate_head"
    ESCALATE_LEADER = "escalate_leader"


ESCALATION_OF = {Rung.ESCALATE_HEAD: Escalation.HEAD, Rung.ESCALATE_LEADER: Escalation.LEADER}


@dataclass(frozen=True)
class Step:
    rung: Rung
    at: datetime
    # Who is told: the ticket's assignee (or its department's officers), its head, the leader.
    recipient: Role


def ladder(case: Case, clock: Clock) -> list[Step]:
    """The steps of the current deadline, in order; none while the clock is stopped or once
    the department has answered."""
    if case.status not in OPEN or case.paused_at is not None:
        return []
    calendar, policy = clock.calendar, clock.policy
    due = case.due
    due_day = local_date(due)
    before = calendar.shift_working_days(due_day, -policy.remind_before_days)
    overdue = due + timedelta(seconds=1)
    return [
        Step(Rung.REMIND_BEFORE, _morning(before), Role.DEPARTMENT_OFFICER),
        Step(Rung.REMIND_DUE, _morning(due_day), Role.DEPARTMENT_OFFICER),
        Step(Rung.ESCALATE_HEAD, overdue, Role.DEPARTMENT_HEAD),
        Step(
            Rung.ESCALATE_LEADER,
            calendar.add_working_days(due, policy.escalate_leader_after_days) + timedelta(seconds=1),
            Role.LEADER,
        ),
    ]


def escalation_due(case: Case, clock: Clock, now: datetime) -> Escalation | None:
    """The escalation the sweep should record now, if the case has not reached it yet."""
    reached = [
        ESCALATION_OF[step.rung]
        for step in ladder(case, clock)
        if step.rung in ESCALATION_OF and step.at <= now
    ]
    if not reached or reached[-1] == case.escalation or case.escalation == Escalation.LEADER:
        return None
    return reached[-1]


def _morning(day: date) -> datetime:
    return datetime.combine(day, _MORNING, tzinfo=TIMEZONE)
