"""What a submitter does after submitting: answer the department's question, rate the answer,
reopen once when not satisfied."""

from __future__ import annotations

from datetime import datetime

from feedback.background.outbox import add_job, commit_and_relay
from feedback.extensions import db
from feedback.jobs import compile_statistics
from feedback.models import Attachment, Rating, Ticket, utcnow
from feedback.services.attachments import CleanFile, store_files
from feedback.services.calendar import deadline_policy, working_calendar
from feedback.services.errors import NotFoundError
from feedback.services.events import apply_action
from workflows import Action, Role, Status, Urgency, resolve_deadline, resume_deadline

RATING_LEVELS = ("satisfied", "acceptable", "not_satisfied")
# How many times a submitter may reopen a ticket they are not satisfied with (DESIGN.md).
MAX_REOPENINGS = 1


def provide_information(
    ticket: Ticket, text: str, files: list[CleanFile], *, now: datetime | None = None
) -> list[Attachment]:
    """The submitter's reply to a request for information: the ticket goes back to the
    department and its clock resumes, pushed back by the working days spent waiting."""
    now = now or utcnow()
    if ticket.status != Status.WAITING_FOR_SUBMITTER:
        raise NotFoundError("no question is waiting for an answer")
    event = apply_action(
        ticket, Action.PROVIDE_INFO, actor=None, role=Role.SUBMITTER, now=now, payload={"text": text}
    )
    if ticket.paused_at is not None and ticket.resolve_due is not None:
        ticket.resolve_due = resume_deadline(working_calendar(), ticket.resolve_due, ticket.paused_at, now)
    ticket.paused_at = None
    stored = store_files(ticket, files, event)
    add_job(compile_statistics)
    commit_and_relay()
    return stored


def rate_ticket(ticket: Ticket, level: str, comment: str, *, now: datetime | None = None) -> Rating:
    """The submitter's rating of the answer. It closes the ticket, unless the submitter is not
    satisfied and may still reopen it."""
    now = now or utcnow()
    if level not in RATING_LEVELS:
        raise ValueError(f"unknown rating level {level!r}")
    if ticket.status != Status.RESOLVED or ticket.rating is not None:
        raise NotFoundError("no rating is open for this ticket")
    apply_action(ticket, Action.RATE, actor=None, role=Role.SUBMITTER, now=now, payload={"rating": level})
    rating = Rating(ticket=ticket, level=level, comment=comment, created_at=now)
    db.session.add(rating)
    if level != "not_satisfied" or not may_reopen(ticket):
        apply_action(ticket, Action.CLOSE, actor=None, role=Role.SUBMITTER, now=now, payload={"rating": level})
        ticket.closed_at = now
    add_job(compile_statistics)
    commit_and_relay()
    return rating


def may_reopen(ticket: Ticket) -> bool:
    reopenings = sum(1 for event in ticket.events if event.action == Action.REOPEN)
    return ticket.status == Status.RESOLVED and reopenings < MAX_REOPENINGS


def reopen_ticket(ticket: Ticket, reason: str, *, now: datetime | None = None) -> Ticket:
    """Send an answer the submitter is not satisfied with back to the department, with a new
    deadline; the earlier rating stays in the history but no longer counts."""
    now = now or utcnow()
    rating = ticket.rating
    if rating is None or rating.level != "not_satisfied" or not may_reopen(ticket):
        raise NotFoundError("this ticket cannot be reopened")
    apply_action(ticket, Action.REOPEN, actor=None, role=Role.SUBMITTER, now=now, reason=reason)
    rating.superseded = True
    ticket.resolved_at = None
    ticket.resolve_due = resolve_deadline(
        working_calendar(), now, Urgency(ticket.category.urgency), deadline_policy()
    )
    add_job(compile_statistics)
    commit_and_relay()
    return ticket
