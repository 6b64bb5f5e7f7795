"""Who is told what: notification rows, written in the same transaction as the change.

Each row has a key, so asking twice for the same message (a retried request, two sweeps)
writes it once. Delivery is enqueued through the outbox after the commit (delivery.py sends).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from feedback.background.outbox import add_job_for_each
from feedback.background.registry import DELIVER_NOTIFICATIONS
from feedback.extensions import db
from feedback.models import Department, Notification, Ticket, TicketEvent, TicketFollower, User, utcnow
from workflows import Action, Role, Status

# What the submitter hears of each step of their ticket.
SUBMITTER_KINDS: dict[str, str] = {
    Action.SUBMIT: "acknowledgement",
    Action.ACCEPT: "accepted",
    Action.REJECT: "rejected",
    Action.TRANSFER: "transferred",
    Action.REQUEST_INFO: "info_requested",
    Action.EXTEND: "extended",
    Action.PROGRESS_UPDATE: "progress",
    Action.RESOLVE: "answered",
    Action.CLOSE: "closed",
}
# People following a published ticket hear when it is answered, reopened or closed.
FOLLOWER_ACTIONS = frozenset({Action.RESOLVE, Action.REOPEN, Action.CLOSE})
# Staff hear of the steps that put work on their desk.
STAFF_KINDS: dict[str, str] = {
    Action.ESCALATE: "escalated",
    Action.ASSIGN: "assigned",
    Action.PROVIDE_INFO: "info_provided",
    Action.REOPEN: "reopened",
    Action.SUBMIT_ANSWER: "answer_for_approval",
    Action.RETURN_ANSWER: "answer_returned",
    Action.TRANSFER: "transferred_in",
    Action.REQUEST_CONTRIBUTION: "contribution_requested",
}
BATCH_SIZE = 50
# The steps of this transaction whose messages are still to be written (see notify_event); the
# outbox forgets it with the rest of a transaction rolled back (its keys start "commit.").
_OWED = "commit.notifications.owed"
# Made once: building a statement costs more than running it. Core, not the ORM: no object to keep.
_NOTIFICATION = cast(Table, Notification.__table__)
_INSERT_UNLESS_KEPT = {
    name: insert(_NOTIFICATION).on_conflict_do_nothing(index_elements=["key"]).returning(_NOTIFICATION.c.id)
    for name, insert in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))
}


def notify_event(ticket: Ticket, event: TicketEvent) -> None:
    """Owe the messages a step of the engine causes. They are written as the transaction commits
    (`write_owed_messages`), when one flush has given every step's event its id: a sweep that
    takes hundreds of steps flushes once, not once a step."""
    db.session.info.setdefault(_OWED, []).append((ticket, event))


def write_owed_messages(session: Session) -> None:
    """Write the messages the transaction's steps owe, and enqueue their delivery (run by the
    outbox before it writes its jobs)."""
    owed: list[tuple[Ticket, TicketEvent]] = session.info.pop(_OWED, [])
    if not owed:
        return
    session.flush()
    oldest = utcnow() - timedelta(hours=current_app.config["NOTIFICATION_MAX_AGE_HOURS"])
    # Imported or replayed history: news of it now would mislead.
    recent = [(ticket, event) for ticket, event in owed if event.created_at >= oldest]
    followed = _followers([t.id for t, e in recent if Action(e.action) in FOLLOWER_ACTIONS and t.is_public])
    messages = [m for ticket, event in recent for m in _messages_of(ticket, event, followed.get(ticket.id, []))]
    enqueue_delivery(write(messages))


def _followers(ticket_ids: list[int]) -> dict[int, list[TicketFollower]]:
    """The followers of these tickets, in one query for the whole transaction."""
    found: dict[int, list[TicketFollower]] = {}
    if ticket_ids:
        query = select(TicketFollower).where(TicketFollower.ticket_id.in_(set(ticket_ids))).order_by(TicketFollower.id)
        for follower in db.session.scalars(query):
            found.setdefault(follower.ticket_id, []).append(follower)
    return found


def _messages_of(ticket: Ticket, event: TicketEvent, followers: list[TicketFollower]) -> Iterator[dict[str, Any]]:
    action, about, now = Action(event.action), {"event": event.id}, event.created_at
    kind = SUBMITTER_KINDS.get(action)
    # Closing after the submitter's own rating needs no message; the others tell them.
    if kind and not (action == Action.CLOSE and event.actor_role == Role.SUBMITTER):
        yield from _to_submitter(ticket, f"e{event.id}", kind, about, now)
    if action in FOLLOWER_ACTIONS and ticket.is_public:
        for follower in followers:
            yield from message(
                f"e{event.id}:f{follower.id}", "followed_update", "email", follower.email,
                language=follower.language, ticket=ticket, params=about, now=now,
            )
    staff_kind = STAFF_KINDS.get(action)
    if staff_kind:
        for user in _staff_recipients(ticket, event):
            yield from message(
                f"e{event.id}:u{user.id}", staff_kind, "email", user.email, language=staff_language(),
                ticket=ticket, user=user, params=about, now=now,
            )


def submitter_message(
    ticket: Ticket, key: str, kind: str, params: dict[str, Any], now: datetime
) -> list[dict[str, Any]]:
    """A message to the submitter that no event causes (the rating reminder), to `write`."""
    return list(_to_submitter(ticket, key, kind, params, now))


def message(
    key: str,
    kind: str,
    channel: str,
    recipient: str,
    *,
    language: str,
    now: datetime,
    ticket: Ticket | None = None,
    user: User | None = None,
    params: dict[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """The row of a message, if it has somewhere to go: to `write`, with others."""
    if recipient:
        yield {
            "key": key, "kind": kind, "channel": channel, "recipient": recipient, "language": language,
            "ticket_id": ticket.id if ticket else None, "user_id": user.id if user else None,
            "params": params or {}, "created_at": now,
            # The relay enqueues it at once; the sweep looks again only if it is still here later.
            "retry_at": utcnow() + timedelta(seconds=current_app.config["NOTIFICATION_LEASE_SECONDS"]),
        }


def write(messages: list[dict[str, Any]]) -> list[int]:
    """Write the messages whose key is new, in one statement; the ids of those written. The
    unique key settles a race with another sweep or request, without a savepoint."""
    if not messages:
        return []
    connection = db.session.connection()
    return list(connection.execute(_INSERT_UNLESS_KEPT[connection.dialect.name], messages).scalars())


def enqueue_delivery(notification_ids: Sequence[int]) -> None:
    """Delivery jobs through the outbox, BATCH_SIZE messages a job: one job per message would
    crowd the queue."""
    add_job_for_each(DELIVER_NOTIFICATIONS, notification_ids, BATCH_SIZE)


def submitter_contact(ticket: Ticket) -> tuple[str, str] | None:
    """The channel and address the submitter chose, if they left one."""
    account = ticket.submitter
    if ticket.notify_by == "email":
        address = ticket.submitter_email or (account.email if account else "")
        return ("email", address) if address else None
    if ticket.notify_by == "sms":
        phone = ticket.submitter_phone or (account.phone if account else "")
        return ("sms", phone) if phone else None
    return None


def staff_language() -> str:
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def department_heads(department_id: int) -> list[User]:
    return _active_users(Role.DEPARTMENT_HEAD, department_id)


def leaders() -> list[User]:
    return _active_users(Role.LEADER, None)


def officers_or_heads(ticket: Ticket) -> list[User]:
    """Who holds the ticket: before it is accepted, intake (department officers cannot accept
    or reject); then its assignee, or, while nobody has it, its department's officers."""
    if ticket.status == Status.SUBMITTED:
        return _active_users(Role.INTAKE_OFFICER, None)
    if ticket.assignee is not None and ticket.assignee.active:
        return [ticket.assignee]
    return _active_users(Role.DEPARTMENT_OFFICER, ticket.department_id) or department_heads(ticket.department_id)


