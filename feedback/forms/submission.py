"""The submission form, public and staff-entered, with each subject's extra fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import format_number
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from markupsafe import escape
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength
from stdnum.exceptions import ValidationError as NumberError
from stdnum.vn import mst
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    Field,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from feedback.forms import _choice, choices_from
from feedback.forms.base import BaseForm
from feedback.i18n import CHANNEL_LABELS, KIND_LABELS, current_language, localized
from feedback.models import Category
from feedback.services.intake.attachments import MAX_FILES
from feedback.services.intake.catalog import match_areas
from feedback.services.intake.rules import (
    ADDRESS_MAX,
    DESCRIPTION_LENGTH,
    NAME_MAX,
    STAFF_CHANNELS,
    TITLE_LENGTH,
    is_mobile,
    latitude_in_vietnam,
    longitude_in_vietnam,
    normalize_phone,
    parse_coordinate,
)
from feedback.services.reference import Place, Reference, Subject, current


class Localized:
    """A label stored in both languages (category extra fields), shown in the current one."""

    def __init__(self, vi: str, en: str) -> None:
        self.vi, self.en = vi, en

    def __str__(self) -> str:
        return self.en if current_language() == "en" else self.vi

    def __html__(self) -> str:
        return str(escape(str(self)))


def _tax_code(form: FlaskForm, field: Field) -> None:
    if form.submitter_type.data != "business":
        return
    typed = (field.data or "").replace(" ", "").replace("-", "")
    if not typed:
        raise ValidationError(_l("Enter the business's tax code."))
    # isdigit() alone takes the digits of every script, which the tax office's numbers are not.
    if not (typed.isascii() and typed.isdigit()):
        raise ValidationError(_l("A tax code has only digits: 10, or 13 for a branch."))
    try:
        mst.validate(typed)
    except InvalidLength:
        raise ValidationError(
            _l("A tax code has 10 digits, or 13 for a branch; you typed %(count)s.", count=len(typed))
        ) from None
    except InvalidChecksum:
        raise ValidationError(
            _l("This tax code is not valid: its 10th digit does not match the first nine. Check for a typing mistake.")
        ) from None
    except InvalidComponent:
        raise ValidationError(_l("The last three digits of a branch's tax code must be 001 to 999.")) from None
    except NumberError:
        raise ValidationError(_l("This tax code is not valid.")) from None
    field.data = typed


def at_most_files(form: FlaskForm, field: Field) -> None:
    if len([f for f in field.data or [] if getattr(f, "filename", "")]) > MAX_FILES:
        raise ValidationError(_l("Attach at most %(count)s files.", count=MAX_FILES))


def _business_name(form: FlaskForm, field: Field) -> None:
    if form.submitter_type.data == "business" and not (field.data or "").strip():
        raise ValidationError(_l("Enter the business's name."))


class SubmissionForm(BaseForm):
    kind = _choice(
        _l("What are you sending?"),
        _l("Choose feedback or recommendation."),
        RadioField,
        choices=choices_from(KIND_LABELS.items()),
    )
    submitter_type = _choice(
        _l("You are sending it as"),
        _l("Choose whether you send it as a person or for a business."),
        RadioField,
        choices=choices_from([("citizen", _l("A person")), ("business", _l("A business or organisation"))]),
        default="citizen",
    )
    business_name = StringField(
        _l("Business name"),
        validators=[
            _business_name,
            Length(max=NAME_MAX, message=_l("Keep the business name under %(max)d characters.", max=NAME_MAX)),
        ],
    )
    tax_code = StringField(_l("Tax code"), validators=[_tax_code])
    category = _choice(_l("Subject"), _l("Choose the subject of your submission."))
    area = StringField(
        _l("Commune, ward or special zone"),
        validators=[DataRequired(message=_l("Enter the commune or ward where it happens."))],
    )
    address = StringField(
        _l("Street address or landmark"),
        validators=[
            Optional(),
            Length(max=ADDRESS_MAX, message=_l("Keep the address under %(max)d characters.", max=ADDRESS_MAX)),
        ],
    )
    latitude = StringField(_l("Latitude"), validators=[Optional()])
    longitude = StringField(_l("Longitude"), validators=[Optional()])
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Enter a title.")),
            Length(
                min=TITLE_LENGTH[0],
                max=TITLE_LENGTH[1],
                message=_l(
                    "The title must be %(min)d to %(max)d characters long.", min=TITLE_LENGTH[0], max=TITLE_LENGTH[1]
                ),
            ),
        ],
    )
    description = TextAreaField(
        _l("Description"),
        validators=[
            DataRequired(message=_l("Describe the problem or your proposal.")),
            Length(
                min=DESCRIPTION_LENGTH[0],
                max=DESCRIPTION_LENGTH[1],
                message=_l(
                    "The description must be %(min)d to %(max)s characters long.",
                    min=DESCRIPTION_LENGTH[0],
                    max=LazyString(format_number, DESCRIPTION_LENGTH[1]),
                ),
            ),
        ],
    )
    attachments = MultipleFileField(_l("Photos or documents (optional)"), validators=[at_most_files])
    name = StringField(
        _l("Your name"),
        validators=[
            Optional(),
            Length(max=NAME_MAX, message=_l("Keep the name under %(max)d characters.", max=NAME_MAX)),
        ],
    )
    email = EmailField(
        _l("Email"),
        validators=[
            Optional(),
            Email(message=_l("Enter an email address like name@example.com."), check_deliverability=False),
        ],
    )
    phone = TelField(_l("Phone"), validators=[Optional()])
    notify_by = _choice(
        _l("How should we tell you about progress?"),
        _l("Choose how we should tell you about progress."),
        RadioField,
        choices=choices_from(
            [
                ("email", _l("By email")),
                ("sms", _l("By text message (SMS)")),
                ("none", _l("No messages: I will check the tracking page")),
            ]
        ),
        default="email",
    )
    visibility = _choice(
        _l("Who can see your submission?"),
        _l("Choose whether your submission may be published."),
        RadioField,
        choices=choices_from(
            [
                ("public", _l("Everyone: publish it with the answer on the public board, without my contact details")),
                ("private", _l("Only the officers handling it")),
            ]
        ),
        default="public",
    )
    anonymous = BooleanField(_l("Do not show my name publicly"))
    consent = BooleanField(
        _l("I agree that my personal data is processed to handle this submission, as the privacy notice describes."),
        validators=[DataRequired(message=_l("To send the submission, agree to the processing of your personal data."))],
    )
    # Hidden from people by CSS; form-filling robots fill every field they find.
    homepage = StringField(_l("Leave this field empty"))

    # Set on each form made by submission_form(): the extra fields' names by category code.
    extra_field_names: dict[str, list[str]]
    area_lookup: Callable[[str], list[Place]]

    def validate_phone(self, field: Field) -> None:
        if field.data and normalize_phone(field.data) is None:
            raise ValidationError(_l("Enter a Vietnamese phone number, like 0905 123 456."))

    def validate_area(self, field: Field) -> None:
        matches = self.area_lookup(field.data or "")
        if not matches:
            raise ValidationError(_l("No commune or ward of Khánh Hòa has this name. Choose one from the list."))
        if len(matches) > 1:
            names = ", ".join(area.name for area in matches[:6])
            raise ValidationError(_l("Several places match: %(names)s. Type the full name.", names=names))
        self.matched_area = matches[0]

    def validate_homepage(self, field: Field) -> None:
        if field.data:
            raise ValidationError(
                _l(
                    "The form could not be sent because a hidden field was filled in, as robots do. "
                    "If a form-filling tool did it, turn the tool off and send again."
                )
            )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        valid = self._validate_coordinates() and valid
        valid = self._validate_contact() and valid
        return self._validate_extra_fields() and valid

    def _validate_coordinates(self) -> bool:
        typed = (self.latitude.data or "").strip(), (self.longitude.data or "").strip()
        if not any(typed):
            self.coordinates = None
            return True
        if not all(typed):
            missing = self.longitude if typed[0] else self.latitude
            missing.errors = [*missing.errors, _l("Enter both latitude and longitude, or neither.")]
            return False
        latitude, longitude = parse_coordinate(typed[0]), parse_coordinate(typed[1])
        ok = True
        if latitude is None or not latitude_in_vietnam(latitude):
            self.latitude.errors = [*self.latitude.errors, _l("Enter a latitude in Vietnam, like 12.2388.")]
            ok = False
        if longitude is None or not longitude_in_vietnam(longitude):
            self.longitude.errors = [*self.longitude.errors, _l("Enter a longitude in Vietnam, like 109.1967.")]
            ok = False
        self.coordinates = (latitude, longitude) if ok else None
        return ok

    def _validate_contact(self) -> bool:
        if self.notify_by.data == "email" and not self.email.data:
            self.email.errors = [
                *self.email.errors,
                _l("Enter an email address, or choose another way to hear from us."),
            ]
            return False
        if self.notify_by.data == "sms":
            phone = normalize_phone(self.phone.data or "")
            if phone is None or not is_mobile(phone):
                if not self.phone.errors:
                    self.phone.errors = [
                        *self.phone.errors,
                        _l("Enter a mobile number for text messages, like 0905 123 456."),
                    ]
                return False
        return True

    def _validate_extra_fields(self) -> bool:
        category_code = self.chosen_category_code()
        ok = True
        for name in self.extra_field_names.get(category_code or "", []):
            field = self[name]
            if field.flags.extra_required and not field.data:
                field.errors = [*field.errors, _l("Answer “%(label)s”.", label=str(field.label.text))]
                ok = False
        return ok

    def chosen_category_code(self) -> str | None:
        return getattr(self, "category_codes", {}).get(self.category.data)

    def extra_values(self) -> dict[str, Any]:
        """The chosen category's extra fields, by their code, in JSON-friendly form."""
        category_code = self.chosen_category_code()
        values: dict[str, Any] = {}
        for name in self.extra_field_names.get(category_code or "", []):
            data = self[name].data
            if data in (None, "", []):
                continue
            values[name.split("__", 2)[2]] = data.isoformat() if hasattr(data, "isoformat") else data
        return values


