"""The leaders' dashboard (`/dashboard/`). This package owns the blueprint; `pages` adds the pages."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user, login_required

from feedback.services.access import may_read_dashboard, require_dashboard
from feedback.views.dashboard import pages

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.add_app_template_global(may_read_dashboard)
pages.routes.register(bp)


@bp.before_request
@login_required
def require_leaders() -> None:
    require_dashboard(current_user)
