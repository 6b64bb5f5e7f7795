"""Compiling the indicators (DESIGN.md, "Indicators") into rollup rows for the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, and_, case, delete, func, select
from sqlalchemy.orm import contains_eager
from sqlalchemy.sql import ColumnElement

from feedback.extensions import db
from feedback.models import DepartmentStats, Rating, Ticket, User, utcnow
from feedback.services.errors import AccessDenied
from workflows import OPEN, Role, Status


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)


def compile_department_stats(now: datetime | None = None) -> int:
    """Rebuild every department's rollup from the tickets; running it twice changes nothing."""
    now = now or utcnow()
    open_after_acceptance = [s.value for s in OPEN if s != Status.SUBMITTED]
    rows = db.session.execute(
        select(
            Ticket.department_id,
            func.count(Ticket.id),
            _count(Ticket.accepted_at.is_not(None)),
            _count(Ticket.status == Status.REJECTED.value),
            _count(Ticket.resolved_at.is_not(None)),
            _count(Ticket.resolved_at <= Ticket.resolve_due),
            _count(and_(Ticket.status.in_(open_after_acceptance), Ticket.resolve_due < now)),
            func.count(Rating.id),
            _count(Rating.level == "not_satisfied"),
        )
        .outerjoin(Rating, and_(Rating.ticket_id == Ticket.id, Rating.superseded.is_(False)))
        .group_by(Ticket.department_id)
    ).all()
    db.session.execute(delete(DepartmentStats))
    for department_id, *counts in rows:
        received, accepted, rejected, resolved, on_time, overdue, rated, not_satisfied = counts
        db.session.add(
            DepartmentStats(
                department_id=department_id,
                received=received,
                accepted=accepted,
                rejected=rejected,
                resolved=resolved,
                resolved_on_time=on_time,
                open_overdue=overdue,
                rated=rated,
                not_satisfied=not_satisfied,
                computed_at=now,
            )
        )
    db.session.commit()
    return len(rows)


DASHBOARD_TARGET = 0.9
DASHBOARD_ROLES = frozenset({Role.LEADER, Role.ADMINISTRATOR})


@dataclass(frozen=True)
class Overview:
    rows: list[DepartmentStats]
    total: DepartmentStats
    computed_at: datetime | None


def may_read_dashboard(user: User) -> bool:
    return user.workflow_role in DASHBOARD_ROLES


def department_overview(user: User) -> Overview:
    """The rollups for the dashboard; only leaders and administrators may read them."""
    if not may_read_dashboard(user):
        raise AccessDenied("dashboard")
    rows = list(
        db.session.scalars(
            select(DepartmentStats)
            .join(DepartmentStats.department)
            .options(contains_eager(DepartmentStats.department))
            .order_by(DepartmentStats.received.desc(), DepartmentStats.department_id)
        )
    )
    fields = ("received", "accepted", "rejected", "resolved", "resolved_on_time", "open_overdue",
              "rated", "not_satisfied")
    total = DepartmentStats(**{field: sum(getattr(row, field) for row in rows) for field in fields})
    computed_at = max((row.computed_at for row in rows), default=None)
    return Overview(rows, total, computed_at)