class StaffSubmissionForm(SubmissionForm):
    channel = _choice(
        _l("Received by"),
        _l("Choose how the submission was received."),
        SelectField,
        choices=choices_from(((code, CHANNEL_LABELS[code]) for code in STAFF_CHANNELS), _l("Choose a channel")),
    )
    consent = BooleanField(
        _l("The person agreed to the processing of their personal data (read them the privacy notice)."),
        validators=[DataRequired(message=_l("Record that the person agreed to the processing of their data."))],
    )


def extra_field_name(category: Subject | Category, spec: dict[str, Any]) -> str:
    return f"x__{category.code}__{spec['code']}"


def _extra_field(spec: dict[str, Any]) -> Field:
    label = Localized(spec["label_vi"], spec["label_en"])
    values = [(v["key"], Localized(v["name_vi"], v["name_en"])) for v in spec.get("values", [])]
    datatype = spec["datatype"]
    kwargs: dict[str, Any] = {"validators": [Optional()]}
    if datatype == "singlevaluelist":
        field: Field = SelectField(label, choices=choices_from(values, _l("Choose")), validate_choice=False, **kwargs)
    elif datatype == "multivaluelist":
        field = SelectMultipleField(
            label,
            choices=choices_from(values),
            widget=widgets.ListWidget(prefix_label=False),
            option_widget=widgets.CheckboxInput(),
            validate_choice=False,
            **kwargs,
        )
    elif datatype == "datetime":
        field = DateTimeLocalField(label, format="%Y-%m-%dT%H:%M", **kwargs)
    elif datatype == "text":
        field = TextAreaField(
            label, validators=[Optional(), Length(max=2000, message=_l("Keep this under 2,000 characters."))]
        )
    else:
        field = StringField(
            label, validators=[Optional(), Length(max=200, message=_l("Keep this under 200 characters."))]
        )
    return field


