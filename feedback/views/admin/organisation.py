"""The administrators' pages for the province's structure: the area tree and the departments.
Subjects, answer templates (admin_subjects.py) and staff accounts (admin_users.py) register on
the same blueprint, imported at the bottom; the blueprint's before_request keeps them all for
administrators."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from feedback.forms import choices_from
from feedback.forms.admin_org import (
    AREA_KIND_LABELS,
    DEPARTMENT_KIND_LABELS,
    INVALID_MESSAGES,
    AreaForm,
    DepartmentForm,
)
from feedback.i18n import localized
from feedback.models import Area, Department
from feedback.services.organisation.structure import (
    DepartmentValues,
    Invalid,
    add_area,
    area_row,
    area_rows,
    delete_area,
    departments,
    edit_area,
    get_area,
    get_department,
    save_department,
)
from feedback.views.routes import Routes

routes = Routes()

Page = Response | tuple[str, int] | str


def explain(form: FlaskForm, error: Invalid) -> None:
    """Show a service's refusal next to the field it is about, or above the form."""
    message = str(INVALID_MESSAGES.get(error.code, _("This change cannot be saved.")))
    if error.field in form:
        form[error.field].errors = [*form[error.field].errors, message]
    else:
        form.form_errors.append(message)


def rendered(template_name: str, form: FlaskForm, /, **context: Any) -> Page:
    page = render_template(template_name, form=form, **context)
    return (page, 422) if form.errors else page


def with_kind(choices: dict[str, Any], kind: str | None) -> list[tuple[str, Any]]:
    """The known kinds, and a record's own kind when it is not one of them (imported data)."""
    pairs = list(choices.items())
    if kind and kind not in choices:
        pairs.append((kind, kind))
    return pairs


@routes.context_processor
def organisation_helpers() -> dict[str, Any]:
    return {
        "area_kind_label": lambda code: AREA_KIND_LABELS.get(code, code),
        "department_kind_label": lambda code: DEPARTMENT_KIND_LABELS.get(code, code),
    }


# --- Areas ----------------------------------------------------------------------------------

@routes.get("/areas")
def areas() -> str:
    return render_template("admin/org/areas.html", rows=area_rows())


@routes.route("/areas/new", methods=["GET", "POST"])
def new_area() -> Page:
    form = AreaForm(parent=request.args.get("parent", ""))
    form.kind.choices = choices_from(AREA_KIND_LABELS.items(), _("Choose"))
    form.parent.choices = choices_from(
        ((row.area.id, "— " * row.depth + row.area.name) for row in area_rows()), _("Choose")
    )
    if form.validate_on_submit():
        try:
            area = add_area(current_user, int(form.parent.data), form.code.data, form.name.data, form.kind.data)
        except Invalid as error:
            explain(form, error)
        else:
            flash(_("“%(name)s” was added.", name=area.name), "success")
            return redirect(url_for(".areas", _anchor=f"area-{area.id}"))
    return rendered("admin/org/area_form.html", form, area=None, row=None)


@routes.route("/areas/<int:area_id>", methods=["GET", "POST"])
def edit_area_page(area_id: int) -> Page:
    row = area_row(area_id)
    area = row.area
    form = AreaForm(obj=area)
    del form.parent
    form.kind.choices = choices_from(with_kind(AREA_KIND_LABELS, area.kind))
    if form.validate_on_submit():
        try:
            edit_area(current_user, area.id, form.code.data, form.name.data, form.kind.data)
        except Invalid as error:
            explain(form, error)
        else:
            flash(_("“%(name)s” was saved.", name=area.name), "success")
            return redirect(url_for(".areas", _anchor=f"area-{area.id}"))
    return rendered("admin/org/area_form.html", form, area=area, row=row)


@routes.post("/areas/<int:area_id>/delete")
def delete_area_page(area_id: int) -> Response:
    area: Area = get_area(area_id)
    name = area.name
    try:
        delete_area(current_user, area.id)
    except Invalid as error:
        flash(_("“%(name)s” cannot be deleted: %(reason)s", name=name, reason=INVALID_MESSAGES[error.code]), "error")
        return redirect(url_for(".edit_area_page", area_id=area_id))
    flash(_("“%(name)s” was deleted.", name=name), "success")
    return redirect(url_for(".areas"))


# --- Departments ----------------------------------------------------------------------------

@routes.get("/departments")
def department_list() -> str:
    return render_template("admin/org/departments.html", departments=departments())


@routes.route("/departments/new", methods=["GET", "POST"])
def new_department() -> Page:
    return _department_page(None)


@routes.route("/departments/<int:department_id>", methods=["GET", "POST"])
def edit_department(department_id: int) -> Page:
    return _department_page(get_department(department_id))


def _department_page(department: Department | None) -> Page:
    form = DepartmentForm(obj=department, parent=str(department.parent_id or "") if department else "")
    form.kind.choices = choices_from(
        with_kind(DEPARTMENT_KIND_LABELS, department.kind if department else None), _("Choose")
    )
    form.parent.choices = choices_from(
        ((d.id, f"{d.code} · {localized(d, 'name')}") for d in departments() if d is not department), _("None")
    )
    if form.validate_on_submit():
        values = DepartmentValues(
            code=form.code.data,
            name_vi=form.name_vi.data,
            name_en=form.name_en.data,
            kind=form.kind.data,
            parent_id=int(form.parent.data) if form.parent.data else None,
            email=form.email.data,
            is_intake=bool(form.is_intake.data),
            external=bool(form.external.data),
            requires_approval=bool(form.requires_approval.data),
        )
        try:
            saved = save_department(current_user, department.id if department else None, values)
        except Invalid as error:
            explain(form, error)
        else:
            flash(_("“%(name)s” was saved.", name=localized(saved, "name")), "success")
            return redirect(url_for(".department_list"))
    return rendered("admin/org/department_form.html", form, department=department)
