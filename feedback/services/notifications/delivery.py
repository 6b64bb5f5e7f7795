"""Sending notifications: claim, render, send, record.

Running a delivery job twice, or two at once, sends nothing twice: a message is sent only by
the worker that claimed it (a lease in the row), and only while it is pending. A worker that
outlives its lease loses the message to the next claim: it hands the message over, and records
an outcome, only if nobody has claimed it since (the attempt count tells). The sweep
re-enqueues what is pending and due — a retry after its backoff, a job Redis lost, a message
whose worker was killed before handing it over — so the database, not Redis, is the record.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from sqlalchemy import CursorResult, func, or_, select, update

from feedback import codes
from feedback.background.outbox import commit_and_relay
from feedback.extensions import db
from feedback.models import Notification, Ticket, TicketEvent, User, utcnow
from feedback.services.access import require_administrator
from feedback.services.notifications.messages import enqueue_delivery
from feedback.services.notifications.senders import (
    Outgoing,
    PermanentError,
    Sender,
    TakenOver,
    TransientError,
    UncertainDelivery,
    make_sender,
)
from feedback.text import without_accents

log = logging.getLogger(__name__)
SWEEP_LIMIT = 5000


def deliver(ids: Iterable[int]) -> int:
    """Send the given messages that are still pending; returns how many went out."""
    senders: dict[str, Sender] = {}
    sent = 0
    try:
        for notification_id in ids:
            if not _claim(notification_id):
                continue
            notification = db.session.get(Notification, notification_id)
            assert notification is not None
            if notification.channel not in senders:
                senders[notification.channel] = make_sender(notification.channel, current_app.config)
            sent += _send(notification, senders[notification.channel])
    finally:
        for sender in senders.values():
            sender.close()
    return sent


def sweep(now: datetime | None = None) -> int:
    """Enqueue the pending messages that are due; mark those whose worker died after the point
    of no return as uncertain. Returns how many were enqueued."""
    now = now or utcnow()
    lease = timedelta(seconds=current_app.config["NOTIFICATION_LEASE_SECONDS"])
    db.session.execute(
        update(Notification)
        .where(Notification.status == "sending", Notification.lease_until < now)
        .values(
            status="uncertain", last_error="The worker stopped after handing the message over; it may have arrived."
        )
    )
    due = list(
        db.session.scalars(
            select(Notification)
            .where(
                Notification.status == "pending",
                Notification.retry_at <= now,
                or_(Notification.lease_until.is_(None), Notification.lease_until < now),
            )
            .order_by(Notification.retry_at, Notification.id)
            .limit(SWEEP_LIMIT)
        )
    )
    for notification in due:
        # Not again before a job has had the time to take it.
        notification.retry_at = now + lease
    enqueue_delivery([notification.id for notification in due])
    commit_and_relay()
    return len(due)


def send_again(actor: User, notification_id: int) -> Notification:
    """An administrator's decision to send a failed or uncertain message once more."""
    require_administrator(actor)
    notification = db.get_or_404(Notification, notification_id)
    if notification.status not in ("failed", "uncertain"):
        raise ValueError("only failed or uncertain messages are sent again")
    notification.status = "pending"
    notification.lease_until = None
    notification.retry_at = utcnow()
    enqueue_delivery([notification.id])
    commit_and_relay()
    return notification


@dataclass(frozen=True)
class DeliveryCounts:
    pending: int
    sent: int
    failed: int
    uncertain: int


def delivery_counts() -> DeliveryCounts:
    rows = dict(db.session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all())
    return DeliveryCounts(
        pending=rows.get("pending", 0) + rows.get("sending", 0),
        sent=rows.get("sent", 0),
        failed=rows.get("failed", 0),
        uncertain=rows.get("uncertain", 0),
    )


def render(notification: Notification) -> Outgoing:
    """The message as it leaves: in the recipient's language, with links to the public address."""
    config = current_app.config
    template = f"messages/{notification.kind}.txt"
    with current_app.test_request_context(base_url=config["PUBLIC_URL"]), force_locale(notification.language):
        context = _context(notification)
        subject = " ".join(render_template(template, part="subject", **context).split())
        if notification.channel == "sms":
            body = " ".join(without_accents(render_template(template, part="sms", **context)).split())
        else:
            body = render_template(template, part="body", **context).strip() + "\n"
    digest = hashlib.sha256(notification.key.encode()).hexdigest()[:16]
    host = urlsplit(config["PUBLIC_URL"]).hostname or "localhost"
    return Outgoing(
        notification_id=notification.id,
        channel=notification.channel,
        recipient=notification.recipient,
        subject=subject,
        body=body,
        language=notification.language,
        message_id=f"<pakn.{notification.id}.{digest}@{host}>",
    )


