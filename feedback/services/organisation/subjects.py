"""Subjects (categories), the extra questions each asks on the submission form, and the
standard answers staff start from, as administrators keep them.

Refusals are `Invalid` errors (see organisation.py) naming the rule and the form field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from feedback.extensions import db
from feedback.models import AnswerTemplate, Category, User
from feedback.services.access import require_administrator
from feedback.services.errors import NotFoundError
from feedback.services.organisation.structure import Invalid, check_code
from workflows import Urgency

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_DATATYPES = ("singlevaluelist", "multivaluelist")
APPLIES_TO = ("both", "citizen", "business")
LANGUAGES = ("vi", "en")


# --- Categories -----------------------------------------------------------------------------

def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.active.desc(), Category.code)))


def get_category(category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFoundError("category")
    return category


@dataclass(frozen=True)
class CategoryValues:
    code: str
    name_vi: str
    name_en: str
    description_vi: str
    description_en: str
    urgency: str
    applies_to: str
    external: bool
    active: bool


def save_category(actor: User, category_id: int | None, values: CategoryValues) -> Category:
    """Add (no id) or edit a subject. A subject is switched off rather than deleted: tickets,
    rules and policies point at it."""
    require_administrator(actor)
    category = get_category(category_id) if category_id is not None else Category(extra_fields=[])
    code = check_code(values.code)
    if db.session.scalar(select(Category.id).where(Category.code == code, Category.id != (category_id or 0))):
        raise Invalid("duplicate_code", "code")
    if values.applies_to not in APPLIES_TO:
        raise Invalid("bad_choice", "applies_to")
    category.code = code
    category.name_vi, category.name_en = values.name_vi.strip(), values.name_en.strip()
    category.description_vi, category.description_en = values.description_vi.strip(), values.description_en.strip()
    category.urgency = Urgency(values.urgency).value
    category.applies_to, category.external, category.active = values.applies_to, values.external, values.active
    db.session.add(category)
    db.session.commit()
    return category


# --- Extra fields ---------------------------------------------------------------------------

def field_spec(category: Category, code: str) -> dict[str, Any]:
    spec = next((s for s in category.extra_fields or [] if s["code"] == code), None)
    if spec is None:
        raise NotFoundError("extra field")
    return spec


@dataclass(frozen=True)
class FieldValues:
    code: str
    label_vi: str
    label_en: str
    datatype: str
    required: bool
    # (key, name_vi, name_en) for the list types; ignored for the others.
    values: tuple[tuple[str, str, str], ...] = ()


def save_extra_field(actor: User, category_id: int, old_code: str | None, values: FieldValues) -> dict[str, Any]:
    """Add (no old code) or replace one field, keeping its place. Stored as the submission form
    reads it: {code, label_vi, label_en, datatype, required, values: [{key, name_vi, name_en}]}."""
    require_administrator(actor)
    category = get_category(category_id)
    specs = list(category.extra_fields or [])
    position = len(specs)
    if old_code is not None:
        position = specs.index(field_spec(category, old_code))
    code = check_code(values.code)
    if any(s["code"] == code for i, s in enumerate(specs) if i != position):
        raise Invalid("duplicate_code", "code")
    if values.datatype not in DATATYPES:
        raise Invalid("bad_choice", "datatype")
    spec: dict[str, Any] = {
        "code": code,
        "label_vi": values.label_vi.strip(),
        "label_en": values.label_en.strip(),
        "datatype": values.datatype,
        "required": values.required,
    }
    if values.datatype in LIST_DATATYPES:
        spec["values"] = _checked_values(values.values)
    specs[position:position + 1] = [spec]
    # A new list, not the same one changed: the JSON column only notices a new value.
    category.extra_fields = specs
    db.session.commit()
    return spec


def _checked_values(values: tuple[tuple[str, str, str], ...]) -> list[dict[str, str]]:
    if not values:
        raise Invalid("needs_values", "values")
    keys = [check_code(key, "values") for key, _vi, _en in values]
    if len(set(keys)) != len(keys):
        raise Invalid("duplicate_key", "values")
    if any(not vi.strip() or not en.strip() for _key, vi, en in values):
        raise Invalid("bad_value_line", "values")
    return [
        {"key": key, "name_vi": vi.strip(), "name_en": en.strip()}
        for key, (_k, vi, en) in zip(keys, values, strict=True)
    ]


def remove_extra_field(actor: User, category_id: int, code: str) -> None:
    """Submissions already sent keep their answers; the ticket page no longer shows them."""
    require_administrator(actor)
    category = get_category(category_id)
    spec = field_spec(category, code)
    category.extra_fields = [s for s in category.extra_fields if s is not spec]
    db.session.commit()


def move_extra_field(actor: User, category_id: int, code: str, step: int) -> None:
    """One place up (step -1) or down (+1); at either end nothing changes."""
    require_administrator(actor)
    category = get_category(category_id)
    specs = list(category.extra_fields or [])
    index = specs.index(field_spec(category, code))
    target = index + step
    if step not in (-1, 1) or not 0 <= target < len(specs):
        return
    specs[index], specs[target] = specs[target], specs[index]
    category.extra_fields = specs
    db.session.commit()


# --- Answer templates -----------------------------------------------------------------------

def answer_templates() -> list[AnswerTemplate]:
    return list(
        db.session.scalars(
            select(AnswerTemplate).order_by(AnswerTemplate.active.desc(), AnswerTemplate.title, AnswerTemplate.id)
        )
    )


def get_answer_template(template_id: int) -> AnswerTemplate:
    template = db.session.get(AnswerTemplate, template_id)
    if template is None:
        raise NotFoundError("answer template")
    return template


@dataclass(frozen=True)
class TemplateValues:
    category_id: int | None
    language: str
    title: str
    body: str
    active: bool = True


def save_answer_template(actor: User, template_id: int | None, values: TemplateValues) -> AnswerTemplate:
    require_administrator(actor)
    template = get_answer_template(template_id) if template_id is not None else AnswerTemplate()
    if values.category_id is not None:
        get_category(values.category_id)
    if values.language not in LANGUAGES:
        raise Invalid("bad_choice", "language")
    template.category_id, template.language = values.category_id, values.language
    template.title, template.body, template.active = values.title.strip(), values.body.strip(), values.active
    db.session.add(template)
    db.session.commit()
    return template


def switch_off_answer_template(actor: User, template_id: int) -> AnswerTemplate:
    """Switched off, not deleted: it leaves the staff's list and can be switched on again."""
    require_administrator(actor)
    template = get_answer_template(template_id)
    template.active = False
    db.session.commit()
    return template
