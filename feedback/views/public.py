"""The public side: submit, receive a tracking code, follow the ticket, rate the answer."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from feedback.forms import RatingForm, SubmissionForm, TrackForm, choices_from
from feedback.i18n import current_language
from feedback.services import catalog
from feedback.services.calendar import deadline_policy
from feedback.services.errors import NotFoundError
from feedback.services.submissions import Submission, open_ticket, rate_ticket, submit_ticket
from workflows import Urgency

bp = Blueprint("public", __name__)


@bp.get("/")
def home() -> str:
    return render_template("public/home.html", form=TrackForm())


@bp.route("/submit", methods=["GET", "POST"])
def submit() -> Response | tuple[str, int] | str:
    form = SubmissionForm()
    form.category.choices = choices_from(catalog.category_choices(), _("Choose a subject"))
    form.area.choices = choices_from(catalog.area_choices(), _("Choose a commune or ward"))
    if form.validate_on_submit():
        receipt = submit_ticket(
            Submission(
                kind=form.kind.data,
                category_id=int(form.category.data),
                area_id=int(form.area.data),
                title=form.title.data.strip(),
                description=form.description.data.strip(),
                address=(form.address.data or "").strip(),
                name=(form.name.data or "").strip(),
                email=(form.email.data or "").strip(),
                language=current_language(),
            ),
            actor=None,
        )
        # The secret exists in clear only now: keep it for the confirmation page.
        session["receipt"] = {"code": receipt.ticket.code, "secret": receipt.secret}
        return redirect(url_for(".submitted"))
    page = render_template("public/submit.html", form=form, categories=catalog.active_categories())
    return (page, 422) if form.errors else page


@bp.get("/submitted")
def submitted() -> Response | str:
    receipt = session.get("receipt")
    if not receipt:
        return redirect(url_for(".home"))
    ticket = open_ticket(receipt["code"], receipt["secret"])
    link = url_for(".track", code=ticket.code, secret=receipt["secret"], _external=True)
    return render_template(
        "public/submitted.html",
        ticket=ticket,
        link=link,
        secret=receipt["secret"],
        resolve_days=deadline_policy().resolve_days[Urgency(ticket.category.urgency)],
    )


@bp.route("/track", methods=["GET", "POST"])
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


@bp.route("/track/<code>/<secret>", methods=["GET", "POST"])
def track(code: str, secret: str) -> Response | tuple[str, int] | str:
    ticket = open_ticket(code, secret)
    form = RatingForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                rate_ticket(ticket, form.level.data, (form.comment.data or "").strip())
            except NotFoundError:
                flash(_("This submission cannot be rated now."), "error")
            else:
                flash(_("Thank you for rating the answer."), "success")
            return redirect(url_for(".track", code=ticket.code, secret=secret))
    events = [event for event in ticket.events if event.is_public]
    page = render_template("public/track.html", ticket=ticket, events=events, form=form)
    return (page, 422) if form.errors else page


@bp.get("/language/<lang>")
def language(lang: str) -> Response:
    if lang not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = lang
    target = request.args.get("next", "")
    # Only same-site paths, so the switcher cannot be used as an open redirect.
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        target = url_for(".home")
    return redirect(target)