def submission_form(*, staff: bool = False, **kwargs: Any) -> SubmissionForm:
    """The form with every active category's extra fields; only the chosen category's are checked.
    Its class is made once per copy of the reference data, not on every request."""
    reference = current()
    form_class, names, required = reference.once(("submission form", staff), lambda: _form_class(reference, staff))
    form: SubmissionForm = form_class(**kwargs)
    form.extra_field_names = names
    form.category_codes = {str(c.id): c.code for c in reference.subjects}
    subjects = ((c.id, localized(c, "name")) for c in reference.subjects)
    form.category.choices = choices_from(subjects, _l("Choose a subject"))
    form.area_lookup = match_areas
    for name in required:
        form[name].flags.extra_required = True
    return form


def _form_class(reference: Reference, staff: bool) -> tuple[type[SubmissionForm], dict[str, list[str]], list[str]]:
    attrs: dict[str, Any] = {}
    names: dict[str, list[str]] = {}
    required: list[str] = []
    for category in reference.subjects:
        for spec in category.extra_fields:
            name = extra_field_name(category, spec)
            attrs[name] = unbound = _extra_field(spec)
            names.setdefault(category.code, []).append(name)
            if spec.get("required"):
                unbound.kwargs.setdefault("render_kw", {})["data-required"] = "true"
                required.append(name)
    base = StaffSubmissionForm if staff else SubmissionForm
    return type(base.__name__, (base,), attrs), names, required
