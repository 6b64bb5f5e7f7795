"""Sign-in and sign-out, for staff and citizen accounts alike: the password step, the one-time
code step, and the page where an account sets up or switches off its codes."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import segno
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Regexp

from feedback.extensions import db, limiter
from feedback.forms import LoginForm
from feedback.forms.base import BaseForm
from feedback.i18n import format_moment
from feedback.models import User
from feedback.services.accounts import security
from feedback.services.accounts.security import Attempt, Outcome

bp = Blueprint("auth", __name__)

PENDING_LOGIN = "pending_login"
# Per account, the time step of the last code this browser used: a code is good only once.
USED_CODE_STEPS = "totp_used_steps"
PENDING_FOR = timedelta(minutes=5)
# What an account that must use codes, but has not set them up, may still reach.
OPEN_BEFORE_ENROLLMENT = {"auth.security_page", "auth.confirm_totp", "auth.logout", "static", "public.language"}
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# "%252F" is "%2F" decoded once and "/" twice; no path of ours needs more rounds than this.
_DECODING_ROUNDS = 4


def _code_field(label: Any) -> StringField:
    return StringField(
        label,
        # Phones offer the code from a text message or an app with this autocomplete value.
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "7", "spellcheck": "false"},
        validators=[
            DataRequired(message=_l("Enter the 6-digit code from your authenticator app.")),
            # [0-9], not \d: \d takes the digits of every script, and codes are compared as ASCII.
            Regexp(r"^\s*[0-9]{3}\s?[0-9]{3}\s*$", message=_l("The code has 6 digits, for example 123456.")),
        ],
    )


class CodeForm(BaseForm):
    code = _code_field(_l("6-digit code"))


class DisableCodesForm(BaseForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Enter your password."))])
    code = _code_field(_l("Current 6-digit code"))


def init_login(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = _l("Please sign in to see this page.")
    manager.login_message_category = "info"

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id))


@bp.before_app_request
def require_codes_for_role() -> Response | None:
    """Administrators and leaders see everything: until they set up codes, only /security."""
    if request.endpoint in OPEN_BEFORE_ENROLLMENT or not current_user.is_authenticated:
        return None
    if security.needs_enrollment(current_user):
        flash(_("Your role must sign in with a one-time code. Set it up to continue."), "info")
        return redirect(url_for("auth.security_page"))
    return None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["ACCOUNT_RATE_LIMIT"], methods=["POST"])
def login() -> Response | tuple[str, int] | str:
    """One sign-in for staff and citizens; each lands on their own page."""
    if current_user.is_authenticated:
        return redirect(landing_page(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        attempt = security.check_password(form.email.data, form.password.data, _client_address())
        if attempt.outcome is Outcome.CODE_NEEDED and attempt.user is not None:
            session[PENDING_LOGIN] = {
                "user": attempt.user.id,
                "until": (security.clock() + PENDING_FOR).timestamp(),
                "next": safe_next(request.args.get("next")),
            }
            return redirect(url_for("auth.login_code"))
        if attempt.outcome is Outcome.SIGNED_IN and attempt.user is not None:
            return _sign_in(attempt.user, safe_next(request.args.get("next")))
        form.password.errors = _refusal(attempt, _("The email address or password is not correct."))
    page = render_template("auth/login.html", form=form)
    return (page, 422) if form.errors else page


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["ACCOUNT_RATE_LIMIT"], methods=["POST"])
def login_code() -> Response | tuple[str, int] | str:
    """The second step, for accounts with codes switched on."""
    if current_user.is_authenticated:
        return redirect(landing_page(current_user))
    pending = session.get(PENDING_LOGIN)
    if not pending or pending["until"] < security.clock().timestamp():
        session.pop(PENDING_LOGIN, None)
        flash(_("Sign in again: the code must follow the password within 5 minutes."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        used_steps: dict[str, int] = session.get(USED_CODE_STEPS, {})
        attempt = security.check_code(
            pending["user"], form.code.data, _client_address(), used_steps.get(str(pending["user"]))
        )
        if attempt.outcome is Outcome.SIGNED_IN and attempt.user is not None and attempt.counter is not None:
            session[USED_CODE_STEPS] = {**used_steps, str(attempt.user.id): attempt.counter}
            session.pop(PENDING_LOGIN)
            return _sign_in(attempt.user, pending.get("next"))
        if attempt.user is None:
            session.pop(PENDING_LOGIN)
            return redirect(url_for("auth.login"))
        wrong = (
            _("This code was already used. Wait for your app to show a new one.")
            if attempt.outcome is Outcome.REPLAYED
            else _("The code is not correct. Use the newest code your app shows.")
        )
        form.code.errors = _refusal(attempt, wrong)
    page = render_template("auth/code.html", form=form)
    return (page, 422) if form.errors else page


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    return redirect(url_for("public.home"))


@bp.get("/security")
@login_required
def security_page() -> Response:
    return _security_page(CodeForm(), DisableCodesForm())


@bp.post("/security/confirm")
@login_required
@limiter.limit(lambda: current_app.config["ACCOUNT_RATE_LIMIT"])
def confirm_totp() -> Response:
    form = CodeForm()
    if form.validate_on_submit():
        if security.confirm_totp(current_user, form.code.data, _client_address()):
            flash(_("One-time codes are on. You will be asked for a code each time you sign in."), "success")
            return redirect(url_for("auth.security_page"))
        form.code.errors = [
            _("The code is not correct. Check that the time on your phone is right and use the newest code.")
        ]
    return _security_page(form, DisableCodesForm(formdata=None), status=422)


@bp.post("/security/disable")
@login_required
@limiter.limit(lambda: current_app.config["ACCOUNT_RATE_LIMIT"])
def disable_totp() -> Response:
    form = DisableCodesForm()
    if form.validate_on_submit():
        try:
            security.disable_totp(current_user, form.password.data, form.code.data, _client_address())
        except security.TotpRequired:
            form.code.errors = [_("Your role must sign in with a one-time code: it cannot be switched off.")]
        except security.WrongPassword:
            form.password.errors = [_("The password is not correct.")]
        except security.WrongCode:
            form.code.errors = [_("The code is not correct. Use the newest code your app shows.")]
        else:
            flash(_("One-time codes are off. You sign in with your password only."), "success")
            return redirect(url_for("auth.security_page"))
    status = 403 if security.totp_required(current_user) else 422
    return _security_page(CodeForm(formdata=None), form, status=status)


def _security_page(confirm_form: CodeForm, disable_form: DisableCodesForm, status: int = 200) -> Response:
    user = current_user
    context: dict[str, Any] = {
        "confirm_form": confirm_form,
        "disable_form": disable_form,
        "enabled": security.has_totp(user),
        "required": security.totp_required(user),
    }
    if not context["enabled"]:
        secret = security.start_totp_enrollment(user)
        # segno writes only path data built from the URI: nothing from the user reaches the markup.
        qr = segno.make(security.provisioning_uri(user), error="m")
        context["qr_svg"] = Markup(qr.svg_inline(scale=5, border=4, dark="#000", light="#fff"))
        context["secret_groups"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    response = current_app.make_response((render_template("auth/security.html", **context), status))
    # The page shows the secret: no cache, shared or in the browser, may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


def _refusal(attempt: Attempt, wrong: str) -> list[str]:
    """Why a step was refused: wrong, and when the account may try again if it must wait."""
    messages = [] if attempt.outcome is Outcome.REFUSED else [wrong]
    if attempt.retry_at is not None and attempt.locked:
        messages.append(
            _("Too many failed attempts: this account is locked until %(time)s. Try again then, "
              "or ask an administrator for help.", time=format_moment(attempt.retry_at))
        )
    elif attempt.retry_at is not None:
        messages.append(
            ngettext("Too many failed attempts. Wait %(num)d second, then try again.",
                     "Too many failed attempts. Wait %(num)d seconds, then try again.", attempt.wait_seconds)
        )
    return messages


def _sign_in(user: User, target: str | None) -> Response:
    login_user(user)
    return redirect(target or landing_page(user))


def _client_address() -> str:
    # Behind a proxy this is the proxy's address unless Werkzeug's ProxyFix is configured.
    return request.remote_addr or ""


def landing_page(user: User) -> str:
    """Where an account starts after signing in: citizens at their submissions, staff at work."""
    return url_for("staff.inbox") if user.is_staff else url_for("account.home")


def safe_next(target: str | None) -> str | None:
    """The path of this site to go on to, or None: never another site, however it is written."""
    if not target:
        return None
    # Browsers drop tab, CR and LF anywhere in a URL (and other control characters at its ends):
    # "/\t/evil.example" is "//evil.example" to them. None has a place in a path of ours.
    cleaned = _CONTROL_CHARACTERS.sub("", target)
    decoded = _fully_decoded(cleaned)
    # Checked as sent and decoded: a proxy or the page it leads to may decode it once more.
    if decoded is None or not (_is_path_of_this_site(cleaned) and _is_path_of_this_site(decoded)):
        return None
    parts = urlsplit(cleaned)
    return urlunsplit(("", "", parts.path, parts.query, parts.fragment))


def _fully_decoded(text: str) -> str | None:
    """Percent-decoded until nothing changes; None if it still changes after a few rounds."""
    for _round in range(_DECODING_ROUNDS):
        decoded = _CONTROL_CHARACTERS.sub("", unquote(text))
        if decoded == text:
            return text
        text = decoded
    return None


def _is_path_of_this_site(url: str) -> bool:
    # Browsers read a backslash as a slash: "/\\evil.example" is "//evil.example" to them. The
    # text itself is checked, not urlsplit's path: "///evil.example" has an empty netloc there.
    read = url.replace("\\", "/")
    if not read.startswith("/") or read.startswith("//"):
        return False
    parts = urlsplit(read)
    return not parts.scheme and not parts.netloc
