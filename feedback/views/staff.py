"""The department workspace: the ticket page with the actions the engine allows."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from feedback.extensions import db
from feedback.forms import AcceptForm, RejectForm, RequestInfoForm, choices_from
from feedback.forms.handling import (
    ApproveForm,
    AssignForm,
    ContributionAnswerForm,
    ContributionRequestForm,
    DecisionForm,
    DraftForm,
    ExtendForm,
    NoteForm,
    ProgressForm,
    ReturnAnswerForm,
    TransferForm,
)
from feedback.i18n import STATUS_LABELS, localized
from feedback.models import Ticket, TicketEvent, User, utcnow
from feedback.services import catalog, cooperation, handling
from feedback.services.access import get_ticket_for, may_handle
from feedback.services.calendar import clock_for, policy_for
from feedback.services.events import case_of
from feedback.services.message_log import ticket_messages
from feedback.services.submissions import open_ticket
from feedback.services.templates import answer_templates_for
from feedback.views.public import submission_page
from feedback.views.tracking import send_attachment
from workflows import (
    MAX_TRANSFERS,
    Action,
    AnswerState,
    IllegalTransition,
    Status,
    StepRefused,
    allowed_actions,
    case,
    ladder,
    next_progress_update,
)
from workflows.case import APPROVERS

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
@login_required
def require_staff() -> None:
    if not current_user.is_staff:
        abort(403)


@bp.get("/tickets/<int:ticket_id>")
def ticket(ticket_id: int) -> str:
    # ?template=ID fills the answer box with a standard answer, without JavaScript.
    return ticket_page(get_ticket_for(current_user, ticket_id), template_id=request.args.get("template", type=int))


@bp.post("/tickets/<int:ticket_id>/accept")
def accept(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = _accept_form(ticket)
    if not form.validate_on_submit():
        return ticket_page(ticket, accept_form=form), 422
    return run_step(ticket, lambda: handling.accept_ticket(current_user, ticket.id, int(form.department.data)),
                _("The submission was accepted."))


@bp.post("/tickets/<int:ticket_id>/reject")
def reject(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return ticket_page(ticket, reject_form=form), 422
    return run_step(ticket, lambda: handling.reject_ticket(current_user, ticket.id, form.reason.data.strip()),
                _("The submission was rejected."))


@bp.post("/tickets/<int:ticket_id>/request-info")
def request_info(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = RequestInfoForm()
    if not form.validate_on_submit():
        return ticket_page(ticket, request_form=form), 422
    return run_step(ticket, lambda: handling.request_information(current_user, ticket.id, form.question.data.strip()),
                _("The question was sent to the submitter; the deadline is stopped until they answer."))


@bp.post("/tickets/<int:ticket_id>/transfer")
def transfer(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = TransferForm()
    form.department.choices = _department_choices(exclude_id=ticket.department_id)
    if not form.validate_on_submit():
        return ticket_page(ticket, transfer_form=form), 422
    return run_step(ticket, lambda: cooperation.transfer_ticket(
        current_user, ticket.id, int(form.department.data), form.reason.data.strip()),
        _("The ticket was transferred."), ("transfer_form", form))


@bp.post("/tickets/<int:ticket_id>/extend")
def extend(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = ExtendForm()
    if not form.validate_on_submit():
        return ticket_page(ticket, extend_form=form), 422
    return run_step(ticket, lambda: handling.extend_deadline(
        current_user, ticket.id, form.days.data, form.reason.data.strip()),
        _("The deadline was extended; the submitter will see the reason."), ("extend_form", form))


@bp.post("/tickets/<int:ticket_id>/progress")
def progress(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = ProgressForm()
    if not form.validate_on_submit():
        return ticket_page(ticket, progress_form=form), 422
    return run_step(ticket, lambda: handling.post_progress_update(current_user, ticket.id, form.text.data.strip()),
                _("The progress update was published to the submitter."))


@bp.post("/tickets/<int:ticket_id>/ask-leader")
def ask_leader(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return ticket_page(ticket, decision_form=form), 422
    return run_step(ticket, lambda: cooperation.ask_leader_to_decide(current_user, ticket.id, form.reason.data.strip()),
                _("A leader was asked to decide which department handles the ticket."))


@bp.post("/tickets/<int:ticket_id>/contributions")
def request_contribution(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = ContributionRequestForm()
    form.department.choices = _department_choices(exclude_id=ticket.department_id)
    if not form.validate_on_submit():
        return ticket_page(ticket, contribution_form=form), 422
    return run_step(ticket, lambda: cooperation.request_contribution(
        current_user, ticket.id, int(form.department.data), form.request.data.strip(), form.days.data),
        _("The department was asked for its contribution."), ("contribution_form", form))


@bp.post("/tickets/<int:ticket_id>/contributions/<int:contribution_id>")
def contribute(ticket_id: int, contribution_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = ContributionAnswerForm(prefix=f"answer{contribution_id}")
    if not form.validate_on_submit():
        return ticket_page(ticket, **{f"answer_form_{contribution_id}": form}), 422
    return run_step(ticket, lambda: cooperation.answer_contribution(
        current_user, ticket.id, contribution_id, form.answer.data.strip()),
        _("Your contribution was sent to the lead department."))


@bp.post("/tickets/<int:ticket_id>/assign")
def assign(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = AssignForm()
    form.assignee.choices = _officer_choices(ticket)
    if not form.validate_on_submit():
        return ticket_page(ticket, assign_form=form), 422
    return run_step(ticket, lambda: handling.assign_ticket(current_user, ticket.id, int(form.assignee.data)),
                _("The ticket was assigned."), ("assign_form", form))


@bp.post("/tickets/<int:ticket_id>/note")
def note(ticket_id: int) -> Response | tuple[str, int]:
    ticket = get_ticket_for(current_user, ticket_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return ticket_page(ticket, note_form=form), 422
    return run_step(ticket, lambda: handling.add_note(current_user, ticket.id, form.text.data.strip()),
                _("The internal note was added."), ("note_form", form))


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


def run_step(
    ticket: Ticket, action: Callable[[], object], done: str, form: tuple[str, FlaskForm] | None = None
) -> Response | tuple[str, int]:
    """Run the service; a refusal of the engine comes back on the form, with what was typed."""
    try:
        action()
    except StepRefused as refused:
        # A refused step may come after one the service already applied (a draft, then its submission).
        db.session.rollback()
        if form is None:
            flash(refusal_message(refused.code, ticket), "error")
        else:
            name, refused_form = form
            next(iter(refused_form)).errors = [refusal_message(refused.code, ticket)]
            return ticket_page(ticket, **{name: refused_form}), 422
    except IllegalTransition:
        db.session.rollback()
        # Someone else acted first, or the page was stale: say so instead of failing.
        flash(_("That action is not possible any more: the ticket is now “%(status)s”.",
                status=STATUS_LABELS[ticket.status]), "error")
    else:
        flash(done, "success")
    return redirect(url_for(".ticket", ticket_id=ticket.id))


def refusal_message(code: str, ticket: Ticket) -> str:
    messages = {
        "transfer_limit": _("This ticket has been transferred %(count)d times already: only a leader can move it "
                            "again. Ask a leader to decide.", count=MAX_TRANSFERS),
        "same_department": _("The ticket is already with that department."),
        "already_extended": _("The deadline has already been extended once; it cannot be extended again."),
        "extension_out_of_range": _("Extend by 1 to %(max)d working days.",
                                    max=policy_for(ticket.category).max_extension_days),
        "decision_already_requested": _("A leader has already been asked to decide."),
        "transfers_left": _("The ticket can still be transferred: a leader decides only after %(count)d transfers.",
                            count=MAX_TRANSFERS),
        "reason_required": _("Give a reason."),
        "officers_assign_themselves": _("Officers can only take a ticket themselves; the head assigns it to others."),
        "already_assigned": _("The ticket is already assigned to that person."),
        "no_draft": _("Save the answer as a draft first."),
        "nothing_to_approve": _("No answer is awaiting approval."),
        "approval_required": _("The head must approve the answer before it is published: send it for approval."),
        "answer_differs_from_approved": _("This text differs from the approved answer: publish the approved text, "
                                          "or send the changed answer for approval again."),
        "approval_not_needed": _("Your answer needs no approval: publish it directly."),
    }
    return messages.get(code, _("That action is not possible for this ticket."))


def _department_choices(exclude_id: int | None = None) -> list[SelectChoice]:
    return choices_from(
        ((d.id, localized(d, "name")) for d in catalog.handling_departments() if d.id != exclude_id),
        placeholder=_("Choose a department"),
    )


def _officer_choices(ticket: Ticket) -> list[SelectChoice]:
    people = db.session.scalars(
        select(User)
        .where(User.department_id == ticket.department_id, User.active.is_(True))
        .order_by(User.name, User.id)
    )
    return choices_from(((user.id, user.name) for user in people), placeholder=_("Choose an officer"))


def needs_approval(ticket: Ticket, user: User) -> bool:
    """Whether this user's answer to this ticket must be approved before it is published."""
    return ticket.department.requires_approval and user.workflow_role not in APPROVERS


