"""Departments working together on a ticket: transfers (at most two before a leader decides),
and contributions the lead department asks of cooperating departments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from feedback.background.outbox import commit_and_relay
from feedback.extensions import db
from feedback.models import Contribution, Department, Ticket, User, utcnow
from feedback.services.access import get_ticket_for, get_ticket_to_handle, may_answer_contribution
from feedback.services.deadlines.calendar import working_calendar
from feedback.services.errors import AccessDenied, NotFoundError
from feedback.services.handling.events import apply_step, case_of
from workflows import TRANSITIONS, Action, Escalation, Refusal, case

# How long a cooperating department has to contribute, unless the lead department says.
DEFAULT_CONTRIBUTION_DAYS = 5
MAX_CONTRIBUTION_DAYS = 20


def transfer_ticket(
    actor: User, ticket_id: int, department_id: int, reason: str, *, now: datetime | None = None
) -> Ticket:
    """Hand the ticket to another department with a reason. After two transfers only a leader
    (or an administrator) may move it again: the engine refuses anyone else."""
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    department = _handling_department(department_id)
    before = case_of(ticket)
    after = case.transfer(before, actor.workflow_role, department.code, reason)
    apply_step(
        ticket,
        Action.TRANSFER,
        after,
        actor=actor,
        now=now,
        reason=reason,
        payload={"from": before.department, "to": department.code},
    )
    commit_and_relay()
    return ticket


def ask_leader_to_decide(actor: User, ticket_id: int, reason: str, *, now: datetime | None = None) -> Ticket:
    """Once a ticket has used up its transfers, the department holding it asks a leader to
    say which department handles it."""
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    after = case.request_decision(case_of(ticket), actor.workflow_role, reason)
    apply_step(
        ticket, Action.ESCALATE, after, actor=actor, now=now, reason=reason,
        payload={"level": Escalation.LEADER.value, "why": "transfer_decision"}, is_public=False,
    )
    commit_and_relay()
    return ticket


def request_contribution(
    actor: User, ticket_id: int, department_id: int, request: str, days: int, *, now: datetime | None = None
) -> Contribution:
    """Ask a cooperating department for its part of the answer, due in `days` working days."""
    now = now or utcnow()
    ticket = get_ticket_to_handle(actor, ticket_id)
    department = _handling_department(department_id)
    if department.id == ticket.department_id:
        raise case.StepRefused(
            Refusal.SAME_DEPARTMENT, case_of(ticket).status, Action.REQUEST_CONTRIBUTION, actor.workflow_role
        )
    if not 1 <= days <= MAX_CONTRIBUTION_DAYS:
        raise ValueError("contribution_days_out_of_range")
    after = case.record(case_of(ticket), Action.REQUEST_CONTRIBUTION, actor.workflow_role, request)
    due = working_calendar().add_working_days(now, days)
    contribution = Contribution(
        ticket=ticket, department=department, request=request, due=due, requested_by=actor, requested_at=now
    )
    db.session.add(contribution)
    apply_step(
        ticket,
        Action.REQUEST_CONTRIBUTION,
        after,
        actor=actor,
        now=now,
        reason=request,
        payload={"department": department.code, "due": due.isoformat()},
        is_public=False,
    )
    commit_and_relay()
    return contribution


def answer_contribution(
    actor: User, ticket_id: int, contribution_id: int, answer: str, *, now: datetime | None = None
) -> Contribution:
    """The cooperating department's contribution, which the lead department reads in the timeline."""
    now = now or utcnow()
    ticket = get_ticket_for(actor, ticket_id)
    contribution = db.session.get(Contribution, contribution_id)
    if contribution is None or contribution.ticket_id != ticket.id or contribution.answered_at is not None:
        raise NotFoundError("contribution")
    if not may_answer_contribution(actor, contribution):
        raise AccessDenied("another department's contribution")
    after = case.record(case_of(ticket), Action.CONTRIBUTE, actor.workflow_role, answer)
    contribution.answer = answer
    contribution.answered_by = actor
    contribution.answered_at = now
    apply_step(
        ticket,
        Action.CONTRIBUTE,
        after,
        actor=actor,
        now=now,
        reason=answer,
        payload={"department": contribution.department.code, "contribution": contribution.id},
        is_public=False,
    )
    commit_and_relay()
    return contribution


def open_contributions(user: User) -> list[Contribution]:
    """What the user's department was asked to contribute and has not answered, soonest first."""
    if user.department_id is None:
        return []
    return list(
        db.session.scalars(
            select(Contribution)
            .join(Contribution.ticket)
            .where(
                Contribution.department_id == user.department_id,
                Contribution.answered_at.is_(None),
                Ticket.status.in_([s.value for s in TRANSITIONS[Action.CONTRIBUTE].sources]),
            )
            .order_by(Contribution.due)
        )
    )


def _handling_department(department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None or department.external:
        raise NotFoundError("department")
    return department
