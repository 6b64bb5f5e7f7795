"""The staff inbox: the tickets to handle, nearest deadline first, filtered and searched, with
bulk assignment and transfer for the roles that may do them."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from feedback.forms import choices_from
from feedback.forms.inbox import ASSIGN, BulkForm, InboxFilterForm, assignee_choices
from feedback.i18n import STATUS_LABELS, localized
from feedback.services.access import may_act_in_bulk
from feedback.services.errors import NotFoundError
from feedback.services.handling import cooperation
from feedback.services.handling import inbox as inbox_service
from feedback.services.handling.inbox import BulkOutcome, InboxQuery, Refusal
from feedback.services.intake import catalog
from feedback.services.reference import current
from feedback.views.paging import page_numbers
from feedback.views.routes import Routes
from feedback.views.staff.page import refusal_message
from workflows import IllegalTransition, StepRefused

# Longer text is no search a person typed; cutting it keeps the query cheap.
MAX_QUERY_LENGTH = 200

routes = Routes()


@routes.get("/")
def inbox() -> str:
    return _inbox_page(_bulk_form(formdata=None))


@routes.post("/bulk")
def bulk() -> Response | tuple[str, int]:
    if not may_act_in_bulk(current_user):
        abort(403)
    form = _bulk_form()
    if not form.validate_on_submit():
        return _inbox_page(form), 422
    if form.action.data == ASSIGN:
        outcome = inbox_service.assign_tickets(current_user, form.tickets.data, int(form.officer.data))
        done = ngettext("%(num)d ticket was assigned.", "%(num)d tickets were assigned.", len(outcome.done))
    else:
        outcome = inbox_service.transfer_tickets(
            current_user, form.tickets.data, int(form.department.data), form.reason.data.strip()
        )
        done = ngettext("%(num)d ticket was transferred.", "%(num)d tickets were transferred.", len(outcome.done))
    _report(outcome, done)
    # Any, as url_for types its values: mypy would match a typed ** against _external and _anchor too.
    kept: dict[str, Any] = request.args.to_dict()
    return redirect(url_for(".inbox", **kept))


def _report(outcome: BulkOutcome, done: str) -> None:
    if outcome.done:
        flash(done, "success")
    if outcome.refused:
        reasons = "; ".join(_refusal_text(refusal) for refusal in outcome.refused)
        flash(_("Not done for %(count)d: %(reasons)s", count=len(outcome.refused), reasons=reasons), "error")


def _refusal_text(refusal: Refusal) -> str:
    ticket, error = refusal.ticket, refusal.error
    if ticket is None:
        return _("ticket %(id)d: not found", id=refusal.ticket_id)
    if isinstance(error, StepRefused):
        why = refusal_message(error.code, ticket)
    elif isinstance(error, IllegalTransition):
        why = _("not possible while the ticket is “%(status)s”", status=STATUS_LABELS[ticket.status])
    elif isinstance(error, NotFoundError):
        why = _("the officer or department is not one this ticket can go to")
    else:
        why = _("not your department's ticket")
    return f"{ticket.code} ({why})"


def _inbox_page(bulk_form: BulkForm) -> str:
    form = InboxFilterForm(request.args)
    form.category.choices = choices_from(catalog.category_choices(), _("All subjects"))
    form.area.choices = choices_from(((area.id, area.name) for area in catalog.areas_in_tree_order()), _("All places"))
    form.assignee.choices = assignee_choices(_officer_choices())
    query, kept = _query_from(form)
    result = inbox_service.inbox_page(current_user, query, request.args.get("page", 1, type=int))
    return render_template(
        "staff/inbox.html",
        form=form,
        bulk_form=bulk_form,
        may_bulk=may_act_in_bulk(current_user),
        result=result,
        kept=kept,
        numbers=page_numbers(result.page, result.pages),
        contributions=cooperation.open_contributions(current_user),
    )


def _query_from(form: InboxFilterForm) -> tuple[InboxQuery, dict[str, str]]:
    """The query to run, and the arguments that keep it on the other pages."""
    fields = (form.status, form.category, form.area, form.assignee, form.channel, form.kind, form.attention)
    kept = {
        field.name: field.data
        for field in fields
        if field.data and field.data in {choice.value for choice in field.choices}
    }
    search = (form.q.data or "").strip()[:MAX_QUERY_LENGTH]
    if search:
        kept["q"] = search
    if form.overdue.data:
        kept["overdue"] = "y"
    query = InboxQuery(
        status=kept.get("status", ""),
        category_id=int(kept["category"]) if "category" in kept else None,
        area_id=int(kept["area"]) if "area" in kept else None,
        assignee=kept.get("assignee", ""),
        channel=kept.get("channel", ""),
        kind=kept.get("kind", ""),
        overdue_only="overdue" in kept,
        attention=kept.get("attention", ""),
        search=search,
    )
    return query, kept


def _officer_choices() -> list[SelectChoice]:
    """The officers by department, the department as the group's label. Both of the page's
    forms list them: read once per request."""
    if "officer_choices" not in g:
        units = {unit.id: localized(unit, "name") for unit in current().units}
        g.officer_choices = [
            SelectChoice(str(officer.id), officer.name, optgroup=units[officer.department_id])
            for officer in inbox_service.assignable_officers(current_user)
            if officer.department_id in units
        ]
    choices: list[SelectChoice] = g.officer_choices
    return choices


def _bulk_form(**kwargs: object) -> BulkForm:
    form = BulkForm(**kwargs)
    form.officer.choices = choices_from([], _("Choose an officer")) + _officer_choices()
    form.department.choices = choices_from(
        ((department.id, localized(department, "name")) for department in catalog.handling_departments()),
        _("Choose a department"),
    )
    return form

