"""What the ticket page shows a member of staff: the ticket with its timeline, the actions the
engine offers them, whether their answer needs approval, and who the ticket can go to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from feedback.extensions import db
from feedback.models import Contribution, Ticket, TicketEvent, User
from feedback.services.access import may_handle
from workflows import Action, Status, allowed_actions, case


def ticket_with_timeline(ticket_id: int) -> Ticket:
    # The timeline names every event's actor: load them with the events, not one by one.
    return db.session.scalars(
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .options(selectinload(Ticket.events).selectinload(TicketEvent.actor))
    ).one()


def actions_for(user: User, ticket: Ticket) -> frozenset[Action]:
    """What this user may do to the ticket: nothing unless their department holds it."""
    if not may_handle(user, ticket):
        return frozenset()
    return case.actions_offered(Status(ticket.status), user.workflow_role)


def needs_approval(ticket: Ticket, user: User) -> bool:
    """Whether this user's answer to this ticket must be approved before it is published."""
    return case.needs_approval(user.workflow_role, ticket.department.requires_approval)


def contributions_to_answer(user: User, ticket: Ticket) -> list[Contribution]:
    """The requests for a contribution that this user's department has still to answer."""
    if Action.CONTRIBUTE not in allowed_actions(Status(ticket.status), user.workflow_role):
        return []
    return [c for c in ticket.contributions if c.answered_at is None and c.department_id == user.department_id]


def department_officers(department_id: int) -> list[User]:
    """The active people of a department, whom its head may assign tickets to."""
    return list(
        db.session.scalars(
            select(User).where(User.department_id == department_id, User.active.is_(True)).order_by(User.name, User.id)
        )
    )


def assignee_names(ticket: Ticket) -> dict[int, str]:
    """The names of everyone the ticket was ever assigned to, for its timeline."""
    ids = {e.payload.get("assignee") for e in ticket.events if e.action == Action.ASSIGN.value}
    ids.discard(None)
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
