"""When the sweep must next look at a case (workflows/due.py): the earliest thing that can fall
due on it, past or future after a step, only future once the sweep has done what was due."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta

from workflows import (
    TIMEZONE,
    AfterAnswer,
    Case,
    Clock,
    DeadlinePolicy,
    Escalation,
    Status,
    Urgency,
    WorkingCalendar,
    ladder,
    next_look,
    next_progress_update,
)

CAL = WorkingCalendar()
CLOCK = Clock(CAL, DeadlinePolicy(), Urgency.ORDINARY)
AFTER = AfterAnswer(rating_reminder_days=3, auto_close_days=10)
# A plain fortnight of 2025: Monday 3 March to Friday 14 March, no holiday.
ACCEPTED = datetime(2025, 3, 3, 9, tzinfo=TIMEZONE)
DUE = datetime.combine(date(2025, 3, 17), time(23, 59, 59), tzinfo=TIMEZONE)


def held(**changes: object) -> Case:
    case = Case(
        status=Status.IN_PROGRESS, department="SXD", submitted_at=ACCEPTED - timedelta(hours=1),
        classify_due=ACCEPTED + timedelta(days=2), accepted_at=ACCEPTED, resolve_due=DUE,
    )
    return dataclasses.replace(case, **changes)


def look(case: Case, now: datetime, *, settled: bool = False, rated: bool = False) -> datetime | None:
    return next_look(case, CLOCK, AFTER, rated=rated, now=now, settled=settled)


def test_after_acceptance_the_first_instant_is_the_earliest_of_the_progress_update_and_the_ladder() -> None:
    case = held()
    progress = next_progress_update(case, CLOCK)
    first_rung = ladder(case, CLOCK)[0].at
    assert progress is not None
    assert look(case, ACCEPTED) == min(progress, first_rung)


def test_the_sweep_moves_past_what_it_has_done_and_a_step_brings_back_what_may_be_undone() -> None:
    case = held(progress_at=datetime(2025, 3, 12, 9, tzinfo=TIMEZONE))
    reminder = ladder(case, CLOCK)[0].at
    after_reminder = reminder + timedelta(minutes=5)
    settled = look(case, after_reminder, settled=True)
    assert settled is not None and settled > after_reminder
    # A step taken then: the reminder of the rung reached may not have gone yet.
    assert look(case, after_reminder) == min(reminder, settled)


def test_an_escalation_recorded_is_not_due_again_but_the_next_rung_is() -> None:
    overdue = DUE + timedelta(hours=1)
    leader_rung = ladder(held(), CLOCK)[-1].at
    # Told of progress on the due day: the next update is owed after the leader's rung.
    assert look(held(progress_at=DUE), overdue) == DUE + timedelta(seconds=1), "the head's rung, not yet recorded"
    assert look(held(progress_at=DUE, escalation=Escalation.HEAD), overdue) == leader_rung
    assert look(held(progress_at=DUE, escalation=Escalation.LEADER), leader_rung + timedelta(hours=1)) == (
        next_progress_update(held(progress_at=DUE), CLOCK)
    )


def test_a_paused_case_waits_for_nothing_and_an_extension_moves_the_first_instant_later() -> None:
    paused = held(status=Status.WAITING_FOR_SUBMITTER, paused_at=ACCEPTED + timedelta(days=1))
    assert look(paused, ACCEPTED + timedelta(days=1)) is None
    # Told of progress on the due day: the ladder's first rung comes first, and moves with the deadline.
    plain = look(held(progress_at=DUE), ACCEPTED)
    extended = look(held(progress_at=DUE, resolve_due=DUE + timedelta(days=7), extension_days=5), ACCEPTED)
    assert plain is not None and extended is not None and extended > plain


def test_an_answer_waits_for_the_reminder_to_rate_then_for_closing_and_a_rated_one_only_for_closing() -> None:
    resolved_at = datetime(2025, 3, 5, 10, tzinfo=TIMEZONE)
    answered = held(status=Status.RESOLVED, resolved_at=resolved_at)
    reminder = CAL.add_working_days(resolved_at, 3)
    closing = CAL.add_working_days(resolved_at, 10)
    assert look(answered, resolved_at) == reminder
    assert look(answered, reminder + timedelta(minutes=1), settled=True) == closing
    assert look(answered, resolved_at, rated=True) == closing
    assert look(held(status=Status.CLOSED, resolved_at=resolved_at, closed_at=closing), closing) is None
