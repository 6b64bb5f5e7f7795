"""The development mailbox: messages the "mailbox" backends kept instead of sending.

In development it is how a demo citizen reads the email their submission caused, so it is
open to everyone; a production server that deliberately keeps messages shows them only to
administrators, because they hold citizens' addresses and private tracking links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from feedback.extensions import db
from feedback.models import MailboxMessage
from feedback.services.errors import NotFoundError

PER_PAGE = 50


@dataclass(frozen=True)
class MailboxPage:
    messages: list[MailboxMessage]
    total: int
    page: int
    pages: int


def kept_channels(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The channels whose messages go to the mailbox: ("email", "sms"), one of them, or none."""
    backends = {"email": config["MAIL_BACKEND"], "sms": config["SMS_BACKEND"]}
    return tuple(channel for channel, backend in backends.items() if backend == "mailbox")


def is_open_to_everyone(config: Mapping[str, Any]) -> bool:
    return bool(kept_channels(config)) and config["APP_ENV"] == "development"


def kept_messages(recipient: str = "", page: int = 1, per_page: int = PER_PAGE) -> MailboxPage:
    """Newest first; `recipient` keeps the messages whose address contains it, in any case."""
    total = db.session.scalar(_to(select(func.count(MailboxMessage.id)), recipient)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    query = _to(select(MailboxMessage), recipient).order_by(MailboxMessage.created_at.desc(), MailboxMessage.id.desc())
    messages = db.session.scalars(query.offset((page - 1) * per_page).limit(per_page))
    return MailboxPage(messages=list(messages), total=total, page=page, pages=pages)


def kept_message(message_id: int) -> MailboxMessage:
    message = db.session.get(MailboxMessage, message_id)
    if message is None:
        raise NotFoundError("mailbox message")
    return message


def _to(query: Select[Any], recipient: str) -> Select[Any]:
    typed = recipient.strip().lower()
    if not typed:
        return query
    escaped = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return query.where(func.lower(MailboxMessage.recipient).like(f"%{escaped}%", escape="\\"))
