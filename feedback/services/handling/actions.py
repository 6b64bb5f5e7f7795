"""What the department does with a ticket: accept or reject it, assign it, note, ask the
submitter, extend the deadline once, tell the submitter how it is going, draft the answer and
have it approved, resolve it with the answer."""

from __future__ import annotations

from datetime import datetime

from feedback.background.outbox import commit_and_relay
from feedback.extensions import db
from feedback.models import Department, Ticket, User, utcnow
from feedback.services.access import get_ticket_to_handle
from feedback.services.deadlines.policies import clock_for
from feedback.services.errors import NotFoundError
from feedback.services.handling.events import apply_step, case_of
from feedback.services.intake.submissions import searchable_text
from workflows import Action, Refusal, Status, StepRefused, case


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
    commit_and_relay()
    return ticket


def reject_ticket(actor: User, ticket_id: int, reason: str, *, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    after = case.reject(case_of(ticket), actor.workflow_role, now, reason)
    apply_step(ticket, Action.REJECT, after, actor=actor, now=now, reason=reason)
    commit_and_relay()
    return ticket


def resolve_ticket(actor: User, ticket_id: int, answer: str, *, now: datetime | None = None) -> Ticket:
    """Publish the answer and resolve; the submitter is then asked to rate it."""
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    before = case_of(ticket)
    after = case.resolve(before, actor.workflow_role, now, ticket.department.requires_approval)
    if case.needs_approval(actor.workflow_role, ticket.department.requires_approval) and answer != ticket.draft_answer:
        # The approval is of a text: a changed answer needs approving again.
        raise StepRefused(Refusal.ANSWER_DIFFERS_FROM_APPROVED, before.status, Action.RESOLVE, actor.workflow_role)
    apply_step(ticket, Action.RESOLVE, after, actor=actor, now=now, payload={"answer": answer})
    ticket.answer = answer
    ticket.draft_answer = None
    ticket.search_text = searchable_text(ticket)
    commit_and_relay()
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
    commit_and_relay()
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
    commit_and_relay()
    return ticket


def post_progress_update(actor: User, ticket_id: int, text: str, *, now: datetime | None = None) -> Ticket:
    """Tell the submitter where the handling stands; the next update is owed N working days later."""
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    after = case.progress_update(case_of(ticket), actor.workflow_role, now, text)
    apply_step(ticket, Action.PROGRESS_UPDATE, after, actor=actor, now=now, reason=text)
    commit_and_relay()
    return ticket


def assign_ticket(actor: User, ticket_id: int, assignee_id: int | None, *, now: datetime | None = None) -> Ticket:
    """Give the ticket to an officer of its department, or take it (officers may only take it)."""
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    if assignee_id is not None:
        assignee = db.session.get(User, assignee_id)
        if assignee is None or not assignee.active or assignee.department_id != ticket.department_id:
            raise NotFoundError("officer of this department")
    after = case.assign(case_of(ticket), actor.workflow_role, assignee_id, actor.id)
    apply_step(ticket, Action.ASSIGN, after, actor=actor, now=now, payload={"assignee": assignee_id}, is_public=False)
    commit_and_relay()
    return ticket


def add_note(actor: User, ticket_id: int, text: str, *, now: datetime | None = None) -> Ticket:
    """An internal note for colleagues; the submitter never sees it."""
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    after = case.record(case_of(ticket), Action.NOTE, actor.workflow_role, text)
    apply_step(ticket, Action.NOTE, after, actor=actor, now=now, reason=text, is_public=False)
    commit_and_relay()
    return ticket


def save_draft(actor: User, ticket_id: int, text: str, *, submit: bool = False, now: datetime | None = None) -> Ticket:
    """Keep the answer being written; with `submit`, send it to the head for approval."""
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    drafted = case.draft_answer(case_of(ticket), actor.workflow_role)
    apply_step(ticket, Action.DRAFT_ANSWER, drafted, actor=actor, now=now, is_public=False)
    ticket.draft_answer = text
    if submit:
        submitted = case.submit_answer(drafted, actor.workflow_role)
        apply_step(ticket, Action.SUBMIT_ANSWER, submitted, actor=actor, now=now, is_public=False)
    commit_and_relay()
    return ticket


def approve_answer(actor: User, ticket_id: int, *, now: datetime | None = None) -> Ticket:
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    after = case.approve_answer(case_of(ticket), actor.workflow_role)
    apply_step(ticket, Action.APPROVE_ANSWER, after, actor=actor, now=now, is_public=False)
    commit_and_relay()
    return ticket


def return_answer(actor: User, ticket_id: int, reason: str, *, now: datetime | None = None) -> Ticket:
    """Send the draft back to its writer with what to change."""
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    after = case.return_answer(case_of(ticket), actor.workflow_role, reason)
    apply_step(ticket, Action.RETURN_ANSWER, after, actor=actor, now=now, reason=reason, is_public=False)
    commit_and_relay()
    return ticket
