"""What a submitter does first: submit (on the web, or through an officer), and open by code and secret."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select

from feedback import codes
from feedback.background.outbox import commit_and_relay
from feedback.extensions import db
from feedback.models import ApiSubmission, Ticket, User, utcnow
from feedback.services.errors import NotFoundError
from feedback.services.handling.events import apply_step
from feedback.services.intake.attachments import CleanFile, store_files
from feedback.services.intake.routing import route_submission
from feedback.services.reference import current
from feedback.text import fingerprint, fold
from workflows import Action, Role, case

SUBMITTER_TYPES = ("citizen", "business")
NOTIFY_CHOICES = ("email", "sms", "none")


@dataclass(frozen=True)
class Submission:
    kind: str
    category_id: int
    area_id: int
    title: str
    description: str
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    submitter_type: str = "citizen"
    business_name: str = ""
    tax_code: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""
    notify_by: str = "none"
    is_public: bool = True
    is_anonymous: bool = False
    consent_version: str = ""
    language: str = "vi"
    channel: str = "web"
    files: tuple[CleanFile, ...] = ()
    media_url: str = ""
    # The Open311 client filing it: the ticket is recorded as that client's, with a token.
    api_client_id: int | None = None


@dataclass(frozen=True)
class Receipt:
    ticket: Ticket
    # Kept apart from the ticket, whose attributes the commit expires: reading them again is a query.
    code: str
    secret: str


class DuplicateSubmission(Exception):
    """The same text arrived a moment ago: the first ticket stands for both."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__(ticket.code)
        self.ticket = ticket


def submit_ticket(submission: Submission, *, actor: User | None, now: datetime | None = None) -> Receipt:
    """File a submission: route it, set its deadline to classify, keep its files.

    `actor` is the citizen's own account, an officer entering it on someone's behalf, or None.
    """
    now = now or utcnow()
    reference = current()
    category = reference.subject(submission.category_id)
    place = reference.areas.get(submission.area_id)
    if category is None or place is None:
        raise NotFoundError("category or area")
    text_hash = fingerprint(submission.title, submission.description)
    code = _unused_code(text_hash, now)
    routed = route_submission(category.code, place.path, f"{submission.title} {submission.description}")
    opened = case.open_case(routed.department_code, now, reference.clock(category.id, category.urgency))
    secret = codes.new_secret()
    ticket = Ticket(
        code=code,
        secret_hash=codes.hash_secret(secret),
        kind=submission.kind,
        channel=submission.channel,
        language=submission.language,
        category_id=category.id,
        area_id=place.id,
        department_id=routed.department_id,
        address=submission.address,
        latitude=submission.latitude,
        longitude=submission.longitude,
        attributes=submission.attributes,
        media_url=submission.media_url,
        title=submission.title,
        description=submission.description,
        submitter_type=submission.submitter_type,
        business_name=submission.business_name,
        tax_code=submission.tax_code,
        submitter_name=submission.name,
        submitter_email=submission.email,
        submitter_phone=submission.phone,
        notify_by=submission.notify_by,
        submitter=actor if actor is not None and not actor.is_staff else None,
        is_public=submission.is_public,
        is_anonymous=submission.is_anonymous,
        consent_at=now if submission.consent_version else None,
        consent_version=submission.consent_version,
        fingerprint=text_hash,
        routing_rule_id=routed.rule_id,
    )
    ticket.search_text = searchable_text(ticket)
    db.session.add(ticket)
    event = apply_step(
        ticket,
        Action.SUBMIT,
        opened,
        actor=actor,
        role=actor.workflow_role if actor else Role.SUBMITTER,
        now=now,
        payload={
            "department": routed.department_code,
            "rule": routed.rule_id,
            "keyword": routed.keyword,
            "channel": submission.channel,
        },
    )
    store_files(ticket, list(submission.files), event)
    if submission.api_client_id is not None:
        db.session.add(
            ApiSubmission(token=codes.new_secret(), ticket=ticket, client_id=submission.api_client_id, created_at=now)
        )
    commit_and_relay()
    return Receipt(ticket, code, secret)


def searchable_text(ticket: Ticket) -> str:
    """What the public board's search looks in: folded, so that typing without accents works."""
    return fold(" ".join(part or "" for part in (ticket.title, ticket.description, ticket.address, ticket.answer)))


# Made once, run with each submission's values: is the same text here already, is the code taken.
_EARLIER = (
    select(Ticket.id)
    .where(Ticket.fingerprint == bindparam("fingerprint"), Ticket.submitted_at >= bindparam("since"))
    .order_by(Ticket.id)
    .limit(1)
    .scalar_subquery()
)
_CHECK = select(_EARLIER, select(Ticket.id).where(Ticket.code == bindparam("code")).exists())


def _unused_code(text_hash: str, now: datetime) -> str:
    """A new tracking code, after making sure the same text did not arrive a moment ago: both
    questions in one query. 32**8 codes make a collision very unlikely; it is checked all the same."""
    since = now - timedelta(minutes=current_app.config["DUPLICATE_WINDOW_MINUTES"])
    while True:
        code = codes.new_code()
        found = {"fingerprint": text_hash, "since": since, "code": code}
        earlier_id, code_taken = db.session.connection().execute(_CHECK, found).one()
        if earlier_id is not None:
            raise DuplicateSubmission(db.session.get_one(Ticket, earlier_id))
        if not code_taken:
            return code


def open_ticket(code: str, secret: str) -> Ticket:
    """The ticket a secret link points at; NotFoundError for any mismatch, alike."""
    canonical = codes.normalize_code(code)
    ticket = db.session.scalars(select(Ticket).where(Ticket.code == canonical)).one_or_none() if canonical else None
    if ticket is None:
        raise NotFoundError("ticket")
    # The secret given at submission, or the key in the links of the messages sent since.
    token = codes.link_token(current_app.config["SECRET_KEY"], ticket.code, ticket.secret_hash)
    # As bytes: compare_digest refuses str with non-ASCII characters, which a link may carry.
    if not (codes.secret_matches(secret, ticket.secret_hash) or hmac.compare_digest(secret.encode(), token.encode())):
        raise NotFoundError("ticket")
    return ticket


def open_own_ticket(user: User, code: str) -> Ticket:
    """A ticket filed from this citizen account; NotFoundError for anyone else's."""
    canonical = codes.normalize_code(code)
    ticket = db.session.scalars(
        select(Ticket).where(Ticket.code == canonical, Ticket.submitter_id == user.id)
    ).one_or_none()
    if ticket is None or canonical is None:
        raise NotFoundError("ticket")
    return ticket
