"""The department workspace: the actions on the ticket page, and submissions entered for people
who came by telephone, letter or in person."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from feedback.forms import RejectForm, RequestInfoForm
from feedback.forms.handling import (
    AssignForm,
    ContributionAnswerForm,
    ContributionRequestForm,
    DecisionForm,
    ExtendForm,
    NoteForm,
    ProgressForm,
    TransferForm,
)
from feedback.services.access import get_ticket_for
from feedback.services.handling import actions as handling
from feedback.services.handling import cooperation
from feedback.services.intake.submissions import open_ticket
from feedback.views.public import submission_page
from feedback.views.routes import Routes
from feedback.views.staff.page import accept_form, department_choices, officer_choices, run_step, ticket_page
from feedback.views.tracking import send_attachment

routes = Routes()


@routes.get("/tickets/<int:ticket_id>")
def ticket(ticket_id: int) -> str:
    # ?template=ID fills the answer box with a standard answer, without JavaScript.
    return ticket_page(get_ticket_for(current_user, ticket_id), template_id=request.args.get("template", type=int))


@routes.post("/tickets/<int:ticket_id>/accept")
def accept(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = accept_form(ticket)
    if not form.validate_on_submit():
        return ticket_page(ticket, accept_form=form), 422
    return run_step(ticket, lambda: handling.accept_ticket(current_user, ticket.id, int(form.department.data)),
                _("The submission was accepted."))


@routes.post("/tickets/<int:ticket_id>/reject")
def reject(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return ticket_page(ticket, reject_form=form), 422
    return run_step(ticket, lambda: handling.reject_ticket(current_user, ticket.id, form.reason.data.strip()),
                _("The submission was rejected."))


@routes.post("/tickets/<int:ticket_id>/request-info")
def request_info(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = RequestInfoForm()
    if not form.validate_on_submit():
        return ticket_page(ticket, request_form=form), 422
    return run_step(ticket, lambda: handling.request_information(current_user, ticket.id, form.question.data.strip()),
                _("The question was sent to the submitter; the deadline is stopped until they answer."))


@routes.post("/tickets/<int:ticket_id>/transfer")
def transfer(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = TransferForm()
    form.department.choices = department_choices(exclude_id=ticket.department_id)
    if not form.validate_on_submit():
        return ticket_page(ticket, transfer_form=form), 422
    return run_step(ticket, lambda: cooperation.transfer_ticket(
        current_user, ticket.id, int(form.department.data), form.reason.data.strip()),
        _("The ticket was transferred."), ("transfer_form", form))


@routes.post("/tickets/<int:ticket_id>/extend")
def extend(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = ExtendForm()
    if not form.validate_on_submit():
        return ticket_page(ticket, extend_form=form), 422
    return run_step(ticket, lambda: handling.extend_deadline(
        current_user, ticket.id, form.days.required_data, form.reason.data.strip()),
        _("The deadline was extended; the submitter will see the reason."), ("extend_form", form))


@routes.post("/tickets/<int:ticket_id>/progress")
def progress(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = ProgressForm()
    if not form.validate_on_submit():
        return ticket_page(ticket, progress_form=form), 422
    return run_step(ticket, lambda: handling.post_progress_update(current_user, ticket.id, form.text.data.strip()),
                _("The progress update was published to the submitter."))


@routes.post("/tickets/<int:ticket_id>/ask-leader")
def ask_leader(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return ticket_page(ticket, decision_form=form), 422
    return run_step(ticket, lambda: cooperation.ask_leader_to_decide(current_user, ticket.id, form.reason.data.strip()),
                _("A leader was asked to decide which department handles the ticket."))


@routes.post("/tickets/<int:ticket_id>/contributions")
def request_contribution(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = ContributionRequestForm()
    form.department.choices = department_choices(exclude_id=ticket.department_id)
    if not form.validate_on_submit():
        return ticket_page(ticket, contribution_form=form), 422
    return run_step(ticket, lambda: cooperation.request_contribution(
        current_user, ticket.id, int(form.department.data), form.request.data.strip(), form.days.required_data),
        _("The department was asked for its contribution."), ("contribution_form", form))


@routes.post("/tickets/<int:ticket_id>/contributions/<int:contribution_id>")
def contribute(ticket_id: int, contribution_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = ContributionAnswerForm(prefix=f"answer{contribution_id}")
    if not form.validate_on_submit():
        return ticket_page(ticket, **{f"answer_form_{contribution_id}": form}), 422
    return run_step(ticket, lambda: cooperation.answer_contribution(
        current_user, ticket.id, contribution_id, form.answer.data.strip()),
        _("Your contribution was sent to the lead department."))


@routes.post("/tickets/<int:ticket_id>/assign")
def assign(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = AssignForm()
    form.assignee.choices = officer_choices(ticket)
    if not form.validate_on_submit():
        return ticket_page(ticket, assign_form=form), 422
    return run_step(ticket, lambda: handling.assign_ticket(current_user, ticket.id, int(form.assignee.data)),
                _("The ticket was assigned."), ("assign_form", form))


@routes.post("/tickets/<int:ticket_id>/note")
def note(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return ticket_page(ticket, note_form=form), 422
    return run_step(ticket, lambda: handling.add_note(current_user, ticket.id, form.text.data.strip()),
                _("The internal note was added."), ("note_form", form))


@routes.get("/tickets/<int:ticket_id>/files/<int:attachment_id>")
def attachment(ticket_id: int, attachment_id: int) -> Response:
    return send_attachment(get_ticket_for(current_user, ticket_id), attachment_id)


@routes.route("/submissions/new", methods=["GET", "POST"])
def enter() -> Response | tuple[str, int] | str:
    """A submission received by hotline, at the counter or by letter, entered for the person."""
    return submission_page(actor=current_user, staff=True)


@routes.get("/submissions/entered")
def entered() -> Response | str:
    receipt = session.get("receipt")
    if not receipt:
        return redirect(url_for(".enter"))
    ticket = open_ticket(receipt["code"], receipt["secret"])
    link = url_for("tracking.track", code=ticket.code, secret=receipt["secret"], _external=True)
    return render_template("staff/entered.html", ticket=ticket, link=link, secret=receipt["secret"])
