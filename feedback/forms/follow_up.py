"""What a submitter sends after submitting: an answer to a question, a request to reopen."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import MultipleFileField, TextAreaField
from wtforms.validators import DataRequired, Length

from feedback.forms.base import BaseForm
from feedback.forms.submission import at_most_files


class InfoReplyForm(BaseForm):
    text = TextAreaField(
        _l("Your answer"),
        validators=[
            DataRequired(message=_l("Write your answer to the question.")),
            Length(max=5000, message=_l("Keep the answer under 5,000 characters.")),
        ],
    )
    attachments = MultipleFileField(_l("Photos or documents (optional)"), validators=[at_most_files])


class ReopenForm(BaseForm):
    reason = TextAreaField(
        _l("Why is the answer not enough?"),
        validators=[
            DataRequired(message=_l("Say why you want the submission handled again.")),
            Length(min=10, max=2000, message=_l("The reason must be 10 to 2,000 characters long.")),
        ],
    )
