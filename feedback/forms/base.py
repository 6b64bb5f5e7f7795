"""The two bases of every form here, posted or read from the query string: no field takes
control characters.

PostgreSQL refuses NUL in text, so a NUL that reaches a query is a 500 there (SQLite stores
it). The other control characters are invisible on a page and in a spreadsheet, and nobody
types them: they come from pasting, or from someone probing the site. Tab, CR and LF belong in
text of several lines, and only there.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, Form, TextAreaField
from wtforms.meta import DefaultMeta
from wtforms.validators import StopValidation

_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_LINE_BREAKS_AND_TABS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

REFUSED = _l("This contains invisible control characters, which cannot be stored. Check it and send it again.")


class _Without:
    """The field's data without the characters: what every view reads, validated or not."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def __call__(self, data: Any) -> Any:
        return self.pattern.sub("", data) if isinstance(data, str) else data


class _Refuse:
    """Refuses what was sent with the characters in it, before the field's own checks."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def __call__(self, form: Form, field: Field) -> None:
        if any(isinstance(sent, str) and self.pattern.search(sent) for sent in field.raw_data or ()):
            raise StopValidation(REFUSED)


# Made once: every field of every form binds one pair (a form is bound on each request).
_OF_LINE = (_Without(_ANY_CONTROL), _Refuse(_ANY_CONTROL))
_OF_TEXT = (_Without(_CONTROL_BUT_LINE_BREAKS_AND_TABS), _Refuse(_CONTROL_BUT_LINE_BREAKS_AND_TABS))


class _NoControlCharacters(DefaultMeta):
    """Each field both refuses them and leaves them out of its data. Refused, because text a
    citizen sends is their words: changed silently, they would not know what we store. Left out,
    because a form is read without being validated too (similar tickets while one types, the
    filters of a list), and so that the page shows the field as it can be sent again."""

    def bind_field(self, form: Form, unbound_field: Any, options: dict[str, Any]) -> Field:
        field = super().bind_field(form, unbound_field, options)
        without, refuse = _OF_TEXT if isinstance(field, TextAreaField) else _OF_LINE
        field.filters = (*field.filters, without)
        field.validators = [refuse, *field.validators]
        return field


class BaseForm(FlaskForm):
    """A form posted from a page, with its CSRF token."""

    Meta = _NoControlCharacters


class BaseFilterForm(Form):
    """A form read from the query string, so that what it shows can be linked to."""

    Meta = _NoControlCharacters
