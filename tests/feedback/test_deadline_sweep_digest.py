"""The deadline sweep's daily digest to each head, of what is overdue and due, on working days only."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import MailboxMessage, Notification, Ticket, utcnow
from tests.feedback.deadline_sweep import HEADS, Sweep, accepted, add_staff, at, delivered, each
from tests.feedback.deadline_sweep import monday as monday
from tests.feedback.deadline_sweep import sweep as sweep
from workflows import Role, WorkingCalendar
from workflows.calendar import local_date

# --- the digest ------------------------------------------------------------------------------


def test_each_head_gets_one_digest_a_working_day_of_what_is_overdue_and_due(
    app: Flask, monday: date, sweep: Sweep, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Staff messages are written in the office's language; English here, to read the lists by their headings.
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
    add_staff(app, "head.sct@example.org", Role.DEPARTMENT_HEAD, "SCT")
    overdue = accepted(app, at(monday, 0))  # due Monday of the third week
    due_today = accepted(app, at(monday, 1))  # Tuesday
    due_in_two = accepted(app, at(monday, 3))  # Thursday: the second working day from Tuesday
    later = accepted(app, at(monday, 4))  # Friday
    with app.app_context():
        codes = {t: db.session.get_one(Ticket, t).code for t in (overdue, due_today, due_in_two, later)}

    sweep(at(monday, 8, 8))
    assert delivered(app, kinds=["digest"]) == Counter(), "nothing due within two working days"

    tuesday = 15
    sweep(at(monday, tuesday, 6, 59))
    assert delivered(app, kinds=["digest"]) == Counter(), "not before 07:00"
    first, second = sweep(at(monday, tuesday, 7)), sweep(at(monday, tuesday, 11))
    assert first is not None and second is not None
    assert (first["digests"], second["digests"]) == (2, 0)
    assert delivered(app, kinds=["digest"]) == each("digest", HEADS), "not to heads with nothing due"
    with app.app_context():
        digests = db.session.execute(
            select(Notification.params, MailboxMessage.subject, MailboxMessage.body)
            .join(MailboxMessage, MailboxMessage.notification_id == Notification.id)
            .where(Notification.kind == "digest")
        ).all()
    for params, subject, body in digests:
        assert (params["overdue"], params["due"]) == ([overdue], [due_today, due_in_two])
        assert subject == "Your department today: 1 overdue, 2 due soon"
        overdue_part, due_part = body.split("Due within two working days")
        assert codes[overdue] in overdue_part and codes[due_today] not in overdue_part
        assert codes[due_today] in due_part and codes[due_in_two] in due_part
        assert codes[later] not in body

    sweep(at(monday, tuesday + 1, 7))
    assert delivered(app, kinds=["digest"]) == each("digest", HEADS * 2), "the next working day, again"
    sweep(at(monday, 19, 9))  # Saturday
    sweep(at(monday, 20, 9))  # Sunday
    assert delivered(app, kinds=["digest"]) == each("digest", HEADS * 2), "none at the weekend"


def test_no_digest_on_a_public_holiday(app: Flask, database: None, sweep: Sweep) -> None:
    calendar = WorkingCalendar()
    holiday = local_date(utcnow()) + timedelta(days=2)
    while holiday.weekday() >= 5 or calendar.is_working_day(holiday):
        holiday += timedelta(days=1)
    after = calendar.shift_working_days(holiday, 1)
    accepted(app, at(holiday, -40), plain_weeks=False)
    sweep(at(holiday, 0, 8))
    assert delivered(app, kinds=["digest"]) == Counter()
    sweep(at(after, 0, 8))
    assert delivered(app, kinds=["digest"]) == each("digest", ["head.sxd@example.org"])
