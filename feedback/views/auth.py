"""Sign-in and sign-out, for staff and citizen accounts alike."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from feedback.extensions import db, limiter
from feedback.forms import LoginForm
from feedback.models import User
from feedback.services.accounts import authenticate

bp = Blueprint("auth", __name__)


def init_login(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = _l("Please sign in to see this page.")
    manager.login_message_category = "info"

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["ACCOUNT_RATE_LIMIT"], methods=["POST"])
def login() -> Response | tuple[str, int] | str:
    """One sign-in for staff and citizens; each lands on their own page."""
    if current_user.is_authenticated:
        return redirect(landing_page(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or landing_page(user))
        form.password.errors = [_("The email address or password is not correct.")]
    page = render_template("auth/login.html", form=form)
    return (page, 422) if form.errors else page


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    return redirect(url_for("public.home"))


def landing_page(user: User) -> str:
    """Where an account starts after signing in: citizens at their submissions, staff at work."""
    return url_for("staff.inbox") if user.is_staff else url_for("account.home")


def safe_next(target: str | None) -> str | None:
    # Browsers read /\host as //host: another site.
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None
