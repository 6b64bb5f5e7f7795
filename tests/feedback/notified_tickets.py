"""A citizen's ticket to tell people about, steps a minute apart taken through the services, and the
notifications written for it and delivered by a real RQ worker into the development mailbox."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from feedback.demo import DEMO_PASSWORD
from feedback.extensions import db
from feedback.models import Area, Category, Department, MailboxMessage, Notification, Ticket, User
from feedback.services.intake.submissions import Submission, submit_ticket
from workflows import Role

Worker = Callable[[], bool]
NAME = "Nguyễn Thị Lan"
EMAIL = "lan.nguyen@example.com"
PHONE = "0905123456"
_titles = itertools.count(1)


def staff(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def department_id(code: str) -> int:
    return db.session.scalars(select(Department.id).where(Department.code == code)).one()


def add_staff(app: Flask, email: str, role: Role, department: str) -> str:
    """A second head or officer, or a head for a department the demo has none for."""
    with app.app_context():
        if db.session.scalar(select(User.id).where(User.email == email)) is None:
            user = User(email=email, name=email.split("@")[0], role=role.value, department_id=department_id(department))
            user.set_password(DEMO_PASSWORD)
            db.session.add(user)
            db.session.commit()
    return email


def submit(
    app: Flask,
    *,
    notify_by: str = "none",
    language: str = "vi",
    now: datetime | None = None,
) -> int:
    """A citizen's submission about a road (routed to the Department of Construction, SXD),
    with their name, email and phone; returns the ticket id."""
    number = next(_titles)
    with app.app_context():
        receipt = submit_ticket(
            Submission(
                kind="feedback",
                category_id=db.session.scalars(select(Category.id).where(Category.code == "GTDB")).one(),
                area_id=db.session.scalars(select(Area.id).where(Area.name == "Phường Nha Trang")).one(),
                title=f"Ổ gà trên đường Trần Phú số {number}",
                description=f"Ổ gà lớn số {number} gây nguy hiểm cho xe máy vào ban đêm.",
                name=NAME,
                email=EMAIL,
                phone=PHONE,
                notify_by=notify_by,
                language=language,
                consent_version="2025-07",
            ),
            actor=None,
            now=now,
        )
        return receipt.ticket.id


def ticket(ticket_id: int) -> Ticket:
    return db.session.get_one(Ticket, ticket_id)


def written(app: Flask, ticket_id: int, kinds: Any = None) -> list[tuple[str, str, str, str]]:
    """(kind, channel, recipient, language) of the ticket's notifications, in the order written."""
    with app.app_context():
        query = select(Notification).where(Notification.ticket_id == ticket_id).order_by(Notification.id)
        if kinds is not None:
            query = query.where(Notification.kind.in_(kinds))
        return [(n.kind, n.channel, n.recipient, n.language) for n in db.session.scalars(query)]


def mailbox(app: Flask, **where: Any) -> list[tuple[Notification, MailboxMessage]]:
    """The delivered messages, with their notifications, in the order written."""
    with app.app_context():
        query = select(Notification, MailboxMessage).join(
            MailboxMessage, MailboxMessage.notification_id == Notification.id
        )
        for column, value in where.items():
            query = query.where(getattr(Notification, column) == value)
        rows = [(n, m) for n, m in db.session.execute(query.order_by(Notification.id))]
        db.session.expunge_all()
        return rows


def recipients(app: Flask, ticket_id: int, kinds: Any) -> dict[str, list[str]]:
    """kind → the sorted recipients of the ticket's messages of those kinds."""
    by_kind: dict[str, list[str]] = {}
    for kind, _channel, recipient, _language in written(app, ticket_id, kinds):
        by_kind.setdefault(kind, []).append(recipient)
    return {kind: sorted(people) for kind, people in by_kind.items()}


def clock(start: datetime) -> Iterator[datetime]:
    """One minute later at every step: the steps' times keep their order."""
    return (start + timedelta(minutes=n) for n in itertools.count())
