"""What a submitter does: submit, open by secret link, rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from feedback import codes
from feedback.background.outbox import add_job, commit_and_relay
from feedback.extensions import db
from feedback.jobs import compile_statistics
from feedback.models import Area, Category, Rating, Ticket, User, utcnow
from feedback.services.calendar import deadline_policy, working_calendar
from feedback.services.errors import NotFoundError
from feedback.services.events import apply_action, record_event
from feedback.services.routing import route_submission
from workflows import Action, Role, Status, classify_deadline

RATING_LEVELS = ("satisfied", "acceptable", "not_satisfied")


@dataclass(frozen=True)
class Submission:
    kind: str
    category_id: int
    area_id: int
    title: str
    description: str
    address: str = ""
    name: str = ""
    email: str = ""
    language: str = "vi"
    channel: str = "web"


@dataclass(frozen=True)
class Receipt:
    ticket: Ticket
    secret: str


def submit_ticket(submission: Submission, *, actor: User | None, now: datetime | None = None) -> Receipt:
    now = now or utcnow()
    category = db.session.get(Category, submission.category_id)
    area = db.session.get(Area, submission.area_id)
    if category is None or not category.active or area is None:
        raise NotFoundError("category or area")
    routed = route_submission(category, area)
    secret = codes.new_secret()
    ticket = Ticket(
        code=_unused_code(),
        secret_hash=codes.hash_secret(secret),
        kind=submission.kind,
        channel=submission.channel,
        language=submission.language,
        status=Status.SUBMITTED.value,
        category=category,
        area=area,
        address=submission.address,
        title=submission.title,
        description=submission.description,
        submitter_name=submission.name,
        submitter_email=submission.email,
        department=routed.department,
        routing_rule=routed.rule,
        submitted_at=now,
        classify_due=classify_deadline(working_calendar(), now, deadline_policy()),
    )
    db.session.add(ticket)
    record_event(
        ticket,
        Action.SUBMIT,
        from_status=None,
        actor=actor,
        role=actor.workflow_role if actor else Role.SUBMITTER,
        now=now,
        payload={"department": routed.department.code, "rule": routed.rule.id if routed.rule else None},
    )
    db.session.commit()
    return Receipt(ticket, secret)


def _unused_code() -> str:
    # 32**8 codes make a collision very unlikely; checking costs one indexed lookup.
    while True:
        code = codes.new_code()
        if db.session.scalar(select(Ticket.id).where(Ticket.code == code)) is None:
            return code


def open_ticket(code: str, secret: str) -> Ticket:
    """The ticket a secret link points at; NotFoundError for any mismatch, alike."""
    canonical = codes.normalize_code(code)
    ticket = (
        db.session.scalars(select(Ticket).where(Ticket.code == canonical)).one_or_none()
        if canonical
        else None
    )
    if ticket is None or not codes.secret_matches(secret, ticket.secret_hash):
        raise NotFoundError("ticket")
    return ticket


def rate_ticket(ticket: Ticket, level: str, comment: str, *, now: datetime | None = None) -> Rating:
    """The submitter's rating of the answer; unless negative, it closes the ticket."""
    now = now or utcnow()
    if level not in RATING_LEVELS:
        raise ValueError(f"unknown rating level {level!r}")
    if ticket.status != Status.RESOLVED or ticket.rating is not None:
        raise NotFoundError("no rating is open for this ticket")
    apply_action(ticket, Action.RATE, actor=None, role=Role.SUBMITTER, now=now, payload={"rating": level})
    rating = Rating(ticket=ticket, level=level, comment=comment, created_at=now)
    db.session.add(rating)
    # A submitter who is not satisfied keeps the ticket open to reopening it.
    if level != "not_satisfied":
        apply_action(ticket, Action.CLOSE, actor=None, role=Role.SUBMITTER, now=now, payload={"rating": level})
        ticket.closed_at = now
    add_job(compile_statistics)
    commit_and_relay()
    return rating