def _context(notification: Notification) -> dict[str, Any]:
    ticket: Ticket | None = notification.ticket
    params = notification.params
    context: dict[str, Any] = {
        "notification": notification,
        "ticket": ticket,
        "params": params,
        "to_submitter": notification.key.endswith(":submitter"),
    }
    event_id = params.get("event")
    context["event"] = db.session.get(TicketEvent, event_id) if event_id else None
    if ticket is not None:
        token = codes.link_token(current_app.config["SECRET_KEY"], ticket.code, ticket.secret_hash)
        context["track_url"] = url_for("tracking.track", code=ticket.code, secret=token, _external=True)
        context["public_url"] = url_for("board.ticket", code=ticket.code, _external=True)
        context["staff_url"] = url_for("staff.ticket", ticket_id=ticket.id, _external=True)
    if "tickets" in params:
        tickets = db.session.scalars(select(Ticket).where(Ticket.id.in_(params["tickets"]))).all()
        by_id = {t.id: t for t in tickets}
        context["tickets"] = [by_id[i] for i in params["tickets"] if i in by_id]
    context["inbox_url"] = url_for("staff.inbox", _external=True)
    return context


def _claim(notification_id: int) -> bool:
    now = utcnow()
    lease_until = now + timedelta(seconds=current_app.config["NOTIFICATION_LEASE_SECONDS"])
    # Session.execute is typed as returning a Result; for an UPDATE it is a CursorResult, with the rowcount.
    claimed = cast(CursorResult[Any], db.session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == "pending",
            or_(Notification.lease_until.is_(None), Notification.lease_until < now),
        )
        .values(lease_until=lease_until, retry_at=lease_until, attempts=Notification.attempts + 1)
    ))
    db.session.commit()
    return bool(claimed.rowcount)


def _send(notification: Notification, sender: Sender) -> int:
    notification_id = notification.id
    # This worker's claim. A worker that holds a message past its lease may have been replaced
    # by another, whose claim counted one more attempt: from then on the outcome is theirs.
    attempt = notification.attempts
    try:
        message = render(notification)
    except Exception as error:
        # A broken template must not hold up the rest of the batch; it is listed for administrators.
        log.exception("cannot render notification %s", notification_id)
        return _finish(notification_id, attempt, "failed", f"{type(error).__name__}: {error}")
    # No transaction stays open while the message travels: on SQLite, a snapshot held across
    # another connection's write could not be turned into the write that records the outcome.
    db.session.commit()

    def point_of_no_return() -> None:
        # A CursorResult, as for the claim above.
        handed_over = cast(CursorResult[Any], db.session.execute(
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.status == "pending",
                Notification.attempts == attempt,
            )
            .values(status="sending")
        ))
        db.session.commit()
        if not handed_over.rowcount:
            raise TakenOver(f"notification {notification_id} was claimed again after attempt {attempt}")

    try:
        sender.send(message, point_of_no_return)
    except TakenOver:
        log.warning("notification %s was taken over by another worker; not sent by this one", notification_id)
        return 0
    except TransientError as error:
        return _retry_later(notification_id, attempt, str(error))
    except PermanentError as error:
        return _finish(notification_id, attempt, "failed", str(error))
    except UncertainDelivery as error:
        return _finish(notification_id, attempt, "uncertain", str(error))
    _finish(notification_id, attempt, "sent", "", sent_at=utcnow())
    return 1


def _retry_later(notification_id: int, attempt: int, error: str) -> int:
    delays: tuple[int, ...] = current_app.config["NOTIFICATION_RETRY_DELAYS"]
    if attempt > len(delays):
        return _finish(notification_id, attempt, "failed", f"Gave up after {attempt} attempts: {error}")
    retry_at = utcnow() + timedelta(seconds=delays[attempt - 1])
    return _finish(notification_id, attempt, "pending", error, retry_at=retry_at)


def _finish(notification_id: int, attempt: int, status: str, error: str, **values: Any) -> int:
    """Record the outcome of this worker's attempt, unless another has claimed the message since."""
    db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.attempts == attempt)
        .values(status=status, lease_until=None, last_error=error[:2000], **values)
    )
    db.session.commit()
    return 0
