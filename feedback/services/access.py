"""Who may see and do what: staff and tickets, administrators, the leaders' dashboard. Enforced
here, in the services, so no page can forget it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, and_, false, or_, select

from feedback.extensions import db
from feedback.models import Contribution, Ticket, User
from feedback.services.errors import AccessDenied, NotFoundError
from feedback.services.notifications.mailbox import kept_channels
from workflows import Role, Status

SEES_EVERYTHING = frozenset({Role.LEADER, Role.ADMINISTRATOR})
SCREENS_SUBMISSIONS = frozenset({Role.INTAKE_OFFICER})
DASHBOARD_ROLES = frozenset({Role.LEADER, Role.ADMINISTRATOR})
# Who may assign or transfer many tickets at once from the inbox.
BULK_ROLES = frozenset({Role.DEPARTMENT_HEAD, Role.LEADER, Role.ADMINISTRATOR})


def visible_tickets(user: User) -> Select[Ticket]:
    query = select(Ticket)
    if not user.is_staff:
        # Citizens reach their own tickets through their account pages, never through this.
        return query.where(false())
    role = user.workflow_role
    if role in SEES_EVERYTHING:
        return query
    conditions = []
    if role in SCREENS_SUBMISSIONS:
        conditions.append(Ticket.status == Status.SUBMITTED.value)
    if user.department_id is not None:
        # Until intake accepts it, a submission is not yet the department's to handle.
        conditions.append(
            and_(Ticket.department_id == user.department_id, Ticket.status != Status.SUBMITTED.value)
        )
        # A cooperating department sees the tickets it was asked to contribute to.
        conditions.append(
            select(Contribution.id)
            .where(Contribution.ticket_id == Ticket.id, Contribution.department_id == user.department_id)
            .exists()
        )
    return query.where(or_(*conditions) if conditions else false())


def get_ticket_for(user: User, ticket_id: int) -> Ticket:
    """The ticket if this user may see it; NotFoundError otherwise, so ids reveal nothing."""
    ticket = db.session.scalars(visible_tickets(user).where(Ticket.id == ticket_id)).one_or_none()
    if ticket is None:
        raise NotFoundError("ticket")
    return ticket


def get_ticket_to_handle(user: User, ticket_id: int) -> Ticket:
    """The ticket if this user's department holds it (or intake screens it, or the user sees
    everything); a department that only contributes may read it but not act on it."""
    ticket = get_ticket_for(user, ticket_id)
    if not may_handle(user, ticket):
        raise AccessDenied("not this department's ticket")
    return ticket


def may_handle(user: User, ticket: Ticket) -> bool:
    role = user.workflow_role
    if role in SEES_EVERYTHING:
        return True
    if role in SCREENS_SUBMISSIONS and ticket.status == Status.SUBMITTED:
        return True
    return user.department_id is not None and ticket.department_id == user.department_id



def require_administrator(actor: User) -> None:
    if actor.workflow_role != Role.ADMINISTRATOR:
        raise AccessDenied("administrators only")


def may_read_dashboard(user: User) -> bool:
    return user.is_authenticated and user.workflow_role in DASHBOARD_ROLES


def require_dashboard(user: User) -> None:
    if not may_read_dashboard(user):
        raise AccessDenied("dashboard")


def may_act_in_bulk(user: User) -> bool:
    return user.workflow_role in BULK_ROLES


def may_answer_contribution(user: User, contribution: Contribution) -> bool:
    """The department asked answers its contribution (or a leader or administrator for it)."""
    return user.workflow_role in SEES_EVERYTHING or user.department_id == contribution.department_id


def may_read_mailbox(config: Mapping[str, Any], user: User | None) -> bool:
    """The development mailbox: everyone's in development, where a demo citizen reads their own
    messages there; otherwise administrators' only, for it holds addresses and private links."""
    if not kept_channels(config):
        return False
    if config["APP_ENV"] == "development":
        return True
    return user is not None and user.workflow_role == Role.ADMINISTRATOR
