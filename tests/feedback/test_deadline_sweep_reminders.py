"""The deadline sweep's reminders to whoever holds a ticket, and its escalations to the heads and the leader."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date

from flask import Flask

from feedback.extensions import db
from feedback.models import Ticket
from feedback.services.handling.actions import assign_ticket, request_information
from tests.feedback.deadline_sweep import HEADS, Sweep, accepted, at, delivered, each, events, staff
from tests.feedback.deadline_sweep import monday as monday
from tests.feedback.deadline_sweep import sweep as sweep

OFFICERS = ["officer.sxd@example.org", "officer2.sxd@example.org"]
REMINDERS = ("remind_before", "remind_due")


# --- reminders and escalations ---------------------------------------------------------------


def test_each_reminder_and_escalation_is_sent_once_however_often_the_sweep_runs(
    app: Flask, monday: date, sweep: Sweep
) -> None:
    ticket_id = accepted(app, at(monday, 0))  # due at the end of Monday two weeks later
    staff_messages = (*REMINDERS, "escalated")

    sweep(at(monday, 9, 12))
    assert delivered(app, ticket_id, staff_messages) == Counter(), "not yet two working days before"

    # Thursday, two working days before the due day, from 07:00: each officer once.
    assert sweep(at(monday, 10, 6, 59)) is not None
    assert delivered(app, ticket_id, staff_messages) == Counter()
    sweep(at(monday, 10, 7))
    sweep(at(monday, 10, 7))
    sweep(at(monday, 11, 9))
    assert delivered(app, ticket_id, staff_messages) == each("remind_before", OFFICERS)

    # The due day: the later rung, once; the earlier one is not sent again.
    sweep(at(monday, 14, 7))
    sweep(at(monday, 14, 16))
    assert delivered(app, ticket_id, staff_messages) == each("remind_before", OFFICERS) + each("remind_due", OFFICERS)

    # Overdue: escalated to the department's heads, three working days later to the leader.
    first, second = sweep(at(monday, 15, 9)), sweep(at(monday, 15, 9))
    assert first is not None and second is not None
    assert (first["escalated"], second["escalated"]) == (1, 0)
    sweep(at(monday, 17, 23))
    assert [e.payload["level"] for e in events(app, ticket_id, "escalate")] == ["head"]
    sweep(at(monday, 18, 9))
    sweep(at(monday, 18, 9))
    sweep(at(monday, 25, 9))
    escalations = events(app, ticket_id, "escalate")
    assert [(e.payload["level"], e.actor_role, e.actor_id) for e in escalations] == [
        ("head", "system", None),
        ("leader", "system", None),
    ]
    assert delivered(app, ticket_id, staff_messages) == (
        each("remind_before", OFFICERS)
        + each("remind_due", OFFICERS)
        + each("escalated", HEADS)
        + each("escalated", ["leader@example.org"])
    )
    with app.app_context():
        assert db.session.get_one(Ticket, ticket_id).escalation == "leader"


def test_a_sweep_that_first_runs_on_the_due_day_sends_only_the_due_days_reminder(
    app: Flask, monday: date, sweep: Sweep
) -> None:
    ticket_id = accepted(app, at(monday, 0))
    sweep(at(monday, 14, 8))
    assert delivered(app, ticket_id, REMINDERS) == each("remind_due", OFFICERS)


def test_reminders_go_to_whoever_holds_the_ticket_and_not_while_the_submitter_is_asked(
    app: Flask, monday: date, sweep: Sweep
) -> None:
    unassigned, assigned, waiting = (accepted(app, at(monday, 0)) for _ in range(3))
    with app.app_context():
        assign_ticket(
            staff("head.sxd@example.org"), assigned, staff("officer2.sxd@example.org").id, now=at(monday, 0, 10)
        )
        request_information(staff("officer.sxd@example.org"), waiting, "Xin ảnh chụp hiện trường.", now=at(monday, 1))
    sweep(at(monday, 10, 7))
    sweep(at(monday, 14, 7))
    sweep(at(monday, 15, 9))
    # While nobody has it, the department's officers; once assigned, the assignee alone.
    assert delivered(app, unassigned, REMINDERS) == each("remind_before", OFFICERS) + each("remind_due", OFFICERS)
    assert delivered(app, assigned, REMINDERS) == each("remind_before", OFFICERS[1:]) + each("remind_due", OFFICERS[1:])
    # The clock is stopped while waiting for the submitter: no reminder, no escalation.
    assert delivered(app, waiting) == Counter()
    assert events(app, waiting, "escalate") == []
    assert len(events(app, unassigned, "escalate")) == len(events(app, assigned, "escalate")) == 1


def test_before_it_is_accepted_the_reminders_go_to_intake(
    app: Flask, monday: date, sweep: Sweep, make_ticket: Callable[..., int]
) -> None:
    """The routed department cannot accept or reject; intake classifies within two working days."""
    ticket_id = make_ticket(now=at(monday, 0))
    sweep(at(monday, 0, 10))
    sweep(at(monday, 2, 8))
    intake = ["intake@example.org"]
    assert delivered(app, ticket_id, REMINDERS) == each("remind_before", intake) + each("remind_due", intake)
