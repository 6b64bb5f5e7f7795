"""The staff inbox: the open tickets a user may see, filtered, searched, counted and paged by
deadline; and the bulk actions, each ticket going through its own service and engine check."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, select
from sqlalchemy.orm import selectinload

from feedback.codes import normalize_code
from feedback.extensions import db
from feedback.models import Ticket, User, utcnow
from feedback.services.access import SEES_EVERYTHING, may_act_in_bulk, visible_tickets
from feedback.services.deadlines.calendar import working_calendar
from feedback.services.errors import AccessDenied, NotFoundError
from feedback.services.handling.actions import assign_ticket
from feedback.services.handling.cooperation import transfer_ticket
from feedback.services.intake.rules import normalize_phone
from feedback.services.ticket_filters import TicketFilters, filter_conditions
from workflows import IllegalTransition, Role, Status, StepRefused

PER_PAGE = 50
DUE_SOON_WORKING_DAYS = 2
# In the order a ticket goes through them: the status filter lists them so, and the partial
# index ix_ticket_open_deadline is written with the same list in the same order.
OPEN_STATUSES = (Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS, Status.WAITING_FOR_SUBMITTER, Status.REOPENED)
ASSIGNED_TO_ME = "me"
UNASSIGNED = "none"
ESCALATED = "escalated"
DECISION_REQUESTED = "decision"
# Heads and above give tickets to others and move them between departments; officers only take
# tickets themselves, one by one, on the ticket page.


@dataclass(frozen=True)
class InboxQuery:
    # "" for every open status, else one of OPEN_STATUSES.
    status: str = ""
    category_id: int | None = None
    area_id: int | None = None
    # "" for anyone, ASSIGNED_TO_ME, UNASSIGNED, or an officer's id.
    assignee: str = ""
    channel: str = ""
    kind: str = ""
    overdue_only: bool = False
    # "", ESCALATED or DECISION_REQUESTED.
    attention: str = ""
    # A ticket code, a submitter's email or phone (exact), or words matched without accents.
    search: str = ""


@dataclass(frozen=True)
class InboxPage:
    tickets: list[Ticket]
    total: int
    overdue: int
    due_soon: int
    page: int
    pages: int
    now: datetime
    # A deadline up to this moment (and not past) is due soon.
    soon_until: datetime

    def is_overdue(self, ticket: Ticket) -> bool:
        return ticket.paused_at is None and ticket.deadline < self.now

    def is_due_soon(self, ticket: Ticket) -> bool:
        return ticket.paused_at is None and self.now <= ticket.deadline <= self.soon_until


def inbox_page(user: User, query: InboxQuery, page: int = 1, *, now: datetime | None = None) -> InboxPage:
    """One page of the open tickets this user may see that match, nearest deadline first, with
    the counts of all that match; the page is clamped to exist."""
    now = now or utcnow()
    soon_until = working_calendar().add_working_days(now, DUE_SOON_WORKING_DAYS)
    overdue, due_soon = _overdue(now), _due_between(now, soon_until)
    conditions = _conditions(user, query, overdue)
    matching = visible_tickets(user).where(*conditions)
    total, overdue_count, due_soon_count = db.session.execute(
        matching.with_only_columns(
            func.count(Ticket.id), func.count(case((overdue, 1))), func.count(case((due_soon, 1)))
        ).order_by(None)
    ).one()
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    # The page's ids first, from the indexes alone; then only those 50 rows are read whole.
    ids = list(
        db.session.scalars(
            matching.with_only_columns(Ticket.id)
            .order_by(Ticket.deadline, Ticket.id)
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        )
    )
    loaded = db.session.scalars(
        select(Ticket)
        .where(Ticket.id.in_(ids))
        .options(selectinload(Ticket.department), selectinload(Ticket.assignee), selectinload(Ticket.category))
    )
    by_id = {ticket.id: ticket for ticket in loaded}
    return InboxPage(
        tickets=[by_id[ticket_id] for ticket_id in ids],
        total=total,
        overdue=overdue_count,
        due_soon=due_soon_count,
        page=page,
        pages=pages,
        now=now,
        soon_until=soon_until,
    )


def _overdue(now: datetime) -> ColumnElement[bool]:
    # A stopped clock is not late: the deadline is set again when the submitter answers.
    return and_(Ticket.paused_at.is_(None), Ticket.deadline < now)


def _due_between(now: datetime, until: datetime) -> ColumnElement[bool]:
    return and_(Ticket.paused_at.is_(None), Ticket.deadline >= now, Ticket.deadline <= until)


def _conditions(user: User, query: InboxQuery, overdue: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    conditions = [_is_open(), *_search_conditions(query.search.strip())]
    if query.status in OPEN_STATUSES:
        conditions.append(Ticket.status == query.status)
    conditions += filter_conditions(
        TicketFilters(category_id=query.category_id, area_id=query.area_id, kind=query.kind or None)
    )
    if query.assignee == ASSIGNED_TO_ME:
        conditions.append(Ticket.assignee_id == user.id)
    elif query.assignee == UNASSIGNED:
        conditions.append(Ticket.assignee_id.is_(None))
    elif query.assignee.isdigit():
        conditions.append(Ticket.assignee_id == int(query.assignee))
    if query.channel:
        conditions.append(Ticket.channel == query.channel)
    if query.overdue_only:
        conditions.append(overdue)
    if query.attention == ESCALATED:
        conditions.append(Ticket.escalation != "")
    elif query.attention == DECISION_REQUESTED:
        conditions.append(Ticket.decision_requested.is_(True))
    return conditions


def _is_open() -> ColumnElement[bool]:
    # Written into the SQL rather than bound, in OPEN_STATUSES' order: only then does SQLite
    # see that the partial index ix_ticket_open_deadline (same list, same order) applies.
    return Ticket.status.in_(
        bindparam("open_statuses", [status.value for status in OPEN_STATUSES], expanding=True, literal_execute=True)
    )


def _search_conditions(search: str) -> list[ColumnElement[bool]]:
    """A code, an email address or a phone number finds exactly that; anything else is words."""
    if not search:
        return []
    code = normalize_code(search)
    if code:
        return [Ticket.code == code]
    if "@" in search:
        return [Ticket.submitter_email == search.lower()]
    phone = normalize_phone(search)
    if phone:
        return [Ticket.submitter_phone == phone]
    return filter_conditions(TicketFilters(query=search))


def assignable_officers(user: User) -> list[User]:
    """The active staff tickets may be given to: of the user's department, or of every
    department for those who see everything."""
    query: Select[User] = (
        select(User)
        .where(
            User.active.is_(True),
            User.role.in_([Role.DEPARTMENT_OFFICER.value, Role.DEPARTMENT_HEAD.value]),
        )
        .order_by(User.department_id, User.name, User.id)
    )
    if user.workflow_role not in SEES_EVERYTHING:
        if user.department_id is None:
            return []
        query = query.where(User.department_id == user.department_id)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Refusal:
    ticket_id: int
    # None when the ticket is not one the user may see.
    ticket: Ticket | None
    error: Exception


@dataclass(frozen=True)
class BulkOutcome:
    done: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def assign_tickets(actor: User, ticket_ids: Iterable[int], assignee_id: int) -> BulkOutcome:
    """Give each ticket to the officer; each is checked and committed on its own."""
    return _each(actor, ticket_ids, lambda ticket_id: assign_ticket(actor, ticket_id, assignee_id))


def transfer_tickets(actor: User, ticket_ids: Iterable[int], department_id: int, reason: str) -> BulkOutcome:
    """Hand each ticket to the department; each is checked and committed on its own."""
    return _each(actor, ticket_ids, lambda ticket_id: transfer_ticket(actor, ticket_id, department_id, reason))


def _each(actor: User, ticket_ids: Iterable[int], act: Callable[[int], Ticket]) -> BulkOutcome:
    if not may_act_in_bulk(actor):
        raise AccessDenied("bulk actions")
    outcome = BulkOutcome()
    for ticket_id in dict.fromkeys(ticket_ids):
        try:
            outcome.done.append(act(ticket_id).code)
        except (StepRefused, IllegalTransition, AccessDenied, NotFoundError) as error:
            # What this ticket's step wrote, if anything, goes; the tickets done before stay done.
            db.session.rollback()
            visible = db.session.scalars(visible_tickets(actor).where(Ticket.id == ticket_id)).one_or_none()
            outcome.refused.append(Refusal(ticket_id, visible, error))
    return outcome
