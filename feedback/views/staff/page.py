"""The ticket page of the department workspace, and running a step from it: a refusal of the
engine comes back on the page, with what was typed."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from feedback import i18n
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
from feedback.models import Ticket, utcnow
from feedback.services.deadlines.policies import clock_for, policy_for
from feedback.services.handling import workspace
from feedback.services.handling.answer_templates import answer_templates_for
from feedback.services.handling.events import case_of
from feedback.services.intake import catalog
from feedback.services.notifications.message_log import ticket_messages
from workflows import (
    MAX_TRANSFERS,
    Action,
    AnswerState,
    IllegalTransition,
    Refusal,
    StepRefused,
    case,
    ladder,
    next_progress_update,
)


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


def refusal_message(code: Refusal, ticket: Ticket) -> str:
    return i18n.refusal_message(
        code, status=ticket.status, max_extension_days=policy_for(ticket.category).max_extension_days
    )


def department_choices(exclude_id: int | None = None) -> list[SelectChoice]:
    return choices_from(
        ((d.id, localized(d, "name")) for d in catalog.handling_departments() if d.id != exclude_id),
        placeholder=_("Choose a department"),
    )


def officer_choices(ticket: Ticket) -> list[SelectChoice]:
    people = workspace.department_officers(ticket.department_id)
    return choices_from(((user.id, user.name) for user in people), placeholder=_("Choose an officer"))


def accept_form(ticket: Ticket) -> AcceptForm:
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
    ticket = workspace.ticket_with_timeline(ticket.id)
    actions = workspace.actions_for(current_user, ticket)
    forms: dict[str, FlaskForm] = {"accept_form": given.get("accept_form") or accept_form(ticket)}
    for name, form_class in _FORMS.items():
        forms[name] = given.get(name) or form_class(formdata=None)
    for name in ("transfer_form", "contribution_form"):
        forms[name].department.choices = department_choices(exclude_id=ticket.department_id)
    forms["assign_form"].assignee.choices = officer_choices(ticket)
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
            for c in workspace.contributions_to_answer(current_user, ticket)
        },
        department_names={d.code: localized(d, "name") for d in catalog.handling_departments()},
        people=workspace.assignee_names(ticket),
        answer_templates=templates,
        chosen_template=chosen,
        needs_approval=workspace.needs_approval(ticket, current_user),
        may_publish=Action.RESOLVE in actions
        and (not workspace.needs_approval(ticket, current_user) or state == AnswerState.APPROVED),
        awaiting_approval=state == AnswerState.AWAITING_APPROVAL,
        message_log=ticket_messages(ticket),
        now=utcnow(),
        **forms,
    )
