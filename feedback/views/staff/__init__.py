"""The department workspace (`/staff/`): the inbox, the ticket page and its actions, the answer,
and submissions entered for people. This package owns the blueprint; each module adds its pages."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user, login_required

from feedback.views.staff import answer, inbox, ticket

bp = Blueprint("staff", __name__, url_prefix="/staff")
for module in (inbox, ticket, answer):
    module.routes.register(bp)


@bp.before_request
@login_required
def require_staff() -> None:
    if not current_user.is_staff:
        abort(403)
