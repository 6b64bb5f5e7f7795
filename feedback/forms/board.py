"""The public board's search form and the form to follow a published ticket."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SearchField, SelectChoice, SelectField
from wtforms.validators import DataRequired, Email, Length

from feedback.forms import choices_from
from feedback.forms.base import BaseFilterForm, BaseForm
from feedback.i18n import KIND_LABELS, STATUS_LABELS
from feedback.services.submitters.board import PUBLISHED_STATUSES

STATUS_GROUP_LABELS = {"open": _l("Being handled"), "answered": _l("Answered or closed")}


def status_choices() -> list[SelectChoice]:
    one_status = _l("One status")
    return choices_from(STATUS_GROUP_LABELS.items(), _l("All statuses")) + [
        SelectChoice(status.value, STATUS_LABELS[status.value], optgroup=one_status)
        for status in PUBLISHED_STATUSES
    ]


class BoardFilterForm(BaseFilterForm):
    """Read from the query string, so links keep the search; a value not among the choices
    is ignored by the view rather than refused, so an edited link still shows the board."""

    q = SearchField(_l("Words to search for"))
    category = SelectField(_l("Subject"), validate_choice=False)
    area = SelectField(_l("Place"), validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False, choices=status_choices)
    kind = SelectField(
        _l("Type"), validate_choice=False, choices=choices_from(KIND_LABELS.items(), _l("All types"))
    )


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


class FollowForm(BaseForm):
    email = EmailField(
        _l("Your email address"),
        # Pasted addresses often carry a space the browser does not show.
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Email(message=_l("Enter an email address like name@example.com."), check_deliverability=False),
            Length(max=200, message=_l("Keep the email address under 200 characters.")),
        ],
    )
    consent = BooleanField(
        _l("I agree that my email address is used only to tell me about this submission"),
        validators=[
            DataRequired(message=_l("Tick the box to agree, or we cannot send you news of this submission."))
        ],
    )
