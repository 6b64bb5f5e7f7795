"""The leaders' dashboard: satisfaction and on-time rates per department, from the rollups."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Department, utcnow
from feedback.services.statistics import (
    SATISFACTION_TARGET,
    StatFilters,
    add_months,
    breakdown,
    freshness,
    may_read_dashboard,
    month_start,
    overall,
    require_dashboard,
)
from workflows import local_date

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.add_app_template_global(may_read_dashboard)


@bp.before_request
@login_required
def require_staff() -> None:
    if not current_user.is_staff:
        abort(403)


@bp.get("/")
def overview() -> str:
    require_dashboard(current_user)
    last = month_start(local_date(utcnow()))
    filters = StatFilters(first=add_months(last, -11), last=last)
    per_department = breakdown(filters, "department")
    departments = {d.id: d for d in db.session.scalars(select(Department).where(Department.id.in_(per_department)))}
    rows = sorted(
        ((departments[key], totals) for key, totals in per_department.items() if key in departments),
        key=lambda pair: (-pair[1].received, pair[0].id),
    )
    return render_template(
        "dashboard/overview.html",
        rows=rows,
        total=overall(filters),
        freshness=freshness(),
        target=SATISFACTION_TARGET,
    )
