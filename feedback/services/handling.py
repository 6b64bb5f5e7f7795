"""What the department does with a ticket: accept or reject it, ask the submitter, extend the
deadline once, tell the submitter how it is going, resolve it with an answer."""

from __future__ import annotations

from datetime import datetime

from feedback.background.outbox import add_job, commit_and_relay
from feedback.extensions import db
from feedback.jobs import compile_statistics
from feedback.models import Department, Ticket, User, utcnow
from feedback.services.access import get_ticket_to_handle
from feedback.services.calendar import clock_for
from feedback.services.errors import NotFoundError
from feedback.services.events import apply_step, case_of
from feedback.services.submissions import searchable_text
from workflows import Action, Status, case


def accept_ticket(
    actor: User, ticket_id: int, department_id: int, *, now: datetime | None = None
) -> Ticket:
    """Accept a submission into the given department and start its resolution clock."""
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    department = db.session.get(Department, department_id)
    if department is None or department.external:
        raise NotFoundError("department")
    payload = {"department": department.code}
    if department.id != ticket.department_id:
        payload["routed_department"] = ticket.department.code
    after = case.accept(case_of(ticket), actor.workflow_role, now, clock_for(ticket.category), department.code)
    apply_step(ticket, Action.ACCEPT, after, actor=actor, now=now, payload=payload)
    _commit()
    return ticket


def reject_ticket(actor: User, ticket_id: int, reason: str, *, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    after = case.reject(case_of(ticket), actor.workflow_role, now, reason)
    apply_step(ticket, Action.REJECT, after, actor=actor, now=now, reason=reason)
    _commit()
    return ticket


def resolve_ticket(actor: User, ticket_id: int, answer: str, *, now: datetime | None = None) -> Ticket:
    """Publish the answer and resolve; the submitter is then asked to rate it."""
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    after = case.resolve(case_of(ticket), actor.workflow_role, now)
    apply_step(ticket, Action.RESOLVE, after, actor=actor, now=now, payload={"answer": answer})
    ticket.answer = answer
    ticket.search_text = searchable_text(ticket)
    ticket.assignee = actor
    _commit()
    return ticket


def request_information(actor: User, ticket_id: int, question: str, *, now: datetime | None = None) -> Ticket:
    """Ask the submitter a question; the resolve clock stops until they answer."""
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    role = actor.workflow_role
    if ticket.status in (Status.ACCEPTED, Status.REOPENED):
        # Asking is working on it: record the start so the history stays a legal sequence.
        apply_step(ticket, Action.START, case.start(case_of(ticket), role), actor=actor, now=now)
    after = case.request_info(case_of(ticket), role, now, question)
    apply_step(ticket, Action.REQUEST_INFO, after, actor=actor, now=now, reason=question)
    _commit()
    return ticket


def extend_deadline(actor: User, ticket_id: int, days: int, reason: str, *, now: datetime | None = None) -> Ticket:
    """The one extension a ticket may have; the reason is shown to the submitter."""
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    before = case_of(ticket)
    after = case.extend(before, actor.workflow_role, days, reason, clock_for(ticket.category), now)
    apply_step(
        ticket,
        Action.EXTEND,
        after,
        actor=actor,
        now=now,
        reason=reason,
        payload={"days": days, "previous_due": before.resolve_due.isoformat() if before.resolve_due else None},
    )
    _commit()
    return ticket


def post_progress_update(actor: User, ticket_id: int, text: str, *, now: datetime | None = None) -> Ticket:
    """Tell the submitter where the handling stands; the next update is owed N working days later."""
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    after = case.progress_update(case_of(ticket), actor.workflow_role, now, text)
    apply_step(ticket, Action.PROGRESS_UPDATE, after, actor=actor, now=now, reason=text)
    _commit()
    return ticket


def _commit() -> None:
    add_job(compile_statistics)
    commit_and_relay()