def _to_submitter(
    ticket: Ticket, key: str, kind: str, params: dict[str, Any], now: datetime
) -> Iterator[dict[str, Any]]:
    contact = submitter_contact(ticket)
    if contact is not None:
        channel, address = contact
        yield from message(
            f"{key}:submitter", kind, channel, address, language=ticket.language, ticket=ticket, params=params, now=now
        )


def _staff_recipients(ticket: Ticket, event: TicketEvent) -> Iterable[User]:
    action = Action(event.action)
    payload = event.payload
    if action == Action.ESCALATE:
        return leaders() if payload.get("level") == "leader" else department_heads(ticket.department_id)
    if action == Action.ASSIGN:
        assignee = ticket.assignee
        return [assignee] if assignee is not None and assignee.id != event.actor_id else []
    if action == Action.RETURN_ANSWER:
        return [ticket.assignee] if ticket.assignee is not None else []
    if action in (Action.PROVIDE_INFO, Action.REOPEN):
        return officers_or_heads(ticket)
    if action in (Action.SUBMIT_ANSWER, Action.TRANSFER):
        return department_heads(ticket.department_id)
    if action == Action.REQUEST_CONTRIBUTION:
        department_id = db.session.scalar(select(Department.id).where(Department.code == payload.get("department")))
        return department_heads(department_id) if department_id else []
    return []


def _active_users(role: Role, department_id: int | None) -> list[User]:
    # Read once a transaction: a sweep tells the same department's people about many tickets.
    session = db.session()
    transaction = session.get_transaction()
    known: tuple[object, dict[tuple[Role, int | None], list[User]]] | None = session.info.get(_USERS)
    if known is None or known[0] is not transaction:
        known = session.info[_USERS] = (transaction, {})
    users = known[1]
    if (role, department_id) not in users:
        query = select(User).where(User.role == role.value, User.active.is_(True)).order_by(User.id)
        if department_id is not None:
            query = query.where(User.department_id == department_id)
        users[role, department_id] = list(session.scalars(query))
    return users[role, department_id]


_USERS = "notifications.active_users"