def _accept_form(ticket: Ticket) -> AcceptForm:
    form = AcceptForm(department=str(ticket.department_id))
    form.department.choices = choices_from((d.id, localized(d, "name")) for d in catalog.handling_departments())
    return form


# The forms of the ticket page, by the name the template knows them by.
_FORMS: dict[str, type[FlaskForm]] = {
    "reject_form": RejectForm,
    "request_form": RequestInfoForm,
    "transfer_form": TransferForm,
    "extend_form": ExtendForm,
    "progress_form": ProgressForm,
    "decision_form": DecisionForm,
    "contribution_form": ContributionRequestForm,
    "assign_form": AssignForm,
    "note_form": NoteForm,
    "approve_form": ApproveForm,
    "return_form": ReturnAnswerForm,
}


def ticket_page(ticket: Ticket, template_id: int | None = None, **given: FlaskForm) -> str:
    # The timeline names every event's actor: load them with the events, not one by one.
    ticket = db.session.scalars(
        select(Ticket)
        .where(Ticket.id == ticket.id)
        .options(selectinload(Ticket.events).selectinload(TicketEvent.actor))
    ).one()
    handles = may_handle(current_user, ticket)
    actions = set(allowed_actions(Status(ticket.status), current_user.workflow_role)) if handles else set()
    # Asking from "accepted" starts the work first, which the same roles may do.
    if Action.START in actions:
        actions.add(Action.REQUEST_INFO)
    forms: dict[str, FlaskForm] = {"accept_form": given.get("accept_form") or _accept_form(ticket)}
    for name, form_class in _FORMS.items():
        forms[name] = given.get(name) or form_class(formdata=None)
    for name in ("transfer_form", "contribution_form"):
        forms[name].department.choices = _department_choices(exclude_id=ticket.department_id)
    forms["assign_form"].assignee.choices = _officer_choices(ticket)
    templates = answer_templates_for(ticket) if Action.DRAFT_ANSWER in actions else []
    chosen = next((t for t in templates if t.id == template_id), None)
    forms["answer_form"] = given.get("answer_form") or DraftForm(
        formdata=None, answer=chosen.body if chosen else ticket.draft_answer
    )
    current = case_of(ticket)
    clock = clock_for(ticket.category)
    state = AnswerState(ticket.answer_state)
    return render_template(
        "staff/ticket.html",
        ticket=ticket,
        actions={action.value for action in actions},
        may_transfer=case.may_transfer(current, current_user.workflow_role),
        max_transfers=MAX_TRANSFERS,
        max_extension_days=clock.policy.max_extension_days,
        ladder=ladder(current, clock),
        next_progress_update=next_progress_update(current, clock),
        answer_forms={
            c.id: given.get(f"answer_form_{c.id}") or ContributionAnswerForm(formdata=None, prefix=f"answer{c.id}")
            for c in ticket.contributions
            if c.answered_at is None
            and c.department_id == current_user.department_id
            and Action.CONTRIBUTE in allowed_actions(Status(ticket.status), current_user.workflow_role)
        },
        department_names={d.code: localized(d, "name") for d in catalog.handling_departments()},
        people=_assignees_named(ticket),
        answer_templates=templates,
        chosen_template=chosen,
        needs_approval=needs_approval(ticket, current_user),
        may_publish=Action.RESOLVE in actions
        and (not needs_approval(ticket, current_user) or state == AnswerState.APPROVED),
        awaiting_approval=state == AnswerState.AWAITING_APPROVAL,
        message_log=ticket_messages(ticket),
        now=utcnow(),
        **forms,
    )


def _assignees_named(ticket: Ticket) -> dict[int, str]:
    """The names of everyone the ticket was ever assigned to, for its timeline."""
    ids = {e.payload.get("assignee") for e in ticket.events if e.action == Action.ASSIGN.value}
    ids.discard(None)
    if not ids:
        return {}
    return {user_id: name for user_id, name in db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))}


# The inbox and the answer's routes live in their own modules; importing them registers their
# routes on this blueprint.
from feedback.views import inbox as _inbox  # noqa: E402,F401
from feedback.views import ticket_answer as _ticket_answer  # noqa: E402,F401
