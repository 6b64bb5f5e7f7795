"""The public board: published tickets, searched without diacritics, and the people who follow them.

A ticket is published once intake has accepted it, and only if its submitter agreed to make it
public: unscreened and rejected submissions never appear, whatever their flag says.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from feedback.codes import normalize_code
from feedback.extensions import db
from feedback.models import Ticket, TicketFollower, User
from feedback.services.errors import NotFoundError
from feedback.services.ticket_filters import TicketFilters, filter_conditions
from feedback.text import shingles, similarity
from workflows import Status

PUBLISHED_STATUSES = (
    Status.ACCEPTED,
    Status.IN_PROGRESS,
    Status.WAITING_FOR_SUBMITTER,
    Status.RESOLVED,
    Status.REOPENED,
    Status.CLOSED,
)

SIMILAR_SCAN = 300
SIMILAR_MIN_SCORE = 0.10
SAME_CATEGORY_BONUS = 0.05


@dataclass(frozen=True)
class BoardPage:
    items: list[Ticket]
    total: int
    page: int
    pages: int


def is_published() -> ColumnElement[bool]:
    return and_(Ticket.is_public.is_(True), Ticket.status.in_([status.value for status in PUBLISHED_STATUSES]))


def published_tickets(filters: TicketFilters, page: int = 1, per_page: int = 20) -> BoardPage:
    """One page of the published tickets that match, newest first; the page is clamped to exist."""
    conditions = [is_published(), *filter_conditions(filters)]
    total = db.session.scalar(select(func.count(Ticket.id)).where(*conditions)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    query = (
        select(Ticket)
        .where(*conditions)
        .options(joinedload(Ticket.category), joinedload(Ticket.area))
        .order_by(Ticket.submitted_at.desc(), Ticket.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return BoardPage(items=list(db.session.scalars(query)), total=total, page=page, pages=pages)


def get_published(code: str) -> Ticket:
    """The published ticket with this code; NotFoundError for a private or unknown one, alike."""
    canonical = normalize_code(code)
    ticket = (
        db.session.scalars(select(Ticket).where(Ticket.code == canonical, is_published())).one_or_none()
        if canonical
        else None
    )
    if ticket is None:
        raise NotFoundError("ticket")
    return ticket


def similar_published(
    area_id: int,
    category_id: int | None,
    title: str,
    description: str,
    limit: int = 3,
    exclude_id: int | None = None,
) -> list[tuple[Ticket, float]]:
    """Published tickets in the same area that look like this text, best first, with their score;
    those of the same category, when one is given, score higher."""
    query = (
        select(Ticket)
        .where(is_published(), Ticket.area_id == area_id)
        .order_by(Ticket.submitted_at.desc(), Ticket.id.desc())
        .limit(SIMILAR_SCAN)
    )
    if exclude_id is not None:
        query = query.where(Ticket.id != exclude_id)
    wanted = shingles(f"{title} {description}")
    scored = []
    for candidate in db.session.scalars(query):
        score = similarity(shingles(f"{candidate.title} {candidate.description}"), wanted)
        if candidate.category_id == category_id:
            score += SAME_CATEGORY_BONUS
        if score >= SIMILAR_MIN_SCORE:
            scored.append((candidate, score))
    scored.sort(key=lambda pair: pair[1], reverse=True)
    return scored[:limit]


def follow_ticket(ticket: Ticket, email: str, *, user: User | None = None, language: str = "vi") -> TicketFollower:
    """Follow a published ticket by email; following it again changes nothing."""
    if not ticket.is_public or ticket.status not in PUBLISHED_STATUSES:
        raise NotFoundError("ticket")
    address = email.strip().lower()
    follower = _follower(ticket, address)
    if follower is None:
        follower = TicketFollower(
            ticket_id=ticket.id, email=address, user_id=user.id if user else None, language=language
        )
        try:
            with db.session.begin_nested():
                db.session.add(follower)
        except IntegrityError:
            # The same person clicked twice and the other request stored the row first.
            follower = _follower(ticket, address)
            assert follower is not None
    if user is not None and follower.user_id is None:
        # Followed by email before signing in: the account now lists it too.
        follower.user_id = user.id
    db.session.commit()
    return follower


def _follower(ticket: Ticket, email: str) -> TicketFollower | None:
    return db.session.scalars(
        select(TicketFollower).where(TicketFollower.ticket_id == ticket.id, TicketFollower.email == email)
    ).one_or_none()


def follower_count(ticket: Ticket) -> int:
    query = select(func.count(TicketFollower.id)).where(TicketFollower.ticket_id == ticket.id)
    return db.session.scalar(query) or 0
