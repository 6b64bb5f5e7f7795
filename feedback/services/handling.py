"""What the staff do with a ticket: accept or reject it, ask the submitter, resolve it with an answer."""

from __future__ import annotations

from datetime import datetime

from feedback.background.outbox import add_job, commit_and_relay
from feedback.extensions import db
from feedback.jobs import compile_statistics
from feedback.models import Department, Ticket, User, utcnow
from feedback.services.access import get_ticket_for
from feedback.services.calendar import deadline_policy, working_calendar
from feedback.services.errors import NotFoundError
from feedback.services.events import apply_action
from feedback.services.submissions import searchable_text
from workflows import Action, Status, Urgency, resolve_deadline


def accept_ticket(
    actor: User, ticket_id: int, department_id: int, *, now: datetime | None = None
) -> Ticket:
    """Accept a submission into the given department and start its resolution clock."""
    now = now or utcnow()
    ticket = get_ticket_for(actor, ticket_id)
    department = db.session.get(Department, department_id)
    if department is None or department.external:
        raise NotFoundError("department")
    payload = {"department": department.code}
    if department.id != ticket.department_id:
        payload["routed_department"] = ticket.department.code
    apply_action(ticket, Action.ACCEPT, actor=actor, role=actor.workflow_role, now=now, payload=payload)
    ticket.department = department
    ticket.accepted_at = now
    ticket.resolve_due = resolve_deadline(
        working_calendar(), now, Urgency(ticket.category.urgency), deadline_policy()
    )
    add_job(compile_statistics)
    commit_and_relay()
    return ticket


def reject_ticket(actor: User, ticket_id: int, reason: str, *, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    ticket = get_ticket_for(actor, ticket_id)
    apply_action(ticket, Action.REJECT, actor=actor, role=actor.workflow_role, now=now, reason=reason)
    ticket.closed_at = now
    add_job(compile_statistics)
    commit_and_relay()
    return ticket


def resolve_ticket(actor: User, ticket_id: int, answer: str, *, now: datetime | None = None) -> Ticket:
    """Publish the answer and resolve; the submitter is then asked to rate it."""
    now = now or utcnow()
    ticket = get_ticket_for(actor, ticket_id)
    apply_action(
        ticket, Action.RESOLVE, actor=actor, role=actor.workflow_role, now=now, payload={"answer": answer}
    )
    ticket.answer = answer
    ticket.search_text = searchable_text(ticket)
    ticket.resolved_at = now
    ticket.assignee = actor
    add_job(compile_statistics)
    commit_and_relay()
    return ticket


def request_information(actor: User, ticket_id: int, question: str, *, now: datetime | None = None) -> Ticket:
    """Ask the submitter a question; the resolve clock stops until they answer."""
    now = now or utcnow()
    ticket = get_ticket_for(actor, ticket_id)
    role = actor.workflow_role
    if ticket.status in (Status.ACCEPTED, Status.REOPENED):
        # Asking is working on it: record the start so the history stays a legal sequence.
        apply_action(ticket, Action.START, actor=actor, role=role, now=now)
    apply_action(ticket, Action.REQUEST_INFO, actor=actor, role=role, now=now, reason=question)
    ticket.paused_at = now
    add_job(compile_statistics)
    commit_and_relay()
    return ticket
