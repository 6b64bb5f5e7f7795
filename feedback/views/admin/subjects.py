"""The administrators' pages for subjects (categories), their extra questions on the submission
form, and the answer templates staff start from. Registered on the admin blueprint."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from feedback.forms import choices_from
from feedback.forms.admin import URGENCY_LABELS
from feedback.forms.admin_org import (
    APPLIES_TO_LABELS,
    DATATYPE_LABELS,
    LANGUAGE_LABELS,
    CategoryForm,
    ExtraFieldForm,
    TemplateForm,
)
from feedback.forms.submission import extra_field_name
from feedback.i18n import current_language, localized
from feedback.models import AnswerTemplate, Category
from feedback.services.organisation.structure import Invalid
from feedback.services.organisation.subjects import (
    LIST_DATATYPES,
    CategoryValues,
    FieldValues,
    TemplateValues,
    answer_templates,
    categories,
    field_spec,
    get_answer_template,
    get_category,
    move_extra_field,
    remove_extra_field,
    save_answer_template,
    save_category,
    save_extra_field,
    switch_off_answer_template,
)
from feedback.views.admin.organisation import Page, explain, rendered
from feedback.views.routes import Routes

routes = Routes()

MOVES = {"up": -1, "down": 1}


@routes.context_processor
def subject_helpers() -> dict[str, Any]:
    return {
        "applies_to_label": lambda code: APPLIES_TO_LABELS.get(code, code),
        "datatype_label": lambda code: DATATYPE_LABELS.get(code, code),
        "language_label": lambda code: LANGUAGE_LABELS.get(code, code),
        "list_datatypes": LIST_DATATYPES,
    }


# --- Subjects -------------------------------------------------------------------------------

@routes.get("/categories")
def category_list() -> str:
    return render_template("admin/org/categories.html", categories=categories())


@routes.route("/categories/new", methods=["GET", "POST"])
def new_category() -> Page:
    return _category_page(None)


@routes.route("/categories/<int:category_id>", methods=["GET", "POST"])
def edit_category(category_id: int) -> Page:
    return _category_page(get_category(category_id))


def _category_page(category: Category | None) -> Page:
    form = CategoryForm(obj=category)
    form.urgency.choices = choices_from(URGENCY_LABELS.items(), _("Choose"))
    if form.validate_on_submit():
        values = CategoryValues(**{name: form[name].data or "" for name in (
            "code", "name_vi", "name_en", "description_vi", "description_en", "urgency", "applies_to"
        )}, external=bool(form.external.data), active=bool(form.active.data))
        try:
            saved = save_category(current_user, category.id if category else None, values)
        except Invalid as error:
            explain(form, error)
        else:
            flash(_("“%(name)s” was saved.", name=localized(saved, "name")), "success")
            return redirect(url_for(".category_list"))
    return rendered("admin/org/category_form.html", form, category=category)


# --- Extra fields ---------------------------------------------------------------------------

@routes.get("/categories/<int:category_id>/fields")
def extra_fields(category_id: int) -> str:
    category = get_category(category_id)
    return render_template(
        "admin/org/fields.html",
        category=category,
        specs=category.extra_fields or [],
        field_name=lambda spec: extra_field_name(category, spec),
    )


@routes.route("/categories/<int:category_id>/fields/new", methods=["GET", "POST"])
def new_extra_field(category_id: int) -> Page:
    return _field_page(get_category(category_id), None)


@routes.route("/categories/<int:category_id>/fields/<code>", methods=["GET", "POST"])
def edit_extra_field(category_id: int, code: str) -> Page:
    category = get_category(category_id)
    return _field_page(category, field_spec(category, code))


def _field_page(category: Category, spec: dict[str, Any] | None) -> Page:
    lines = "\n".join(f"{v['key']} | {v['name_vi']} | {v['name_en']}" for v in (spec or {}).get("values", []))
    form = ExtraFieldForm(data={**spec, "values": lines} if spec else None)
    form.datatype.choices = choices_from(DATATYPE_LABELS.items(), _("Choose"))
    if form.validate_on_submit():
        values = FieldValues(
            code=form.code.data,
            label_vi=form.label_vi.data,
            label_en=form.label_en.data,
            datatype=form.datatype.data,
            required=bool(form.required.data),
            values=form.parsed_values,
        )
        try:
            saved = save_extra_field(current_user, category.id, spec["code"] if spec else None, values)
        except Invalid as error:
            explain(form, error)
        else:
            flash(_("The question “%(label)s” was saved. The submission form asks it from now on.",
                    label=saved["label_en"] if current_language() == "en" else saved["label_vi"]), "success")
            return redirect(url_for(".extra_fields", category_id=category.id))
    return rendered("admin/org/field_form.html", form, category=category, spec=spec)


@routes.post("/categories/<int:category_id>/fields/<code>/remove")
def remove_extra_field_page(category_id: int, code: str) -> Response:
    remove_extra_field(current_user, category_id, code)
    flash(_("The question was removed from the submission form."), "success")
    return redirect(url_for(".extra_fields", category_id=category_id))


@routes.post("/categories/<int:category_id>/fields/<code>/move")
def move_extra_field_page(category_id: int, code: str) -> Response:
    step = MOVES.get(request.form.get("direction", ""))
    if step is None:
        abort(400)
    move_extra_field(current_user, category_id, code, step)
    return redirect(url_for(".extra_fields", category_id=category_id, _anchor=f"field-{code}"))


# --- Answer templates -----------------------------------------------------------------------

@routes.get("/answer-templates")
def answer_template_list() -> str:
    return render_template("admin/org/answer_templates.html", templates=answer_templates())


@routes.route("/answer-templates/new", methods=["GET", "POST"])
def new_answer_template() -> Page:
    return _template_page(None)


@routes.route("/answer-templates/<int:template_id>", methods=["GET", "POST"])
def edit_answer_template(template_id: int) -> Page:
    return _template_page(get_answer_template(template_id))


def _template_page(template: AnswerTemplate | None) -> Page:
    # Not obj=template: its `category` is the related row, where the form wants the id.
    form = TemplateForm(data={
        "category": str(template.category_id or ""), "language": template.language, "title": template.title,
        "body": template.body, "active": template.active,
    } if template else None)
    subjects = [c for c in categories() if c.active or (template and c.id == template.category_id)]
    form.category.choices = choices_from(((c.id, localized(c, "name")) for c in subjects), _("Any subject"))
    if form.validate_on_submit():
        values = TemplateValues(
            category_id=int(form.category.data) if form.category.data else None,
            language=form.language.data,
            title=form.title.data,
            body=form.body.data,
            active=bool(form.active.data),
        )
        try:
            saved = save_answer_template(current_user, template.id if template else None, values)
        except Invalid as error:
            explain(form, error)
        else:
            flash(_("The template “%(title)s” was saved.", title=saved.title), "success")
            return redirect(url_for(".answer_template_list"))
    return rendered("admin/org/answer_template_form.html", form, template=template)


@routes.post("/answer-templates/<int:template_id>/switch-off")
def switch_off_answer_template_page(template_id: int) -> Response:
    template = switch_off_answer_template(current_user, template_id)
    flash(_("The template “%(title)s” was switched off. Staff no longer see it.", title=template.title), "success")
    return redirect(url_for(".answer_template_list"))
