"""The audit log: a hook that records what staff do and which personal data they open, and
the administrators' page that reads the log."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Flask, abort, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response
from wtforms import Form, SelectField, StringField
from wtforms.validators import Length, ValidationError

from feedback.database import begin_writing
from feedback.extensions import db
from feedback.forms.admin import DayField
from feedback.forms.base import BaseFilterForm
from feedback.models import User
from feedback.services import audit
from workflows import TIMEZONE, Role

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

# Pages that show a submitter's name and contact details: reading them is logged, not only changes.
# The mailbox's messages hold addresses and private tracking links.
PERSONAL_DATA_PAGES = {"staff.ticket", "staff.attachment", "mailbox.index", "mailbox.message"}
# The sign-in steps write their own entries, with the address that was typed.
RECORDS_ITSELF = {"auth.login", "auth.login_code"}
SIGN_IN_LABELS = {
    "login_success": _l("Signed in"),
    "login_failure": _l("Sign-in failed"),
    "login_locked": _l("Account locked after failed sign-ins"),
    "login_refused": _l("Sign-in refused while waiting or locked"),
    "totp_failure": _l("Wrong one-time code"),
    "totp_enabled": _l("One-time codes switched on"),
    "totp_disabled": _l("One-time codes switched off"),
}
DETAIL_LABELS = {
    "method": _l("method"),
    "status": _l("HTTP status"),
    "failures": _l("failures in a row"),
    "reason": _l("reason"),
    "until": _l("until"),
    "code": _l("with a code"),
}


def init_app(app: Flask) -> None:
    app.before_request(_remember_actor)
    app.after_request(_record_request)


def _is_recorded(endpoint: str | None, method: str) -> bool:
    if endpoint is None or endpoint == "static" or endpoint in RECORDS_ITSELF:
        return False
    return method == "POST" or (method == "GET" and endpoint in PERSONAL_DATA_PAGES)


def _remember_actor() -> None:
    # Taken before the view runs: signing out ends the session, and is still the staff member's act.
    if _is_recorded(request.endpoint, request.method) and current_user.is_authenticated and current_user.is_staff:
        g.audit_actor_id = current_user.id


def _record_request(response: Response) -> Response:
    actor_id = g.pop("audit_actor_id", None)
    if actor_id is None:
        return response
    try:
        if response.status_code >= 500:
            # The failed view may have left the session unusable; its changes are lost anyway.
            db.session.rollback()
        if request.method == "GET":
            begin_writing()
        audit.record(
            db.session.get(User, actor_id),
            request.remote_addr or "",
            request.endpoint or "",
            target=describe_target(request.view_args or {}),
            # The status only: a form's content may hold personal data or a password.
            details={"method": request.method, "status": response.status_code},
        )
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("Audit entry not written for %s %s", request.method, request.path)
    return response


def describe_target(view_args: dict[str, Any]) -> str:
    """{"ticket_id": 12, "attachment_id": 3} -> "ticket 12, attachment 3"."""
    return ", ".join(f"{name.removesuffix('_id').replace('_', ' ')} {value}" for name, value in view_args.items())


def _readable_day(form: Form, field: DayField) -> None:
    if field.raw_data and str(field.raw_data[0]).strip() and field.data is None:
        raise ValidationError(_l("Enter the date as day/month/year, for example 02/09/2026."))


class AuditFilterForm(BaseFilterForm):
    """Read from the query string, so a search can be linked to and paged through."""

    actor = StringField(
        _l("Account email"),
        validators=[Length(max=200, message=_l("Keep the email address under 200 characters."))],
    )
    action = SelectField(_l("Action"), validate_choice=False)
    since = DayField(_l("From"), format=["%Y-%m-%d", "%d/%m/%Y"], validators=[_readable_day])
    until = DayField(_l("To (inclusive)"), format=["%Y-%m-%d", "%d/%m/%Y"], validators=[_readable_day])


@bp.before_request
@login_required
def require_administrator() -> None:
    if current_user.role != Role.ADMINISTRATOR.value:
        abort(403)


@bp.get("/")
def index() -> tuple[str, int] | str:
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _l("All actions"))] + [
        (name, action_label(name)) for name in audit.recorded_actions()
    ]
    valid = form.validate()
    # An unreadable date shows its error and filters nothing, rather than a partial search.
    kept = _kept_filters(form) if valid else {}
    since, until = (form.since.data, form.until.data) if valid else (None, None)
    result = audit.search_entries(
        actor_email=kept.get("actor", ""),
        action=kept.get("action", ""),
        since=_start_of(since) if since else None,
        until=_start_of(until + timedelta(days=1)) if until else None,
        page=request.args.get("page", 1, type=int),
    )
    page = render_template(
        "admin/audit.html",
        form=form,
        result=result,
        kept=kept,
        action_label=action_label,
        detail_label=lambda key: DETAIL_LABELS.get(key, key),
    )
    return (page, 422) if form.errors else page


def _kept_filters(form: AuditFilterForm) -> dict[str, str]:
    """The filters in force, as query arguments that the page links keep."""
    values = {
        "actor": (form.actor.data or "").strip(),
        "action": form.action.data or "",
        "since": form.since.data.isoformat() if form.since.data else "",
        "until": form.until.data.isoformat() if form.until.data else "",
    }
    return {name: value for name, value in values.items() if value}


def action_label(name: str) -> str:
    # Other actions are endpoint names (staff.accept): the people who read the log know them.
    return str(SIGN_IN_LABELS.get(name, name))


def _start_of(day: date) -> datetime:
    # Days are Vietnam's days: an entry at 23:30 on the 1st in Hanoi is 16:30 UTC on the 1st.
    return datetime.combine(day, time.min, TIMEZONE).astimezone(UTC)
