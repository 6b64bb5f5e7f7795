"""The period and slice filters of the dashboard and the public statistics page.

Read from the query string, so that a filtered view can be linked to and printed. A period is
a run of whole months, as the provinces' monthly, quarterly and yearly reports are."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, ValidationError
from wtforms.validators import Optional, Regexp

from feedback.forms import choices_from
from feedback.forms.base import BaseFilterForm
from feedback.i18n import CHANNEL_LABELS, KIND_LABELS
from feedback.services.statistics.reading import MAX_MONTHS, StatFilters, add_months, months_between

_MONTH = Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("Enter a month as year and month, like 2026-03."))


def parse_month(value: str) -> date:
    year, month = value.split("-")
    return date(int(year), int(month), 1)


class StatFilterForm(BaseFilterForm):
    first = StringField(_l("From month"), validators=[Optional(), _MONTH],
                        description=_l("Year and month, like 2026-01."))
    last = StringField(_l("To month"), validators=[Optional(), _MONTH],
                       description=_l("Year and month, like 2026-12."))
    channel = SelectField(_l("Channel"), default="", choices=choices_from(CHANNEL_LABELS.items(), _l("All channels")),
                          invalid_choice_message=_l("Choose a channel from the list."))
    kind = SelectField(_l("Type"), default="", choices=choices_from(KIND_LABELS.items(), _l("All types")),
                       invalid_choice_message=_l("Choose a type from the list."))

    def validate_last(self, field: StringField) -> None:
        if self.first.errors or field.errors or not (self.first.data and field.data):
            return
        first, last = parse_month(self.first.data), parse_month(field.data)
        if last < first:
            raise ValidationError(_l("The last month must not come before the first."))
        if months_between(first, last) > MAX_MONTHS:
            raise ValidationError(_l("Choose at most %(months)d months.", months=MAX_MONTHS))

    def filters(self, this_month: date, **slices: Any) -> StatFilters:
        """The filters asked for; the last twelve months up to this one when no valid period
        was given (the errors are shown beside the fields)."""
        valid = not (self.first.errors or self.last.errors)
        last = parse_month(self.last.data) if valid and self.last.data else this_month
        first = parse_month(self.first.data) if valid and self.first.data else add_months(last, -11)
        if first > last:
            first = add_months(last, -11)
        return StatFilters(
            first=first,
            last=last,
            channel=None if self.channel.errors else self.channel.data or None,
            kind=None if self.kind.errors else self.kind.data or None,
            **slices,
        )
