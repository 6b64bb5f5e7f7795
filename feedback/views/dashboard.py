"""The leaders' dashboard: satisfaction and on-time rates per department, from the rollups."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from feedback.services.statistics import DASHBOARD_TARGET, department_overview, may_read_dashboard

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.add_app_template_global(may_read_dashboard)


@bp.before_request
@login_required
def require_staff() -> None:
    if not current_user.is_staff:
        abort(403)


@bp.get("/")
def overview() -> str:
    overview = department_overview(current_user)
    return render_template("dashboard/overview.html", overview=overview, target=DASHBOARD_TARGET)
