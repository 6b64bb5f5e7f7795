"""The department workspace: the inbox and the ticket page with the actions the engine allows."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from feedback.forms import AcceptForm, RejectForm, ResolveForm, choices_from
from feedback.i18n import STATUS_LABELS, localized
from feedback.models import Ticket, utcnow
from feedback.services import catalog, handling
from feedback.services.access import get_ticket_for
from feedback.services.access import inbox as inbox_for
from workflows import Action, IllegalTransition, Status, allowed_actions

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
@login_required
def require_login() -> None:
    pass


@bp.get("/")
def inbox() -> str:
    return render_template("staff/inbox.html", tickets=inbox_for(current_user), now=utcnow())


@bp.get("/tickets/<int:ticket_id>")
def ticket(ticket_id: int) -> str:
    return _ticket_page(get_ticket_for(current_user, ticket_id))


@bp.post("/tickets/<int:ticket_id>/accept")
def accept(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = _accept_form(ticket)
    if not form.validate_on_submit():
        return _ticket_page(ticket, accept_form=form), 422
    return _act(ticket, lambda: handling.accept_ticket(current_user, ticket.id, int(form.department.data)),
                _("The submission was accepted."))


@bp.post("/tickets/<int:ticket_id>/reject")
def reject(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _ticket_page(ticket, reject_form=form), 422
    return _act(ticket, lambda: handling.reject_ticket(current_user, ticket.id, form.reason.data.strip()),
                _("The submission was rejected."))


@bp.post("/tickets/<int:ticket_id>/resolve")
def resolve(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = ResolveForm()
    if not form.validate_on_submit():
        return _ticket_page(ticket, resolve_form=form), 422
    return _act(ticket, lambda: handling.resolve_ticket(current_user, ticket.id, form.answer.data.strip()),
                _("The answer was published and the ticket resolved."))


def _act(ticket: Ticket, action: Callable[[], Ticket], done: str) -> Response:
    try:
        action()
    except IllegalTransition:
        # Someone else acted first, or the page was stale: say so instead of failing.
        flash(_("That action is not possible any more: the ticket is now “%(status)s”.",
                status=STATUS_LABELS[ticket.status]), "error")
    else:
        flash(done, "success")
    return redirect(url_for(".ticket", ticket_id=ticket.id))


def _accept_form(ticket: Ticket) -> AcceptForm:
    form = AcceptForm(department=str(ticket.department_id))
    form.department.choices = choices_from((d.id, localized(d, "name")) for d in catalog.handling_departments())
    return form


def _ticket_page(
    ticket: Ticket,
    accept_form: AcceptForm | None = None,
    reject_form: RejectForm | None = None,
    resolve_form: ResolveForm | None = None,
) -> str:
    actions = set(allowed_actions(Status(ticket.status), current_user.workflow_role))
    return render_template(
        "staff/ticket.html",
        ticket=ticket,
        can_accept=Action.ACCEPT in actions,
        can_reject=Action.REJECT in actions,
        can_resolve=Action.RESOLVE in actions,
        accept_form=accept_form or _accept_form(ticket),
        reject_form=reject_form or RejectForm(formdata=None),
        resolve_form=resolve_form or ResolveForm(formdata=None),
    )
