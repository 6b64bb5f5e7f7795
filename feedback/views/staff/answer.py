"""The answer on the ticket page: saved as a draft, sent to the head for approval, approved or
sent back, and published."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from feedback.forms.handling import ApproveForm, DraftForm, ReturnAnswerForm
from feedback.services.access import get_ticket_for
from feedback.services.handling import actions as handling
from feedback.services.handling.workspace import needs_approval
from feedback.views.routes import Routes
from feedback.views.staff.page import refusal_message, run_step, ticket_page
from workflows import Refusal

routes = Routes()


def _answer_text(form: DraftForm) -> str:
    # Browsers send a textarea's line breaks as CRLF: the approved text and the published one
    # must compare equal however they were typed.
    answer: str = form.answer.data  # WTForms is untyped; DataRequired has refused an empty answer
    return answer.replace("\r\n", "\n").strip()


@routes.post("/tickets/<int:ticket_id>/resolve")
def resolve(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = DraftForm()
    if not form.validate_on_submit():
        return ticket_page(ticket, answer_form=form), 422
    return run_step(ticket, lambda: handling.resolve_ticket(current_user, ticket.id, _answer_text(form)),
                    _("The answer was published and the ticket resolved."), ("answer_form", form))


@routes.post("/tickets/<int:ticket_id>/draft")
def draft(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = DraftForm()
    if not form.validate_on_submit():
        return ticket_page(ticket, answer_form=form), 422
    if form.send.data and not needs_approval(ticket, current_user):
        form.answer.errors = [refusal_message(Refusal.APPROVAL_NOT_NEEDED, ticket)]
        return ticket_page(ticket, answer_form=form), 422
    return run_step(
        ticket,
        lambda: handling.save_draft(current_user, ticket.id, _answer_text(form), submit=form.send.data),
        _("The answer was sent to the head for approval.") if form.send.data else _("The draft was saved."),
        ("answer_form", form),
    )


@routes.post("/tickets/<int:ticket_id>/approve-answer")
def approve_answer(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        flash(_("The form had expired. Reload the page and try again."), "error")
        return redirect(url_for(".ticket", ticket_id=ticket.id))
    return run_step(ticket, lambda: handling.approve_answer(current_user, ticket.id),
                    _("The answer was approved: the officer can publish it."))


@routes.post("/tickets/<int:ticket_id>/return-answer")
def return_answer(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = ReturnAnswerForm()
    if not form.validate_on_submit():
        return ticket_page(ticket, return_form=form), 422
    return run_step(ticket, lambda: handling.return_answer(current_user, ticket.id, form.reason.data.strip()),
                    _("The answer was sent back with your comment."), ("return_form", form))
