"""What the system does on its own, derived from the database by the deadline sweep: progress
updates owed to submitters, the reminder to rate an answer, closing answers left unrated, and
each department head's morning digest. Each is keyed so that a second sweep adds nothing."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import select

from feedback.background.outbox import commit_and_relay
from feedback.extensions import db
from feedback.models import Ticket, User, utcnow
from feedback.services.deadlines.calendar import working_calendar
from feedback.services.deadlines.due import after_answer, clock_of, set_next_due
from feedback.services.deadlines.escalation import due_batches, escalate, open_unpaused, over_due, remind
from feedback.services.handling.events import apply_step, case_of
from feedback.services.notifications.messages import (
    department_heads,
    enqueue_delivery,
    message,
    staff_language,
    submitter_message,
    write,
)
from workflows import Action, Role, Status, case, next_progress_update
from workflows.calendar import TIMEZONE, end_of_day, local_date

# Heads are told what falls due within this many working days.
DIGEST_DAYS = 2
DIGEST_LIST_LIMIT = 30


def sweep(now: datetime | None = None, *, part: int = 0, parts: int = 1) -> dict[str, int]:
    """Everything that fell due: each due ticket gets its escalation, reminder, progress update,
    reminder to rate or closing, then its next_due_at moves past `now`; then the heads' digests
    (by part 0 of a split sweep). Returns what each part did."""
    now = now or utcnow()
    done = dict.fromkeys(("escalated", "reminders", "progress_updates", "rating_reminders", "closed"), 0)
    for batch in due_batches(now, part=part, parts=parts):
        reminders: list[dict[str, Any]] = []
        rating_reminders: list[dict[str, Any]] = []
        for ticket in batch:
            done["escalated"] += escalate(ticket, now)
            reminders += remind(ticket, now)
            rating_reminders += remind_to_rate(ticket, now)
            done["progress_updates"] += post_owed_update(ticket, now)
            done["closed"] += close_unrated(ticket, now)
            set_next_due(ticket, case_of(ticket), now, settled=True)
        # A batch's reminders in one statement each kind; those already sent come back as nothing.
        created = write(reminders), write(rating_reminders)
        done["reminders"] += len(created[0])
        done["rating_reminders"] += len(created[1])
        enqueue_delivery(created[0] + created[1])
        commit_and_relay()
    return {**done, "digests": send_digests(now) if part == 0 else 0}


def post_owed_progress_updates(now: datetime | None = None) -> int:
    """A progress update to every due ticket's submitter who has heard nothing for the policy's
    number of working days while a department holds their ticket."""
    now = now or utcnow()
    return over_due(now, lambda ticket: post_owed_update(ticket, now))


def post_owed_update(ticket: Ticket, now: datetime) -> bool:
    """The progress update owed by now, if one is; it counts as the department's update."""
    current = case_of(ticket)
    owed = next_progress_update(current, clock_of(ticket))
    if owed is None or owed > now:
        return False
    with force_locale(ticket.language):
        text = _(
            "Your submission is still being handled by %(department)s. The answer is due by %(date)s.",
            department=ticket.department.name_en if ticket.language == "en" else ticket.department.name_vi,
            date=format_date(current.due, "dd/MM/yyyy"),
        )
    apply_step(
        ticket, Action.PROGRESS_UPDATE, case.progress_update(current, Role.SYSTEM, now, text),
        actor=None, role=Role.SYSTEM, now=now, reason=text, payload={"automatic": True},
    )
    return True


def remind_and_close_unrated(now: datetime | None = None) -> tuple[int, int]:
    """Remind submitters once to rate an answer, and close answers left unrated; returns
    (reminded, closed)."""
    now = now or utcnow()
    reminded = over_due(now, lambda ticket: remind_to_rate(ticket, now))
    closed = over_due(now, lambda ticket: close_unrated(ticket, now))
    return reminded, closed


def remind_to_rate(ticket: Ticket, now: datetime) -> list[dict[str, Any]]:
    """The reminder to rate an unrated answer, once its days have passed (and before it closes)."""
    if ticket.status != Status.RESOLVED.value or ticket.rating is not None:
        return []
    assert ticket.resolved_at is not None
    days, calendar = after_answer(), working_calendar()
    if days.closing(calendar, ticket.resolved_at) <= now or days.reminder(calendar, ticket.resolved_at) > now:
        return []
    return submitter_message(ticket, f"rate:{ticket.id}:{ticket.resolved_at.isoformat()}", "rating_reminder", {}, now)


def close_unrated(ticket: Ticket, now: datetime) -> bool:
    """Close an answer its days have passed on: unrated, or rated and not reopened."""
    if ticket.status != Status.RESOLVED.value:
        return False
    assert ticket.resolved_at is not None
    if after_answer().closing(working_calendar(), ticket.resolved_at) > now:
        return False
    apply_step(
        ticket, Action.CLOSE, case.close(case_of(ticket), Role.SYSTEM, now), actor=None, role=Role.SYSTEM, now=now,
        payload={"why": "not_rated" if ticket.rating is None else "not_reopened"},
    )
    return True


def send_digests(now: datetime | None = None) -> int:
    """Each department head's list of what is due soon and overdue, once a working day, from
    DIGEST_HOUR local time; nothing when the list is empty. Returns how many were written."""
    now = now or utcnow()
    calendar = working_calendar()
    today = local_date(now)
    if not calendar.is_working_day(today) or now.astimezone(TIMEZONE).time() < time(current_app.config["DIGEST_HOUR"]):
        return 0
    horizon = end_of_day(calendar.shift_working_days(today, DIGEST_DAYS))
    heads = db.session.scalars(
        select(User).where(
            User.role == Role.DEPARTMENT_HEAD.value, User.active.is_(True), User.department_id.is_not(None)
        )
    ).all()
    digests: list[dict[str, Any]] = []
    for department_id in sorted({head.department_id for head in heads if head.department_id}):
        rows = db.session.execute(
            open_unpaused()
            .with_only_columns(Ticket.id, Ticket.deadline.label("deadline"))
            .where(Ticket.department_id == department_id, Ticket.deadline <= horizon)
            .order_by(Ticket.deadline)
        ).all()
        if not rows:
            continue
        overdue = [row.id for row in rows if row.deadline < now]
        due = [row.id for row in rows if row.deadline >= now]
        params = {
            "date": today.isoformat(),
            "overdue_count": len(overdue),
            "due_count": len(due),
            "overdue": overdue[:DIGEST_LIST_LIMIT],
            "due": due[:DIGEST_LIST_LIMIT],
            "tickets": overdue[:DIGEST_LIST_LIMIT] + due[:DIGEST_LIST_LIMIT],
        }
        for head in department_heads(department_id):
            digests += message(
                f"digest:{today.isoformat()}:u{head.id}", "digest", "email", head.email,
                language=staff_language(), now=now, user=head, params=params,
            )
    created = write(digests)
    enqueue_delivery(created)
    commit_and_relay()
    return len(created)
