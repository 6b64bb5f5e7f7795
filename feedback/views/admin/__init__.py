"""Administration (`/admin/`): how the engine works, the province's structure, subjects, staff,
API clients and background jobs. This package owns the blueprint; each module adds its pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import format_date, format_percent
from flask_login import current_user, login_required

from feedback.forms.admin import URGENCY_LABELS
from feedback.services.access import require_administrator
from feedback.views.admin import api_clients, engine, jobs, organisation, subjects, users

bp = Blueprint("admin", __name__, url_prefix="/admin")
for module in (engine, organisation, subjects, users, api_clients, jobs):
    module.routes.register(bp)

# Intake officers check where a submission would go before they accept it; every other page
# changes how the engine works and is for administrators.
OPEN_TO_STAFF = {"admin.try_it"}


@bp.before_request
@login_required
def require_access() -> None:
    if not current_user.is_staff:
        abort(403)
    if request.endpoint not in OPEN_TO_STAFF:
        require_administrator(current_user)


@bp.context_processor
def page_helpers() -> dict[str, Any]:
    return {
        "check_share": engine.CHECK_RULE_SHARE,
        "check_share_label": format_percent(engine.CHECK_RULE_SHARE),
        "day_label": lambda day: format_date(day, "dd/MM/yyyy"),
        # Deadlines are checked against weekends and holidays: the weekday saves a look at a calendar.
        "weekday": lambda moment: format_date(moment, "EEEE"),
        "urgency_label": lambda code: URGENCY_LABELS.get(code, code),
    }


@bp.get("/")
def index() -> str:
    return render_template("admin/index.html")
