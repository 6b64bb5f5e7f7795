"""The administrators' forms: deadline policies, routing rules, calendar exceptions, and the
"try it" form that staff fill to see where a submission would go and when it is due."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    Field,
    Form,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from feedback.forms import (
    InChoices,
    LenientField,
    WholeNumberField,
    _choice,
    choices_from,
)
from feedback.forms.base import BaseFilterForm, BaseForm
from feedback.services.intake.routing import MAX_KEYWORDS_LENGTH
from workflows import Urgency

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_POLICY_DAYS = 60

URGENCY_LABELS = {
    Urgency.URGENT.value: _l("Urgent"),
    Urgency.SIMPLE.value: _l("Simple"),
    Urgency.ORDINARY.value: _l("Ordinary"),
    Urgency.COMPLEX.value: _l("Complex"),
}
EXCEPTION_KINDS = {"off": _l("Extra day off"), "working": _l("Make-up working day")}


class DayField(LenientField[date], DateField):
    pass


class MomentField(LenientField[datetime], DateTimeLocalField):
    pass


def _days(label: Any, hint: Any, minimum: int = 1) -> WholeNumberField:
    return WholeNumberField(
        label,
        description=hint,
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
        validators=[
            NumberRange(
                min=minimum,
                max=MAX_POLICY_DAYS,
                message=_l("Enter a whole number of working days from %(low)d to %(high)d.",
                           low=minimum, high=MAX_POLICY_DAYS),
            )
        ],
    )


class PolicyForm(BaseForm):
    """The nine figures of a deadline policy, in POLICY_FIELDS order, and for a category its
    urgency (the view removes it for the default policy)."""

    urgency = _choice(
        _l("Urgency of this subject"),
        _l("Choose the urgency of this subject."),
        choices=choices_from(URGENCY_LABELS.items()),
        description=_l("It decides which of the answer deadlines below applies."),
    )
    classify_days = _days(_l("Deadline to classify"),
                          _l("Working days for intake to accept or reject a new submission."))
    urgent_days = _days(_l("Deadline to answer an urgent submission"), _l("Working days from acceptance."))
    simple_days = _days(_l("Deadline to answer a simple submission"), _l("Working days from acceptance."))
    ordinary_days = _days(_l("Deadline to answer an ordinary submission"), _l("Working days from acceptance."))
    complex_days = _days(_l("Deadline to answer a complex submission"), _l("Working days from acceptance."))
    max_extension_days = _days(
        _l("Longest extension"),
        _l("Working days a department head may add, once per ticket. 0: no extension."),
        minimum=0,
    )
    progress_update_every_days = _days(
        _l("Progress update every"), _l("Working days between updates owed to the submitter while it is handled.")
    )
    remind_before_days = _days(
        _l("Reminder before the deadline"), _l("Working days before the due day when the officer is reminded.")
    )
    escalate_leader_after_days = _days(
        _l("Escalation to the leader"),
        _l("Working days after the deadline when an overdue ticket goes to the leader (the head is told at once)."),
    )


def _optional_choice(label: Any, message: Any, hint: Any = None) -> SelectField:
    return SelectField(label, description=hint, validate_choice=False, validators=[Optional(), InChoices(message)])


class RuleForm(BaseForm):
    department = _choice(
        _l("Department"),
        _l("Choose the department the rule sends submissions to."),
        description=_l("Where the submissions this rule matches are sent."),
    )
    category = _optional_choice(_l("Subject"), _l("Choose a subject from the list."))
    area = _optional_choice(
        _l("Place"),
        _l("Choose a place from the list."),
        _l("A rule for a place also matches the communes and wards inside it."),
    )
    keywords = StringField(
        _l("Keywords (optional)"),
        description=_l("Separate them with commas. A submission matches when its title or description contains "
                       "one of them as whole words, with or without accents, in any case: “ngập” also finds "
                       "“Ngap”. Empty: the rule does not look at the text."),
    )
    active = BooleanField(_l("Active: the rule routes new submissions"), default=True)

    def validate_keywords(self, field: Field) -> None:
        # The rule stores them tidied as "a, b, c", which is longer than "a,b,c" as typed.
        tidied = ", ".join(part.strip() for part in (field.data or "").split(",") if part.strip())
        if len(tidied) > MAX_KEYWORDS_LENGTH:
            raise ValidationError(_l("Keep the keywords under %(max)d characters.", max=MAX_KEYWORDS_LENGTH))


def _year_in_range(form: Form, field: Field) -> None:
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Choose a date from %(first)d to %(last)d.", first=FIRST_YEAR, last=LAST_YEAR))


class ExceptionForm(BaseForm):
    day = DayField(
        _l("Date"),
        format=["%Y-%m-%d", "%d/%m/%Y"],
        description=_l(
            "Pick it in the calendar; where there is none, type it as day/month/year, for example 02/09/2026."
        ),
        validators=[DataRequired(message=_l("Enter the date, for example 02/09/2026.")), _year_in_range],
    )
    kind = _choice(
        _l("Kind of day"),
        _l("Choose an extra day off or a make-up working day."),
        RadioField,
        choices=choices_from(EXCEPTION_KINDS.items()),
    )
    note = StringField(
        _l("Note"),
        description=_l("Why, for example the decision that sets the day. 200 characters at most."),
        validators=[
            DataRequired(message=_l("Write a note that says why.")),
            Length(max=200, message=_l("Keep the note under 200 characters.")),
        ],
    )

    @property
    def working(self) -> bool:
        kind: str | None = self.kind.data  # WTForms is untyped: a RadioField's data is its str value
        return kind == "working"


class TryForm(BaseFilterForm):
    """Read from the query string, so a result can be linked to and sent to a colleague."""

    category = _choice(_l("Subject"), _l("Choose a subject."))
    area = _choice(_l("Place"), _l("Choose a commune, ward or special zone."))
    text = TextAreaField(
        _l("Words of the submission (optional)"),
        description=_l("To test keyword rules: paste or type the title and description."),
        validators=[Optional(), Length(max=5000, message=_l("Keep the text under 5,000 characters."))],
    )
    submitted_at = MomentField(
        _l("Submitted at"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M"],
        description=_l(
            "Time in Vietnam. Where there is no date picker, type it as day/month/year hour:minute, "
            "for example 02/09/2026 08:30."
        ),
        validators=[
            DataRequired(message=_l("Enter the date and time of submission, for example 02/09/2026 08:30.")),
            _year_in_range,
        ],
    )
