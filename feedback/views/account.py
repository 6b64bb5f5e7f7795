"""Citizen accounts: register, sign in, my submissions, profile, delete the account."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from feedback.extensions import limiter
from feedback.forms.account import DeleteAccountForm, PasswordForm, ProfileForm, RegistrationForm
from feedback.services.accounts.citizens import (
    MIN_PASSWORD_LENGTH,
    EmailTaken,
    WrongPassword,
    change_password,
    delete_account,
    followed_tickets,
    my_tickets,
    register_citizen,
    update_profile,
)
from feedback.views.auth import landing_page

bp = Blueprint("account", __name__, url_prefix="/account")

P = ParamSpec("P")
R = TypeVar("R")


@bp.context_processor
def password_rules() -> dict[str, int]:
    return {"min_password_length": MIN_PASSWORD_LENGTH}


def _account_limit() -> str:
    return str(current_app.config["ACCOUNT_RATE_LIMIT"])


def citizen_required(view: Callable[P, R]) -> Callable[P, R]:
    """Signed in with a citizen account; staff accounts have no submissions or profile here."""

    @wraps(view)
    @login_required
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _email_taken() -> str:
    # The same words whoever holds the address, so the page reveals no more than that it is used.
    return _("An account already uses this email address. Sign in, or use another address.")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_account_limit, methods=["POST"])
def register() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated:
        return redirect(landing_page(current_user))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user = register_citizen(form.email.data, form.password.data, form.name.data, form.phone.data or "")
        except EmailTaken:
            form.email.errors = [_email_taken()]
        else:
            login_user(user)
            flash(_("Your account was created."), "success")
            return redirect(url_for(".home"))
    page = render_template("account/register.html", form=form)
    return (page, 422) if form.errors else page


@bp.get("/")
@citizen_required
def home() -> str:
    return render_template(
        "account/home.html", submissions=my_tickets(current_user), followed=followed_tickets(current_user)
    )


@bp.route("/profile", methods=["GET", "POST"])
@citizen_required
def profile() -> Response | tuple[str, int] | str:
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            update_profile(current_user, form.name.data, form.phone.data or "", form.email.data)
        except EmailTaken:
            form.email.errors = [_email_taken()]
        else:
            flash(_("Your details were saved."), "success")
            return redirect(url_for(".profile"))
    return _profile_page(profile_form=form)


@bp.post("/password")
@limiter.limit(_account_limit)
@citizen_required
def password() -> Response | tuple[str, int] | str:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.new_password.data)
        except WrongPassword:
            form.current_password.errors = [_("The current password is not correct.")]
        else:
            flash(_("Your password was changed."), "success")
            return redirect(url_for(".profile"))
    return _profile_page(password_form=form)


@bp.route("/delete", methods=["GET", "POST"])
@limiter.limit(_account_limit, methods=["POST"])
@citizen_required
def delete() -> Response | tuple[str, int] | str:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if current_user.check_password(form.password.data):
            delete_account(current_user)
            logout_user()
            flash(_("Your account was deleted. Your submissions are still handled, and their private links "
                    "still work."), "success")
            return redirect(url_for("public.home"))
        form.password.errors = [_("The password is not correct.")]
    page = render_template("account/delete.html", form=form)
    return (page, 422) if form.errors else page


def _profile_page(
    profile_form: ProfileForm | None = None, password_form: PasswordForm | None = None
) -> tuple[str, int] | str:
    profile_form = profile_form or ProfileForm(formdata=None, obj=current_user)
    password_form = password_form or PasswordForm(formdata=None)
    page = render_template("account/profile.html", profile_form=profile_form, password_form=password_form)
    return (page, 422) if profile_form.errors or password_form.errors else page
