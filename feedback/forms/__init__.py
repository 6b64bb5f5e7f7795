"""Web forms. Every validator carries its own translatable message: WTForms ships none in
Vietnamese. Choice fields check their own choices for the same reason."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    Field,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import TextInput

from feedback.forms.base import BaseForm
from feedback.i18n import RATING_LABELS


class InChoices:
    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.data not in {choice.value for choice in field.choices if choice.value}:
            raise ValidationError(self.message)


_Value = TypeVar("_Value")


class LenientField(Field, Generic[_Value]):
    """Leaves a value it cannot read as None, for the field's own validator to explain in the
    reader's language: WTForms' parse messages are English only, and would come on top."""

    data: _Value | None

    @property
    def required_data(self) -> _Value:
        """The value, once the form has validated, of a field whose validators refuse none
        (InputRequired or DataRequired, NumberRange)."""
        if self.data is None:
            raise RuntimeError(f"{self.name} has no value: read after a validation that refuses none")
        return self.data

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


class WholeNumberField(LenientField[int], IntegerField):
    # A text box rather than type=number: no spinner, no silent rounding, and the same
    # keyboard on every phone through inputmode.
    widget = TextInput()


def choices_from(pairs: Any, placeholder: Any = None) -> list[SelectChoice]:
    """Options for a choice field, after an empty "choose" option when a placeholder is given."""
    options = [SelectChoice("", placeholder)] if placeholder else []
    return options + [SelectChoice(str(value), label) for value, label in pairs]


def _choice(label: Any, message: Any, field_class: type = SelectField, **kwargs: Any) -> Any:
    return field_class(
        label,
        validate_choice=False,
        validators=[DataRequired(message=message), InChoices(message)],
        **kwargs,
    )


class TrackForm(BaseForm):
    code = StringField(_l("Tracking code"), validators=[DataRequired(message=_l("Enter the tracking code."))])
    secret = StringField(_l("Secret key"), validators=[DataRequired(message=_l("Enter the secret key."))])


class RatingForm(BaseForm):
    level = _choice(
        _l("How satisfied are you with the answer?"),
        _l("Choose how satisfied you are."),
        RadioField,
        choices=choices_from(RATING_LABELS.items()),
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        validators=[Optional(), Length(max=2000, message=_l("Keep the comment under 2,000 characters."))],
    )


class LoginForm(BaseForm):
    email = EmailField(_l("Email"), validators=[DataRequired(message=_l("Enter your email address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Enter your password."))])


class AcceptForm(BaseForm):
    department = _choice(_l("Department to handle it"), _l("Choose a department."))


class RejectForm(BaseForm):
    reason = TextAreaField(
        _l("Reason for rejection (shown to the submitter)"),
        validators=[
            DataRequired(message=_l("Give the reason for rejecting.")),
            Length(max=2000, message=_l("Keep the reason under 2,000 characters.")),
        ],
    )


class ResolveForm(BaseForm):
    answer = TextAreaField(
        _l("Answer to the submitter"),
        validators=[
            DataRequired(message=_l("Write the answer.")),
            Length(min=20, max=10000, message=_l("The answer must be 20 to 10,000 characters long.")),
        ],
    )


class RequestInfoForm(BaseForm):
    question = TextAreaField(
        _l("Question to the submitter"),
        validators=[
            DataRequired(message=_l("Write the question.")),
            Length(min=10, max=2000, message=_l("The question must be 10 to 2,000 characters long.")),
        ],
    )
