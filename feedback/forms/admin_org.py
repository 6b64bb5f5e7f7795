"""The administrators' forms for the province's structure: areas, departments, subjects and
their extra fields, staff accounts and answer templates."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from feedback.forms import InChoices, _choice, choices_from
from feedback.forms.admin import URGENCY_LABELS
from feedback.forms.base import BaseFilterForm, BaseForm
from feedback.i18n import ROLE_LABELS
from feedback.models import STAFF_ROLES
from feedback.services.accounts.staff import MIN_PASSWORD_LENGTH
from feedback.services.organisation.structure import CODE_PATTERN, MAX_CODE_LENGTH

# Stored in Vietnamese, as the reference data has them; shown in the reader's language.
AREA_KIND_LABELS = {
    "tỉnh": _l("Province"),
    "phường": _l("Ward"),
    "xã": _l("Commune"),
    "đặc khu": _l("Special zone"),
    "thôn": _l("Village or residential group"),
}
DEPARTMENT_KIND_LABELS = {
    "leadership": _l("Provincial leadership"),
    "intake": _l("Intake"),
    "department": _l("Provincial department"),
    "commune": _l("Commune or ward authority"),
    "external": _l("Outside body"),
}
APPLIES_TO_LABELS = {
    "both": _l("People and businesses"),
    "citizen": _l("People only"),
    "business": _l("Businesses only"),
}
DATATYPE_LABELS = {
    "string": _l("Short text"),
    "text": _l("Long text"),
    "number": _l("Number"),
    "datetime": _l("Date and time"),
    "singlevaluelist": _l("One choice from a list"),
    "multivaluelist": _l("Several choices from a list (tick boxes)"),
}
LANGUAGE_LABELS = {"vi": _l("Vietnamese"), "en": _l("English")}
STAFF_ROLE_LABELS = {role.value: ROLE_LABELS[role.value] for role in STAFF_ROLES}


def _code_field(label: Any, hint: Any) -> StringField:
    return StringField(
        label,
        description=hint,
        validators=[
            DataRequired(message=_l("Enter a code.")),
            Length(max=MAX_CODE_LENGTH, message=_l("Keep the code under %(max)d characters.", max=MAX_CODE_LENGTH)),
            Regexp(CODE_PATTERN, message=_l("Use only letters without accents, digits and underscores, "
                                            "for example road_type.")),
        ],
    )


def _text(label: Any, message: Any, maximum: int = 200, hint: Any = None) -> StringField:
    return StringField(
        label,
        description=hint,
        validators=[
            DataRequired(message=message),
            Length(max=maximum, message=_l("Keep this under %(max)d characters.", max=maximum)),
        ],
    )


def _optional_choice(label: Any, message: Any, hint: Any = None) -> SelectField:
    return SelectField(label, description=hint, validate_choice=False, validators=[Optional(), InChoices(message)])


class AreaForm(BaseForm):
    parent = _choice(_l("Inside"), _l("Choose the area it is inside."),
                     description=_l("The area it belongs to. Submissions are filed against the areas with "
                                    "nothing inside them: adding an area inside a ward makes people choose "
                                    "the new area instead."))
    name = _text(_l("Name"), _l("Enter the name, for example Phường Nha Trang."))
    code = _code_field(_l("Code"), _l("The official code of the administrative unit, for example 22366."))
    kind = _choice(_l("Kind"), _l("Choose the kind of area."), choices=choices_from(AREA_KIND_LABELS.items()))


class DepartmentForm(BaseForm):
    name_vi = _text(_l("Name in Vietnamese"), _l("Enter the name in Vietnamese."))
    name_en = _text(_l("Name in English"), _l("Enter the name in English."))
    code = _code_field(_l("Code"), _l("A short code, for example SXD."))
    kind = _choice(_l("Kind"), _l("Choose the kind of department."),
                   choices=choices_from(DEPARTMENT_KIND_LABELS.items()))
    parent = _optional_choice(_l("Part of (optional)"), _l("Choose a department from the list."))
    email = EmailField(
        _l("Email for submissions (optional)"),
        validators=[
            Optional(),
            Email(message=_l("Enter an email address like name@example.com."), check_deliverability=False),
            Length(max=200, message=_l("Keep this under %(max)d characters.", max=200)),
        ],
    )
    is_intake = BooleanField(_l("Intake: new submissions wait here to be accepted or rejected"))
    external = BooleanField(_l("Outside body: intake forwards matters to it, it does not handle tickets here"))
    requires_approval = BooleanField(_l("The head approves answers before they are published"))


class CategoryForm(BaseForm):
    name_vi = _text(_l("Name in Vietnamese"), _l("Enter the name in Vietnamese."))
    name_en = _text(_l("Name in English"), _l("Enter the name in English."))
    code = _code_field(_l("Code"), _l("A short code, for example GTDB. It names the subject's extra fields."))
    description_vi = TextAreaField(
        _l("Description in Vietnamese"),
        validators=[Optional(), Length(max=2000, message=_l("Keep this under %(max)d characters.", max=2000))],
    )
    description_en = TextAreaField(
        _l("Description in English"),
        validators=[Optional(), Length(max=2000, message=_l("Keep this under %(max)d characters.", max=2000))],
    )
    urgency = _choice(_l("Urgency"), _l("Choose the urgency of this subject."),
                      choices=choices_from(URGENCY_LABELS.items()),
                      description=_l("It decides which answer deadline of the policy applies."))
    applies_to = _choice(_l("Who may choose it"), _l("Choose who may choose this subject."), RadioField,
                         choices=choices_from(APPLIES_TO_LABELS.items()), default="both")
    external = BooleanField(_l("Handled by an outside body (such as the police): intake forwards it"))
    active = BooleanField(_l("Active: people can choose it on the submission form"), default=True)


def parse_value_lines(text: str) -> tuple[tuple[str, str, str], ...]:
    """`key | tên tiếng Việt | English name`, one a line; blank lines are skipped."""
    values = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3 or not all(parts):
            raise ValidationError(_l("Line %(number)d: write key | Vietnamese name | English name.", number=number))
        if not CODE_PATTERN.match(parts[0]) or len(parts[0]) > MAX_CODE_LENGTH:
            raise ValidationError(_l("Line %(number)d: the key may have only letters without accents, digits and "
                                     "underscores, for example quoc_lo.", number=number))
        values.append((parts[0], parts[1], parts[2]))
    return tuple(values)


class ExtraFieldForm(BaseForm):
    label_vi = _text(_l("Question in Vietnamese"), _l("Enter the question in Vietnamese."))
    label_en = _text(_l("Question in English"), _l("Enter the question in English."))
    code = _code_field(_l("Code"), _l("Names the answer in the ticket's data, for example road_type. Answers "
                                      "already given keep the code they were given with."))
    datatype = _choice(_l("Kind of answer"), _l("Choose the kind of answer."),
                       choices=choices_from(DATATYPE_LABELS.items()))
    required = BooleanField(_l("Required: the submission cannot be sent without an answer"))
    values = TextAreaField(
        _l("Choices (for the list kinds)"),
        description=_l("One a line: key | tên tiếng Việt | English name, for example "
                       "quoc_lo | Quốc lộ | National highway."),
        validators=[Length(max=5000, message=_l("Keep this under %(max)d characters.", max=5000))],
    )
    parsed_values: tuple[tuple[str, str, str], ...] = ()

    def validate_values(self, field: Field) -> None:
        self.parsed_values = parse_value_lines(field.data or "")


class UserFilterForm(BaseFilterForm):
    """Read from the query string, so that a filtered list can be linked to."""

    role = _optional_choice(_l("Role"), _l("Choose a role from the list."))
    department = _optional_choice(_l("Department"), _l("Choose a department from the list."))
    active = _optional_choice(_l("State"), _l("Choose a state from the list."))
    q = StringField(_l("Email or name contains"),
                    validators=[Length(max=200, message=_l("Keep this under %(max)d characters.", max=200))])


def _department_for_role(label: Any) -> SelectField:
    return _optional_choice(
        label,
        _l("Choose a department from the list."),
        _l("Required for department officers and heads; none for administrators."),
    )


def _password(label: Any) -> PasswordField:
    return PasswordField(
        label,
        description=_l("At least %(min)d characters. Give it to the person in a safe way.", min=MIN_PASSWORD_LENGTH),
        validators=[
            DataRequired(message=_l("Enter a password.")),
            Length(min=MIN_PASSWORD_LENGTH, max=200,
                   message=_l("The password must have at least %(min)d characters.", min=MIN_PASSWORD_LENGTH)),
        ],
    )


class NewUserForm(BaseForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter the email address.")),
            Email(message=_l("Enter an email address like name@example.com."), check_deliverability=False),
            Length(max=200, message=_l("Keep this under %(max)d characters.", max=200)),
        ],
    )
    name = _text(_l("Full name"), _l("Enter the person's name."))
    role = _choice(_l("Role"), _l("Choose a role."), choices=choices_from(STAFF_ROLE_LABELS.items(), _l("Choose")))
    department = _department_for_role(_l("Department"))
    password = _password(_l("Initial password"))


class EditUserForm(BaseForm):
    role = _choice(_l("Role"), _l("Choose a role."), choices=choices_from(STAFF_ROLE_LABELS.items()))
    department = _department_for_role(_l("Department"))
    active = BooleanField(_l("Active: the person can sign in"))


class PasswordForm(BaseForm):
    password = _password(_l("New password"))


class TemplateForm(BaseForm):
    category = _optional_choice(_l("Subject"), _l("Choose a subject from the list."),
                                _l("Staff see it on the tickets of this subject; “any subject”: on every ticket."))
    language = _choice(_l("Language"), _l("Choose the language of the answer."), RadioField,
                       choices=choices_from(LANGUAGE_LABELS.items()), default="vi")
    title = _text(_l("Title"), _l("Enter a title staff recognise it by."))
    body = TextAreaField(
        _l("Answer"),
        validators=[
            DataRequired(message=_l("Write the answer.")),
            Length(min=20, max=10000, message=_l("The answer must be 20 to 10,000 characters long.")),
        ],
    )
    active = BooleanField(_l("Active: staff can start from it"), default=True)


# What each refusal of the services (Invalid.code) means, next to the field it names.
INVALID_MESSAGES = {
    "bad_code": _l("Use only letters without accents, digits and underscores, for example road_type."),
    "duplicate_code": _l("This code is already used. Choose another."),
    "bad_choice": _l("Choose one of the options."),
    "area_has_tickets": _l("This area has tickets filed against it, so it stays. Rename it instead."),
    "area_has_children": _l("This area has areas inside it. Delete or move those first."),
    "last_intake": _l("There must be one intake department. To move intake, tick this box on the other department."),
    "parent_cycle": _l("A department cannot be part of itself or of a department inside it."),
    "needs_values": _l("A list needs at least one choice: write one a line."),
    "duplicate_key": _l("Each choice needs its own key: two lines have the same one."),
    "bad_value_line": _l("Write key | Vietnamese name | English name on each line."),
    "duplicate_email": _l("An account with this email address already exists."),
    "department_required": _l("Choose the department of this officer or head."),
    "no_department_for_administrator": _l("Administrators belong to no department: leave it empty."),
    "short_password": _l("The password must have at least %(min)d characters.", min=MIN_PASSWORD_LENGTH),
    "demote_self": _l("You cannot take away your own administrator role. Ask another administrator."),
    "deactivate_self": _l("You cannot switch off your own account. Ask another administrator."),
}
