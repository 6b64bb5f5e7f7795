"""Citizen accounts: optional, for people who want their submissions in one place."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from feedback.extensions import db
from feedback.models import CITIZEN_ROLE, Ticket, TicketEvent, TicketFollower, User

MIN_PASSWORD_LENGTH = 10


class EmailTaken(ValueError):
    """Another account uses this email address; which kind of account is not said."""


class WrongPassword(ValueError):
    pass


class WeakPassword(ValueError):
    pass


def register_citizen(email: str, password: str, name: str, phone: str = "") -> User:
    email = _normalize_email(email)
    _check_strength(password)
    if _email_in_use(email):
        raise EmailTaken(email)
    user = User(email=email, name=name.strip(), phone=phone.strip(), role=CITIZEN_ROLE, department_id=None)
    user.set_password(password)
    db.session.add(user)
    _commit_unless_email_taken(email)
    return user


def update_profile(user: User, name: str, phone: str, email: str) -> User:
    email = _normalize_email(email)
    if email != user.email and _email_in_use(email):
        raise EmailTaken(email)
    user.name = name.strip()
    user.phone = phone.strip()
    user.email = email
    _commit_unless_email_taken(email)
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise WrongPassword()
    _check_strength(new)
    user.set_password(new)
    db.session.commit()


def my_tickets(user: User) -> list[Ticket]:
    """The tickets this account submitted, newest first."""
    query = (
        select(Ticket)
        .where(Ticket.submitter_id == user.id)
        .options(joinedload(Ticket.department), joinedload(Ticket.category))
        .order_by(Ticket.submitted_at.desc(), Ticket.id.desc())
    )
    return list(db.session.scalars(query))


def followed_tickets(user: User) -> list[Ticket]:
    """The tickets this account follows, the most recently followed first."""
    query = (
        select(Ticket)
        .join(TicketFollower, TicketFollower.ticket_id == Ticket.id)
        .where(TicketFollower.user_id == user.id)
        .options(joinedload(Ticket.department), joinedload(Ticket.category))
        .order_by(TicketFollower.created_at.desc(), TicketFollower.id.desc())
    )
    return list(db.session.scalars(query))


def delete_account(user: User) -> None:
    """Erase the account (Decree 13/2023). Its tickets stay, detached from it, with the contact
    details given when they were submitted: handling them, and the record, still need those."""
    if user.is_staff:
        raise ValueError("staff accounts are deactivated, not deleted")
    db.session.execute(update(Ticket).where(Ticket.submitter_id == user.id).values(submitter_id=None))
    db.session.execute(delete(TicketFollower).where(TicketFollower.user_id == user.id))
    # The event log keeps that the submitter acted, no longer which account did.
    db.session.execute(update(TicketEvent).where(TicketEvent.actor_id == user.id).values(actor_id=None))
    db.session.delete(user)
    db.session.commit()


def _normalize_email(email: str) -> str:
    return email.strip().lower()


def _check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword()


def _email_in_use(email: str) -> bool:
    # Staff addresses were not always stored in lower case: compare as sign-in does.
    return db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None


def _commit_unless_email_taken(email: str) -> None:
    try:
        db.session.commit()
    except IntegrityError as error:
        # Someone took the address between the check and the commit.
        db.session.rollback()
        raise EmailTaken(email) from error
