"""The audit log: who did what, from where, and who read personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from feedback.extensions import db
from feedback.models import AuditEntry, User, utcnow

PER_PAGE = 50
# The column widths of AuditEntry: a long target or a typed-in address is cut, not refused.
ACTOR_EMAIL_LENGTH = 200
TARGET_LENGTH = 80
ACTION_LENGTH = 60


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    pages: int


def record(
    actor: User | None,
    ip: str,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
    actor_email: str = "",
) -> AuditEntry:
    """Add one entry and commit. `actor_email` names the address typed at a failed sign-in when
    no account has it; with an actor, the actor's address is kept as it is now.

    The commit also commits whatever the caller changed before: sign-in calls this last, so the
    failure counter and its entry are saved together."""
    entry = AuditEntry(
        at=now or utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_email=(actor.email if actor is not None else actor_email.strip().lower())[:ACTOR_EMAIL_LENGTH],
        ip=ip or "",
        action=action[:ACTION_LENGTH],
        target=target[:TARGET_LENGTH],
        details=details or {},
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def search_entries(
    actor_email: str = "",
    action: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> AuditPage:
    """Entries newest first; `since` is inclusive and `until` exclusive."""
    query = _filtered(select(AuditEntry), actor_email, action, since, until)
    total = db.session.scalar(_filtered(select(func.count(AuditEntry.id)), actor_email, action, since, until)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    newest_first = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    entries = db.session.scalars(newest_first.offset((page - 1) * per_page).limit(per_page))
    return AuditPage(entries=list(entries), total=total, page=page, pages=pages)


def recorded_actions() -> list[str]:
    """Every action name in the log, for the filter's list."""
    return list(db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def _filtered(
    query: Select[Any], actor_email: str, action: str, since: datetime | None, until: datetime | None
) -> Select[Any]:
    if actor_email.strip():
        # Staff addresses were not always stored in lower case.
        query = query.where(func.lower(AuditEntry.actor_email) == actor_email.strip().lower())
    if action:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return query
