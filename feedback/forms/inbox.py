"""The inbox's filters (read from the query string) and its bulk form."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, SearchField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from feedback.forms import InChoices, choices_from
from feedback.forms.base import BaseFilterForm, BaseForm
from feedback.i18n import CHANNEL_LABELS, KIND_LABELS, STATUS_LABELS
from feedback.ids import read_id
from feedback.services.handling.inbox import (
    ASSIGNED_TO_ME,
    DECISION_REQUESTED,
    ESCALATED,
    OPEN_STATUSES,
    UNASSIGNED,
)

ASSIGN = "assign"
TRANSFER = "transfer"


def status_choices() -> list[SelectChoice]:
    return choices_from(((status.value, STATUS_LABELS[status.value]) for status in OPEN_STATUSES), _l("All open"))


def attention_choices() -> list[SelectChoice]:
    return choices_from(
        [(ESCALATED, _l("Escalated")), (DECISION_REQUESTED, _l("A leader is asked to decide"))],
        _l("All tickets"),
    )


def assignee_choices(officers: list[SelectChoice]) -> list[SelectChoice]:
    return choices_from([(ASSIGNED_TO_ME, _l("Me")), (UNASSIGNED, _l("Nobody yet"))], _l("Anyone")) + officers


class InboxFilterForm(BaseFilterForm):
    """Read from the query string, so links keep the filters; a value not among the choices is
    ignored by the view rather than refused, so an edited link still shows the inbox."""

    q = SearchField(_l("Search"))
    status = SelectField(_l("Status"), validate_choice=False, choices=status_choices)
    category = SelectField(_l("Subject"), validate_choice=False)
    area = SelectField(_l("Place"), validate_choice=False)
    assignee = SelectField(_l("Assigned to"), validate_choice=False)
    channel = SelectField(
        _l("Received by"), validate_choice=False, choices=choices_from(CHANNEL_LABELS.items(), _l("Any channel"))
    )
    kind = SelectField(_l("Type"), validate_choice=False, choices=choices_from(KIND_LABELS.items(), _l("All types")))
    attention = SelectField(_l("Needs attention"), validate_choice=False, choices=attention_choices)
    overdue = BooleanField(_l("Overdue only"))


class TicketIdsField(Field):
    """The ticked rows: every id sent, in order; anything else is ignored."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = [number for value in valuelist if (number := read_id(str(value))) is not None]


class BulkForm(BaseForm):
    tickets = TicketIdsField(validators=[DataRequired(message=_l("Tick at least one ticket."))])
    action = StringField(validators=[AnyOf([ASSIGN, TRANSFER], message=_l("Choose what to do with the tickets."))])
    officer = SelectField(_l("Officer"), validate_choice=False)
    department = SelectField(_l("Department"), validate_choice=False)
    reason = TextAreaField(_l("Reason for the transfer"))

    def validate_officer(self, field: SelectField) -> None:
        if self.action.data == ASSIGN:
            InChoices(_l("Choose the officer to assign the tickets to."))(self, field)

    def validate_department(self, field: SelectField) -> None:
        if self.action.data == TRANSFER:
            InChoices(_l("Choose the department to transfer the tickets to."))(self, field)

    def validate_reason(self, field: TextAreaField) -> None:
        if self.action.data != TRANSFER:
            return
        if not (field.data or "").strip():
            raise ValidationError(_l("Give the reason for the transfer."))
        Length(max=2000, message=_l("Keep the reason under 2,000 characters."))(self, field)
