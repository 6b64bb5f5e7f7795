"""The deadline sweep's progress updates owed to submitters, the rating reminder and the closing."""

from __future__ import annotations

from collections import Counter
from datetime import date

from flask import Flask
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import MailboxMessage, Notification, Ticket, TicketEvent
from feedback.services.handling.actions import post_progress_update, request_information, resolve_ticket
from feedback.services.submitters.responses import rate_ticket
from tests.feedback.deadline_sweep import Sweep, accepted, at, delivered, each, events, staff
from tests.feedback.deadline_sweep import monday as monday
from tests.feedback.deadline_sweep import sweep as sweep
from workflows import TIMEZONE

# --- progress updates ------------------------------------------------------------------------


def test_a_progress_update_is_owed_after_seven_working_days_without_contact(
    app: Flask, monday: date, sweep: Sweep
) -> None:
    silent, updated, waiting = (accepted(app, at(monday, 0), email=f"citizen{n}@example.com") for n in range(3))
    with app.app_context():
        officer = staff("officer.sxd@example.org")
        request_information(officer, waiting, "Xin cho biết vị trí chính xác.", now=at(monday, 1))
        post_progress_update(officer, updated, "Đã cử cán bộ khảo sát hiện trường.", now=at(monday, 8))
        due = db.session.get_one(Ticket, silent).resolve_due
        assert due is not None

    def automatic(ticket_id: int) -> list[TicketEvent]:
        return [e for e in events(app, ticket_id, "progress_update") if e.actor_role == "system"]

    # Seven working days after Monday is the end of Wednesday of the next week.
    sweep(at(monday, 9, 23, 59))
    assert not any(automatic(t) for t in (silent, updated, waiting))
    first, second = sweep(at(monday, 10, 8)), sweep(at(monday, 10, 8))
    assert first is not None and second is not None
    assert (first["progress_updates"], second["progress_updates"]) == (1, 0)
    [posted] = automatic(silent)
    assert (posted.actor_id, posted.payload["automatic"], posted.is_public) == (None, True, True)
    assert posted.reason == (
        "Your submission is still being handled by Department of Construction. "
        f"The answer is due by {due.astimezone(TIMEZONE):%d/%m/%Y}."
    )
    assert delivered(app, silent, ["progress"]) == each("progress", ["citizen0@example.com"])
    with app.app_context():
        [message] = db.session.scalars(
            select(MailboxMessage)
            .where(MailboxMessage.recipient == "citizen0@example.com")
            .join(Notification, Notification.id == MailboxMessage.notification_id)
            .where(Notification.kind == "progress")
        ).all()
        assert posted.reason in message.body

    # The staff's own update on Tuesday counted: theirs is owed at the end of the next Thursday.
    assert automatic(updated) == []
    assert delivered(app, updated, ["progress"]) == each("progress", ["citizen1@example.com"]), "the staff's own"
    sweep(at(monday, 17, 20))
    assert automatic(updated) == []
    sweep(at(monday, 18, 8))
    assert len(automatic(updated)) == 1
    assert delivered(app, updated, ["progress"]) == each("progress", ["citizen1@example.com"] * 2)
    # The next one for the silent ticket is counted from the automatic one.
    assert len(automatic(silent)) == 1
    # Waiting for the submitter's answer: the department owes nothing.
    assert automatic(waiting) == []
    assert delivered(app, waiting, ["progress"]) == Counter()


# --- rating ----------------------------------------------------------------------------------


def test_an_unrated_answer_gets_one_reminder_and_is_closed_by_the_system(
    app: Flask, monday: date, sweep: Sweep
) -> None:
    unrated, rated = (accepted(app, at(monday, 0), email=f"citizen{n}@example.com") for n in range(2))
    with app.app_context():
        for ticket_id in (unrated, rated):
            resolve_ticket(staff("officer.sxd@example.org"), ticket_id, "Đã vá ổ gà.", now=at(monday, 0, 10))
        # Not satisfied: the ticket stays open for a reopening.
        rate_ticket(db.session.get_one(Ticket, rated), "not_satisfied", "Vá chưa kỹ.", now=at(monday, 0, 11))

    sweep(at(monday, 3, 23))
    assert delivered(app, kinds=["rating_reminder"]) == Counter(), "three working days end on Thursday night"
    first, second = sweep(at(monday, 4, 8)), sweep(at(monday, 4, 8))
    assert first is not None and second is not None
    assert (first["rating_reminders"], second["rating_reminders"]) == (1, 0)
    sweep(at(monday, 11, 8))
    assert delivered(app, kinds=["rating_reminder"]) == each("rating_reminder", ["citizen0@example.com"])

    sweep(at(monday, 14, 23))
    assert events(app, unrated, "close") == []
    first, second = sweep(at(monday, 15, 8)), sweep(at(monday, 15, 8))
    assert first is not None and second is not None
    assert (first["closed"], second["closed"]) == (2, 0)
    closes = {t: [(e.actor_role, e.payload["why"]) for e in events(app, t, "close")] for t in (unrated, rated)}
    assert closes == {unrated: [("system", "not_rated")], rated: [("system", "not_reopened")]}
    assert delivered(app, kinds=["closed", "rating_reminder"]) == (
        each("rating_reminder", ["citizen0@example.com"])
        + each("closed", ["citizen0@example.com", "citizen1@example.com"])
    )
