"""The administrators' pages for staff accounts. Registered on the admin blueprint."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from feedback.forms import choices_from
from feedback.forms.admin_org import STAFF_ROLE_LABELS, EditUserForm, NewUserForm, PasswordForm, UserFilterForm
from feedback.i18n import localized
from feedback.models import User
from feedback.services.accounts.staff import (
    UserFilters,
    add_staff_user,
    edit_staff_user,
    get_staff_user,
    reset_two_factor,
    reset_user_password,
    staff_users,
    unlock_user,
)
from feedback.services.organisation.structure import Invalid, departments
from feedback.views.admin.organisation import Page, explain, rendered
from feedback.views.routes import Routes
from workflows import Role

routes = Routes()

ACTIVE_CHOICES = {"yes": True, "no": False}


def _department_choices(placeholder: str) -> list[SelectChoice]:
    return choices_from(((d.id, f"{d.code} · {localized(d, 'name')}") for d in departments()), placeholder)


def _optional_id(value: str | None) -> int | None:
    return int(value) if value else None


@routes.get("/users")
def user_list() -> Page:
    form = UserFilterForm(request.args)
    form.role.choices = choices_from(STAFF_ROLE_LABELS.items(), _("Any role"))
    form.department.choices = _department_choices(_("Any department"))
    form.active.choices = choices_from([("yes", _("Active")), ("no", _("Switched off"))], _("Active or not"))
    filters = UserFilters()
    if form.validate():
        filters = UserFilters(
            role=form.role.data or None,
            department_id=_optional_id(form.department.data),
            active=ACTIVE_CHOICES.get(form.active.data or ""),
            search=form.q.data or "",
        )
    page = render_template("admin/org/users.html", form=form, users=staff_users(filters),
                           filtered=filters != UserFilters())
    return (page, 422) if form.errors else page


@routes.route("/users/new", methods=["GET", "POST"])
def new_user() -> Page:
    form = NewUserForm()
    form.department.choices = _department_choices(_("None"))
    if form.validate_on_submit():
        try:
            user = add_staff_user(current_user, form.email.data, form.name.data, Role(form.role.data),
                                  _optional_id(form.department.data), form.password.data)
        except Invalid as error:
            explain(form, error)
        else:
            flash(_("The account %(email)s was created. Give the person their password in a safe way.",
                    email=user.email), "success")
            return redirect(url_for(".edit_user", user_id=user.id))
    return rendered("admin/org/user_new.html", form)


@routes.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int) -> Page:
    user = get_staff_user(user_id)
    form = EditUserForm(data={"role": user.role, "department": str(user.department_id or ""), "active": user.active})
    form.department.choices = _department_choices(_("None"))
    if form.validate_on_submit():
        try:
            edit_staff_user(current_user, user.id, Role(form.role.data), _optional_id(form.department.data),
                            bool(form.active.data))
        except Invalid as error:
            explain(form, error)
        else:
            flash(_("The account %(email)s was saved.", email=user.email), "success")
            return redirect(url_for(".edit_user", user_id=user.id))
    return _user_page(user, form, PasswordForm(formdata=None))


def _user_page(user: User, form: EditUserForm, password_form: PasswordForm) -> Page:
    page = render_template("admin/org/user.html", user=user, form=form, password_form=password_form)
    return (page, 422) if form.errors or password_form.errors else page


@routes.post("/users/<int:user_id>/password")
def reset_password(user_id: int) -> Page:
    user = get_staff_user(user_id)
    password_form = PasswordForm()
    if password_form.validate():
        try:
            reset_user_password(current_user, user.id, password_form.password.data)
        except Invalid as error:
            explain(password_form, error)
        else:
            flash(_("The password of %(email)s was changed. Give it to the person in a safe way.",
                    email=user.email), "success")
            return redirect(url_for(".edit_user", user_id=user.id))
    form = EditUserForm(formdata=None, data={"role": user.role, "department": str(user.department_id or ""),
                                             "active": user.active})
    form.department.choices = _department_choices(_("None"))
    return _user_page(user, form, password_form)


@routes.post("/users/<int:user_id>/unlock")
def unlock(user_id: int) -> Response:
    user = unlock_user(current_user, user_id)
    flash(_("%(email)s can sign in again: the failed attempts were cleared.", email=user.email), "success")
    return redirect(url_for(".edit_user", user_id=user_id))


@routes.post("/users/<int:user_id>/reset-two-factor")
def reset_second_factor(user_id: int) -> Response:
    user = reset_two_factor(current_user, user_id)
    flash(_("The two-step sign-in of %(email)s was reset: they set up an authenticator app again at their next "
            "sign-in.", email=user.email), "success")
    return redirect(url_for(".edit_user", user_id=user_id))
