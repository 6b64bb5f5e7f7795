"""What a submitter does after submitting: answer the department's question, rate the answer,
reopen once when not satisfied."""

from __future__ import annotations

from datetime import datetime

from feedback.background.outbox import commit_and_relay
from feedback.extensions import db
from feedback.models import Attachment, Rating, Ticket, utcnow
from feedback.services.deadlines.policies import clock_for
from feedback.services.errors import NotFoundError
from feedback.services.handling.events import apply_step, case_of
from feedback.services.intake.attachments import CleanFile, store_files
from workflows import Action, Role, Status, case

RATING_LEVELS = ("satisfied", "acceptable", "not_satisfied")


def provide_information(
    ticket: Ticket, text: str, files: list[CleanFile], *, now: datetime | None = None
) -> list[Attachment]:
    """The submitter's reply to a request for information: the ticket goes back to the
    department and its clock resumes, pushed back by the working days spent waiting."""
    now = now or utcnow()
    if ticket.status != Status.WAITING_FOR_SUBMITTER:
        raise NotFoundError("no question is waiting for an answer")
    after = case.provide_info(case_of(ticket), now, clock_for(ticket.category))
    event = apply_step(
        ticket, Action.PROVIDE_INFO, after, actor=None, role=Role.SUBMITTER, now=now, payload={"text": text}
    )
    stored = store_files(ticket, files, event)
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
    rated = case.rate(case_of(ticket))
    apply_step(ticket, Action.RATE, rated, actor=None, role=Role.SUBMITTER, now=now, payload={"rating": level})
    rating = Rating(ticket=ticket, level=level, comment=comment, created_at=now)
    db.session.add(rating)
    if level != "not_satisfied" or not case.may_reopen(rated):
        closed = case.close(rated, Role.SUBMITTER, now)
        apply_step(ticket, Action.CLOSE, closed, actor=None, role=Role.SUBMITTER, now=now, payload={"rating": level})
    commit_and_relay()
    return rating


def may_reopen(ticket: Ticket) -> bool:
    return case.may_reopen(case_of(ticket))


def reopen_ticket(ticket: Ticket, reason: str, *, now: datetime | None = None) -> Ticket:
    """Send an answer the submitter is not satisfied with back to the department, with a new
    deadline; the earlier rating stays in the history but no longer counts."""
    now = now or utcnow()
    rating = ticket.rating
    if rating is None or rating.level != "not_satisfied" or not may_reopen(ticket):
        raise NotFoundError("this ticket cannot be reopened")
    after = case.reopen(case_of(ticket), now, reason, clock_for(ticket.category))
    apply_step(ticket, Action.REOPEN, after, actor=None, role=Role.SUBMITTER, now=now, reason=reason)
    rating.superseded = True
    commit_and_relay()
    return ticket
