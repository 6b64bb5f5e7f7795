"""The public side: the home page, submitting (by a citizen, or by an officer on someone's
behalf), the receipt, the privacy notice and the language switch."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.wrappers import Response

from feedback.extensions import limiter
from feedback.forms import TrackForm
from feedback.forms.submission import SubmissionForm, submission_form
from feedback.i18n import current_language
from feedback.models import Ticket, User
from feedback.services.deadlines.policies import policy_for
from feedback.services.intake import catalog
from feedback.services.intake.attachments import CleanFile
from feedback.services.intake.rules import normalize_phone
from feedback.services.intake.submissions import DuplicateSubmission, Submission, open_ticket, submit_ticket
from feedback.services.reference import current
from feedback.services.submitters import board
from feedback.views.auth import safe_next
from feedback.views.uploads import cleaned_files, files_were_sent
from workflows import Urgency

bp = Blueprint("public", __name__)


@bp.get("/")
def home() -> str:
    return render_template("public/home.html", form=TrackForm())


@bp.route("/submit", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SUBMIT_RATE_LIMIT"], methods=["POST"])
def submit() -> Response | tuple[str, int] | str:
    citizen = current_user if current_user.is_authenticated and not current_user.is_staff else None
    return submission_page(actor=citizen, staff=False)


def submission_page(*, actor: User | None, staff: bool) -> Response | tuple[str, int] | str:
    """The submission form and what follows its POST. `actor` is the citizen's account, or the
    officer entering it on someone's behalf with `staff=True`."""
    defaults = _profile_defaults(None if staff else actor)
    if request.method == "GET" and not defaults:
        # An empty form is the same for everyone but its CSRF token (outside the fields): its
        # fields are rendered once per copy of the reference data and language.
        language, reference = current_language(), current()
        fields = reference.once(
            ("submission fields", staff, language),
            lambda: _fields(submission_form(staff=staff), [], checked=False, staff=staff),
        )
        if staff or current_user.is_authenticated or request.query_string or session.get("_flashes"):
            return _page(None, fields, checked=False, files_dropped=False, staff=staff)
        # For a visitor without an account, the whole page is the same but for its CSRF token.
        page = reference.once(
            ("submission page", language),
            lambda: _page(None, fields, checked=False, files_dropped=False, staff=False, token=_TOKEN_SLOT),
        )
        return page.replace(_TOKEN_SLOT, generate_csrf())
    form = submission_form(staff=staff, **defaults)
    checking = request.method == "POST" and request.form.get("action") == "check"
    if not checking and form.validate_on_submit():
        files = cleaned_files(form.attachments)
        if not form.attachments.errors:
            try:
                receipt = submit_ticket(_submission_from(form, files, staff), actor=actor)
            except DuplicateSubmission as duplicate:
                return _already_received(duplicate.ticket)
            # The secret exists in clear only now: keep it for the confirmation page.
            session["receipt"] = {"code": receipt.code, "secret": receipt.secret}
            return redirect(url_for("staff.entered" if staff else ".submitted"))
    similar = _similar_to(form) if request.method == "POST" else []
    fields = _fields(form, similar, checked=checking, staff=staff)
    files_dropped = request.method == "POST" and files_were_sent(form.attachments)
    page = _page(form, fields, checked=checking, files_dropped=files_dropped, staff=staff)
    return (page, 422) if form.errors and not checking else page


def _fields(form: SubmissionForm, similar: list[tuple[Ticket, float]], *, checked: bool, staff: bool) -> Markup:
    return Markup(
        render_template(
            "public/_submission_fields.html",
            form=form,
            categories=catalog.active_categories(),
            areas=catalog.filing_areas(),
            similar=similar,
            checked=checked,
            staff=staff,
        )
    )


# Where a page rendered once takes each visitor's own CSRF token.
_TOKEN_SLOT = "csrf-token-of-this-visitor"


def _page(
    form: SubmissionForm | None, fields: Markup, *, checked: bool, files_dropped: bool, staff: bool, token: str = ""
) -> str:
    return render_template(
        "public/submit.html",
        form=form,
        fields=fields,
        checked=checked,
        files_dropped=files_dropped,
        staff=staff,
        token=token or generate_csrf(),
    )


@bp.get("/submit/similar")
def similar() -> str:
    """Published tickets like the one being typed, for the form's live suggestions."""
    form = submission_form(formdata=request.args, meta={"csrf": False})
    return render_template("public/_similar.html", similar=_similar_to(form), checked=True)


def _profile_defaults(actor: User | None) -> dict[str, str]:
    # A citizen with an account types nothing twice.
    if actor is None:
        return {}
    return {"name": actor.name, "email": actor.email, "phone": actor.phone}


def _submission_from(form: SubmissionForm, files: list[CleanFile], staff: bool) -> Submission:
    business = form.submitter_type.data == "business"
    latitude, longitude = form.coordinates or (None, None)
    return Submission(
        kind=form.kind.data,
        category_id=int(form.category.data),
        area_id=form.matched_area.id,
        title=form.title.data.strip(),
        description=form.description.data.strip(),
        address=(form.address.data or "").strip(),
        latitude=latitude,
        longitude=longitude,
        attributes=form.extra_values(),
        submitter_type=form.submitter_type.data,
        business_name=(form.business_name.data or "").strip() if business else "",
        tax_code=form.tax_code.data if business else "",
        name=(form.name.data or "").strip(),
        email=(form.email.data or "").strip().lower(),
        phone=normalize_phone(form.phone.data or "") or "",
        notify_by=form.notify_by.data,
        is_public=form.visibility.data == "public",
        is_anonymous=bool(form.anonymous.data),
        consent_version=current_app.config["PRIVACY_NOTICE_VERSION"],
        language=current_language(),
        channel=form.channel.data if staff else "web",
        files=tuple(files),
    )


def _similar_to(form: SubmissionForm) -> list[tuple[Ticket, float]]:
    areas = catalog.match_areas(form.area.data or "")
    text = f"{form.title.data or ''} {form.description.data or ''}".strip()
    if len(areas) != 1 or len(text) < 10:
        return []
    category_id = int(form.category.data) if form.chosen_category_code() else None
    return board.similar_published(areas[0].id, category_id, form.title.data or "", form.description.data or "")


def _already_received(ticket: Ticket) -> Response | str:
    receipt = session.get("receipt")
    if receipt and receipt.get("code") == ticket.code:
        # The same person pressed "Send" twice: show them their receipt again.
        return redirect(url_for(".submitted"))
    return render_template("public/duplicate.html", ticket=ticket)


@bp.get("/submitted")
def submitted() -> Response | str:
    receipt = session.get("receipt")
    if not receipt:
        return redirect(url_for(".home"))
    ticket = open_ticket(receipt["code"], receipt["secret"])
    link = url_for("tracking.track", code=ticket.code, secret=receipt["secret"], _external=True)
    return render_template(
        "public/submitted.html",
        ticket=ticket,
        link=link,
        secret=receipt["secret"],
        resolve_days=policy_for(ticket.category).resolve_days[Urgency(ticket.category.urgency)],
    )


@bp.get("/privacy")
def privacy() -> str:
    template = "public/privacy_en.html" if current_language() == "en" else "public/privacy_vi.html"
    return render_template(template, version=current_app.config["PRIVACY_NOTICE_VERSION"])


@bp.get("/language/<lang>")
def language(lang: str) -> Response:
    if lang not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = lang
    # Only same-site paths, so the switcher cannot be used as an open redirect.
    return redirect(safe_next(request.args.get("next")) or url_for(".home"))
