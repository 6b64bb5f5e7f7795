"""When the deadline sweep must next look at a case: the earliest instant at which something
falls due on it (a rung of its ladder, a progress update owed, the reminder to rate, closing
an unrated answer). The sweep reads only the cases whose instant has come, so its cost follows
the work that is due, not the number of cases ever stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .calendar import WorkingCalendar
from .case import Case, Clock, Escalation, next_progress_update
from .ladder import ESCALATION_OF, Step, ladder
from .states import Status


@dataclass(frozen=True)
class AfterAnswer:
    """Working days after an answer: the reminder to rate it, then closing it unrated."""

    rating_reminder_days: int
    auto_close_days: int

    def reminder(self, calendar: WorkingCalendar, resolved_at: datetime) -> datetime:
        return calendar.add_working_days(resolved_at, self.rating_reminder_days)

    def closing(self, calendar: WorkingCalendar, resolved_at: datetime) -> datetime:
        return calendar.add_working_days(resolved_at, self.auto_close_days)


def next_look(
    case: Case, clock: Clock, after_answer: AfterAnswer, *, rated: bool, now: datetime, settled: bool
) -> datetime | None:
    """The instant the sweep must next look at the case, or None if nothing can fall due
    before another step. `settled`: the sweep has just done all that fell due by `now`;
    otherwise (a step was taken at `now`) what fell due by then and may still be undone counts
    too, and the instant may be in the past: the next sweep looks at once."""
    instants: list[datetime] = []

    def count(at: datetime | None) -> None:
        if at is not None and (at > now or not settled):
            instants.append(at)

    steps = ladder(case, clock)
    reached = [step for step in steps if step.at <= now]
    if reached and not settled and _undone(reached[-1], case):
        # Only the latest rung reached is ever acted on (see escalation.py).
        instants.append(reached[-1].at)
    instants += [step.at for step in steps if step.at > now]
    count(next_progress_update(case, clock))
    if case.status == Status.RESOLVED and case.resolved_at is not None:
        closing = after_answer.closing(clock.calendar, case.resolved_at)
        if not rated:
            reminder = after_answer.reminder(clock.calendar, case.resolved_at)
            count(reminder if reminder < closing else None)
        count(closing)
    return min(instants, default=None)


def _undone(step: Step, case: Case) -> bool:
    """A reminder may not have been sent yet; an escalation is done once the case shows it."""
    if step.rung not in ESCALATION_OF:
        return True
    return case.escalation not in (ESCALATION_OF[step.rung], Escalation.LEADER)
