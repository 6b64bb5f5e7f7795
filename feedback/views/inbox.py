"""The staff inbox: the tickets to handle, nearest deadline first."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from feedback.models import utcnow
from feedback.services import cooperation
from feedback.services.access import inbox as inbox_for
from feedback.views.staff import bp


@bp.get("/")
def inbox() -> str:
    return render_template(
        "staff/inbox.html",
        tickets=inbox_for(current_user),
        contributions=cooperation.open_contributions(current_user),
        now=utcnow(),
    )
