"""The administrators' form to add a client of the Open311 API."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from feedback.forms import WholeNumberField
from feedback.forms.base import BaseForm
from feedback.services.open311.clients import MAX_HOURLY_LIMIT, MIN_HOURLY_LIMIT

# The length of ApiClient.name and ApiClient.contact_email.
MAX_TEXT_LENGTH = 200


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


class ApiClientForm(BaseForm):
    name = StringField(
        _l("Name"),
        description=_l("The app, hotline or system that files tickets, as staff will recognise it, for example "
                       "Tổng đài 1022 Khánh Hòa."),
        validators=[
            DataRequired(message=_l("Enter the name of the app or system.")),
            Length(max=MAX_TEXT_LENGTH, message=_l("Keep this under %(max)d characters.", max=MAX_TEXT_LENGTH)),
        ],
    )
    contact_email = EmailField(
        _l("Contact email (optional)"),
        description=_l("Whom to write to about the client, for example before its key is revoked."),
        # Pasted addresses often carry a space the browser does not show.
        filters=[_strip],
        validators=[
            Optional(),
            Email(message=_l("Enter an email address like name@example.com."), check_deliverability=False),
            Length(max=MAX_TEXT_LENGTH, message=_l("Keep this under %(max)d characters.", max=MAX_TEXT_LENGTH)),
        ],
    )
    hourly_limit = WholeNumberField(
        _l("Tickets an hour"),
        default=60,
        description=_l("How many tickets the client may file in an hour, from 1 to 10,000; the API refuses more."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
        validators=[
            NumberRange(
                min=MIN_HOURLY_LIMIT,
                max=MAX_HOURLY_LIMIT,
                message=_l("Enter a whole number of tickets from 1 to 10,000."),
            )
        ],
    )
