"""Forms of the ticket page beyond accepting and rejecting: transfer, extension, progress
update, asking a leader, contributions of cooperating departments, assignment, internal notes,
and the answer's draft and approval."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from feedback.forms import ResolveForm, WholeNumberField, _choice
from feedback.forms.base import BaseForm
from feedback.services.handling.cooperation import (
    DEFAULT_CONTRIBUTION_DAYS,
    MAX_CONTRIBUTION_DAYS,
)


class _PrefixedForm(BaseForm):
    """Several forms share the ticket page: a prefix keeps their field names and ids apart."""

    prefix_name = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", self.prefix_name)
        super().__init__(*args, **kwargs)


def _reason(label: object, missing: object, min_length: int = 5, max_length: int = 2000) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[
            DataRequired(message=missing),
            Length(
                min=min_length,
                max=max_length,
                message=_l("Write %(min)d to %(max)d characters.", min=min_length, max=max_length),
            ),
        ],
    )


class TransferForm(_PrefixedForm):
    prefix_name = "transfer"
    department = _choice(_l("Department to transfer to"), _l("Choose a department."))
    reason = _reason(_l("Why it belongs there"), _l("Give the reason for the transfer."))


class ExtendForm(_PrefixedForm):
    prefix_name = "extend"
    days = WholeNumberField(
        _l("Extra working days"),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
        validators=[
            InputRequired(message=_l("Enter a number of working days.")),
            # The most allowed depends on the subject's policy, which the engine checks.
            NumberRange(min=1, message=_l("Enter a whole number of working days, such as 5.")),
        ],
    )
    reason = _reason(_l("Reason (shown to the submitter)"), _l("Give the reason for the extension."))


class ProgressForm(_PrefixedForm):
    prefix_name = "progress"
    text = _reason(_l("Where the handling stands (shown to the submitter)"), _l("Write the progress update."), 10)


class DecisionForm(_PrefixedForm):
    prefix_name = "decision"
    reason = _reason(_l("What the leader should decide"), _l("Say why a leader should decide."))


class ContributionRequestForm(_PrefixedForm):
    prefix_name = "contribution"
    department = _choice(_l("Cooperating department"), _l("Choose a department."))
    request = _reason(_l("What you need from them"), _l("Say what you need from the department."), 10)
    days = WholeNumberField(
        _l("Working days to answer"),
        default=DEFAULT_CONTRIBUTION_DAYS,
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
        validators=[
            InputRequired(message=_l("Enter a number of working days.")),
            NumberRange(
                min=1,
                max=MAX_CONTRIBUTION_DAYS,
                message=_l("Give 1 to %(max)d working days.", max=MAX_CONTRIBUTION_DAYS),
            ),
        ],
    )


class ContributionAnswerForm(BaseForm):
    # Built with prefix=f"answer{contribution.id}": one form per contribution on the page.
    answer = _reason(_l("Your department's contribution"), _l("Write the contribution."), 10, 10000)


class AssignForm(_PrefixedForm):
    prefix_name = "assign"
    assignee = _choice(_l("Officer to handle it"), _l("Choose an officer."))


class NoteForm(_PrefixedForm):
    prefix_name = "note"
    text = _reason(_l("Internal note (never shown to the submitter)"), _l("Write the note."), 2, 5000)


class DraftForm(ResolveForm):
    """The answer being written. It shares the page's answer box with the resolve form: its
    buttons post the same text to the draft address instead."""

    save = SubmitField(_l("Save draft"))
    send = SubmitField(_l("Send to the head for approval"))


class ApproveForm(_PrefixedForm):
    prefix_name = "approve"


class ReturnAnswerForm(_PrefixedForm):
    prefix_name = "return"
    reason = _reason(_l("What to change in the answer"), _l("Say what to change in the answer."))
