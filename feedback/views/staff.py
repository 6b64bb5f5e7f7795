"""The department workspace: the inbox and the ticket page with the actions the engine allows."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from feedback.forms import AcceptForm, RejectForm, RequestInfoForm, ResolveForm, choices_from
from feedback.i18n import STATUS_LABELS, localized
from feedback.models import Ticket, utcnow
from feedback.services import catalog, handling
from feedback.services.access import get_ticket_for
from feedback.services.access import inbox as inbox_for
from feedback.services.submissions import open_ticket
from feedback.views.public import submission_page
from feedback.views.tracking import send_attachment
from workflows import Action, IllegalTransition, Status, allowed_actions

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
@login_required
def require_staff() -> None:
    if not current_user.is_staff:
        abort(403)


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


@bp.post("/tickets/<int:ticket_id>/request-info")
def request_info(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = RequestInfoForm()
    if not form.validate_on_submit():
        return _ticket_page(ticket, request_form=form), 422
    return _act(ticket, lambda: handling.request_information(current_user, ticket.id, form.question.data.strip()),
                _("The question was sent to the submitter; the deadline is stopped until they answer."))


@bp.get("/tickets/<int:ticket_id>/files/<int:attachment_id>")
def attachment(ticket_id: int, attachment_id: int) -> Response:
    return send_attachment(get_ticket_for(current_user, ticket_id), attachment_id)


@bp.route("/submissions/new", methods=["GET", "POST"])
def enter() -> Response | tuple[str, int] | str:
    """A submission received by hotline, at the counter or by letter, entered for the person."""
    return submission_page(actor=current_user, staff=True)


@bp.get("/submissions/entered")
def entered() -> Response | str:
    receipt = session.get("receipt")
    if not receipt:
        return redirect(url_for(".enter"))
    ticket = open_ticket(receipt["code"], receipt["secret"])
    link = url_for("tracking.track", code=ticket.code, secret=receipt["secret"], _external=True)
    return render_template("staff/entered.html", ticket=ticket, link=link, secret=receipt["secret"])


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
    request_form: RequestInfoForm | None = None,
) -> str:
    actions = set(allowed_actions(Status(ticket.status), current_user.workflow_role))
    return render_template(
        "staff/ticket.html",
        ticket=ticket,
        can_accept=Action.ACCEPT in actions,
        can_reject=Action.REJECT in actions,
        can_resolve=Action.RESOLVE in actions,
        # Asking from "accepted" starts the work first, which the same roles may do.
        can_request_info=Action.REQUEST_INFO in actions or Action.START in actions,
        accept_form=accept_form or _accept_form(ticket),
        reject_form=reject_form or RejectForm(formdata=None),
        resolve_form=resolve_form or ResolveForm(formdata=None),
        request_form=request_form or RequestInfoForm(formdata=None),
    )
