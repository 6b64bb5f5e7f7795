"""The public board: published submissions anyone can read, search and follow."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from feedback.extensions import limiter
from feedback.forms import choices_from
from feedback.forms.board import BoardFilterForm, FollowForm
from feedback.i18n import current_language
from feedback.models import Ticket
from feedback.services.intake import catalog
from feedback.services.submitters import board
from feedback.services.ticket_filters import TicketFilters
from feedback.views.paging import page_numbers

bp = Blueprint("board", __name__, url_prefix="/board")

PER_PAGE = 20
# Longer text is no search a person typed; cutting it keeps the query cheap.
MAX_QUERY_LENGTH = 200


@bp.get("/")
def index() -> str:
    form = BoardFilterForm(request.args)
    form.category.choices = choices_from(catalog.category_choices(), _("All subjects"))
    form.area.choices = choices_from(
        ((area.id, area.name) for area in catalog.areas_in_tree_order()), _("All places")
    )
    filters, kept = _filters_from(form)
    result = board.published_tickets(filters, request.args.get("page", 1, type=int), PER_PAGE)
    return render_template(
        "board/index.html", form=form, result=result, kept=kept, numbers=page_numbers(result.page, result.pages)
    )


def _filters_from(form: BoardFilterForm) -> tuple[TicketFilters, dict[str, str]]:
    """The filters to apply, and the query arguments that keep them on the other pages."""
    kept = {
        field.name: field.data
        for field in (form.category, form.area, form.status, form.kind)
        if field.data and field.data in {choice.value for choice in field.choices}
    }
    query = (form.q.data or "").strip()[:MAX_QUERY_LENGTH]
    if query:
        kept["q"] = query
    filters = TicketFilters(
        category_id=int(kept["category"]) if "category" in kept else None,
        area_id=int(kept["area"]) if "area" in kept else None,
        status=kept.get("status"),
        kind=kept.get("kind"),
        query=query,
    )
    return filters, kept


@bp.get("/<code>")
def ticket(code: str) -> str:
    ticket = board.get_published(code)
    return _ticket_page(ticket, _follow_form())


@bp.post("/<code>/follow")
@limiter.limit(lambda: current_app.config["ACCOUNT_RATE_LIMIT"])
def follow(code: str) -> Response | tuple[str, int]:
    ticket = board.get_published(code)
    form = _follow_form()
    if not form.validate_on_submit():
        return _ticket_page(ticket, form), 422
    if _is_citizen():
        board.follow_ticket(ticket, current_user.email, user=current_user, language=current_language())
    else:
        board.follow_ticket(ticket, form.email.data, language=current_language())
    flash(_("You are following this submission. We will email you when it changes."), "success")
    return redirect(url_for(".ticket", code=ticket.code))


def _is_citizen() -> bool:
    return bool(current_user.is_authenticated and not current_user.is_staff)


def _follow_form() -> FollowForm:
    form = FollowForm()
    if _is_citizen():
        # A signed-in citizen follows with the address of their account.
        del form.email
    return form


def _ticket_page(ticket: Ticket, form: FollowForm) -> str:
    return render_template(
        "board/ticket.html",
        ticket=ticket,
        events=[event for event in ticket.events if event.is_public],
        followers=board.follower_count(ticket),
        form=form,
    )
