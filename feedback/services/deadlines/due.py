"""The due-work index: each ticket's `next_due_at`, the instant the deadline sweep must next look
at it (workflows/due.py says which). Every step of the engine sets it (events.apply_step); the
sweep advances it past what it has done; a change to the calendar or to a deadline policy makes
every pending ticket due, so that the next sweep computes each instant again."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import update

from feedback.extensions import db
from feedback.models import Ticket
from feedback.services.reference import current
from workflows import Action, AfterAnswer, Case, Clock, Status, next_look


def clock_of(ticket: Ticket) -> Clock:
    reference = current()
    subject = reference.subject(ticket.category_id)
    # A subject no longer offered keeps its tickets' deadlines.
    return reference.clock(ticket.category_id, subject.urgency if subject else ticket.category.urgency)


def after_answer() -> AfterAnswer:
    config = current_app.config
    return AfterAnswer(config["RATING_REMINDER_DAYS"], config["AUTO_CLOSE_DAYS"])


def set_next_due(ticket: Ticket, case: Case, now: datetime, *, settled: bool, action: Action | None = None) -> None:
    """Store when the sweep must next look at the ticket, whose case is now `case`. `settled`:
    the sweep has done all that fell due by `now`."""
    # The rating counts from its step on; reading it costs a query, so only an answer asks.
    rated = action == Action.RATE or (case.status == Status.RESOLVED and ticket.rating is not None)
    ticket.next_due_at = next_look(case, clock_of(ticket), after_answer(), rated=rated, now=now, settled=settled)


def make_pending_tickets_due(now: datetime) -> None:
    """The calendar or a policy changed: every stored instant may be wrong. The next sweep looks
    at each pending ticket once and stores its instant again. The caller commits."""
    db.session.execute(
        update(Ticket).where(Ticket.next_due_at.is_not(None)).values(next_due_at=now).execution_options(
            synchronize_session=False
        )
    )
