"""Forms of the citizen account pages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from feedback.forms.base import BaseForm
from feedback.services.accounts.citizens import MIN_PASSWORD_LENGTH

# Vietnamese numbers as people write them: 0912 345 678, 0912.345.678, +84 912 345 678.
PHONE_PATTERN = r"^\+?[0-9][0-9 .()-]{7,18}[0-9]$"


def _name() -> Any:
    return StringField(
        _l("Full name"),
        validators=[
            DataRequired(message=_l("Enter your name.")),
            Length(max=200, message=_l("Keep the name under 200 characters.")),
        ],
    )


def _email() -> Any:
    return EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter an email address like name@example.com."), check_deliverability=False),
            Length(max=200, message=_l("Keep the email address under 200 characters.")),
        ],
    )


def _phone() -> Any:
    return TelField(
        _l("Phone number (optional)"),
        validators=[Optional(), Regexp(PHONE_PATTERN, message=_l("Enter a phone number like 0912 345 678."))],
    )


def _new_password(label: Any) -> Any:
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Enter a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=_l("The password must be at least %(min)s characters long.", min=MIN_PASSWORD_LENGTH),
            ),
            Length(max=200, message=_l("Keep the password under 200 characters.")),
        ],
    )


def _confirmation(field: str) -> Any:
    return PasswordField(
        _l("Confirm the password"),
        validators=[
            DataRequired(message=_l("Enter the password again.")),
            EqualTo(field, message=_l("The two passwords are not the same.")),
        ],
    )


class RegistrationForm(BaseForm):
    name = _name()
    email = _email()
    phone = _phone()
    password = _new_password(_l("Password"))
    confirm = _confirmation("password")
    consent = BooleanField(
        _l("I have read the privacy notice and agree that my account data is used to handle my submissions."),
        validators=[DataRequired(message=_l("Agree to the privacy notice to create an account."))],
    )


class ProfileForm(BaseForm):
    name = _name()
    email = _email()
    phone = _phone()


class PasswordForm(BaseForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(message=_l("Enter your current password."))]
    )
    new_password = _new_password(_l("New password"))
    confirm = _confirmation("new_password")


class DeleteAccountForm(BaseForm):
    password = PasswordField(
        _l("Your password"), validators=[DataRequired(message=_l("Enter your password."))]
    )
