"""Following a submission: by code and secret link, or from the citizen's account. The
submitter answers questions, rates the answer, reopens once, and sees the files."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from feedback.extensions import limiter
from feedback.forms import RatingForm, TrackForm
from feedback.forms.follow_up import InfoReplyForm, ReopenForm
from feedback.models import Attachment, Ticket
from feedback.services.errors import NotFoundError
from feedback.services.intake.attachments import CleanFile, attachment_path
from feedback.services.intake.submissions import open_own_ticket, open_ticket
from feedback.services.submitters.responses import may_reopen, provide_information, rate_ticket, reopen_ticket
from feedback.views.uploads import cleaned_files
from workflows import Status

bp = Blueprint("tracking", __name__)

# Guessing codes or secrets is slowed down here; a wrong guess and a wrong code look alike.
_lookup_limit = limiter.limit(lambda: current_app.config["LOOKUP_RATE_LIMIT"])


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOOKUP_RATE_LIMIT"], methods=["POST"])
def find() -> Response | tuple[str, int] | str:
    form = TrackForm()
    if form.validate_on_submit():
        try:
            ticket = open_ticket(form.code.data, form.secret.data.strip())
        except NotFoundError:
            form.code.errors = [_("No submission matches this code and secret key. Check both and try again.")]
        else:
            return redirect(url_for(".track", code=ticket.code, secret=form.secret.data.strip()))
    page = render_template("public/find.html", form=form)
    return (page, 422) if form.errors else page


def _open(code: str, secret: str | None) -> Ticket:
    """By secret link, or, without one, a ticket filed from the signed-in citizen's account."""
    if secret is not None:
        return open_ticket(code, secret)
    if not current_user.is_authenticated or current_user.is_staff:
        raise NotFoundError("ticket")
    return open_own_ticket(current_user, code)


@bp.get("/track/<code>/<secret>")
@bp.get("/account/submissions/<code>")
@_lookup_limit
def track(code: str, secret: str | None = None) -> str:
    return _page(_open(code, secret), secret)


def _page(
    ticket: Ticket,
    secret: str | None,
    rating_form: RatingForm | None = None,
    reply_form: InfoReplyForm | None = None,
    reopen_form: ReopenForm | None = None,
) -> str:
    events = [event for event in ticket.events if event.is_public]
    question = next((e.reason for e in reversed(events) if e.action == "request_info"), None)
    return render_template(
        "public/track.html",
        ticket=ticket,
        secret=secret,
        events=events,
        question=question if ticket.status == Status.WAITING_FOR_SUBMITTER else None,
        rating_form=rating_form or RatingForm(formdata=None),
        reply_form=reply_form or InfoReplyForm(formdata=None),
        reopen_form=reopen_form or ReopenForm(formdata=None),
        can_reopen=ticket.rating is not None and ticket.rating.level == "not_satisfied" and may_reopen(ticket),
    )


def _act(ticket: Ticket, secret: str | None, action: Callable[[], object], done: str) -> Response:
    try:
        action()
    except NotFoundError:
        flash(_("That is not possible any more: the page was out of date. Here is the current state."), "error")
    else:
        flash(done, "success")
    return redirect(url_for(".track", code=ticket.code, secret=secret))


@bp.post("/track/<code>/<secret>/rate")
@bp.post("/account/submissions/<code>/rate")
@_lookup_limit
def rate(code: str, secret: str | None = None) -> Response | tuple[str, int]:
    ticket = _open(code, secret)
    form = RatingForm()
    if not form.validate_on_submit():
        return _page(ticket, secret, rating_form=form), 422
    return _act(ticket, secret, lambda: rate_ticket(ticket, form.level.data, (form.comment.data or "").strip()),
                _("Thank you for rating the answer."))


@bp.post("/track/<code>/<secret>/reopen")
@bp.post("/account/submissions/<code>/reopen")
@_lookup_limit
def reopen(code: str, secret: str | None = None) -> Response | tuple[str, int]:
    ticket = _open(code, secret)
    form = ReopenForm()
    if not form.validate_on_submit():
        return _page(ticket, secret, reopen_form=form), 422
    return _act(ticket, secret, lambda: reopen_ticket(ticket, form.reason.data.strip()),
                _("Your submission was sent back to the department, with a new deadline."))


@bp.post("/track/<code>/<secret>/reply")
@bp.post("/account/submissions/<code>/reply")
@_lookup_limit
def reply(code: str, secret: str | None = None) -> Response | tuple[str, int]:
    ticket = _open(code, secret)
    form = InfoReplyForm()
    files: list[CleanFile] = []
    if form.validate_on_submit():
        files = cleaned_files(form.attachments)
    if form.errors or form.attachments.errors:
        return _page(ticket, secret, reply_form=form), 422
    return _act(ticket, secret, lambda: provide_information(ticket, form.text.data.strip(), files),
                _("Thank you. Your answer was sent to the department, and its deadline runs again."))


@bp.get("/track/<code>/<secret>/files/<int:attachment_id>")
@bp.get("/account/submissions/<code>/files/<int:attachment_id>")
@_lookup_limit
def attachment(code: str, attachment_id: int, secret: str | None = None) -> Response:
    return send_attachment(_open(code, secret), attachment_id)


def send_attachment(ticket: Ticket, attachment_id: int) -> Response:
    """A ticket's file, to someone already allowed to see the ticket."""
    found: Attachment | None = next((a for a in ticket.attachments if a.id == attachment_id), None)
    if found is None:
        raise NotFoundError("attachment")
    response = send_file(
        attachment_path(found),
        mimetype=found.content_type,
        as_attachment=found.content_type == "application/pdf",
        download_name=found.filename,
        max_age=0,
    )
    # Personal files: never cached by shared caches, never sniffed into something else.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
