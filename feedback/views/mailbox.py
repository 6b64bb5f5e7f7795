"""The development mailbox pages: the messages kept instead of sent, and one message.

The blueprint answers 404 wherever the mailbox is not in use, or not for this visitor, so that
a production server does not even show that the page exists.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import StringField
from wtforms.validators import Length

from feedback.forms.base import BaseFilterForm
from feedback.services.access import may_read_mailbox
from feedback.services.notifications.mailbox import is_open_to_everyone, kept_channels, kept_message, kept_messages

bp = Blueprint("mailbox", __name__, url_prefix="/dev/mailbox")

LINK = re.compile(r"https?://[^\s<>\"']+")
# Punctuation that ends a sentence after a link rather than belonging to it.
AFTER_LINK = ".,;:!?)"


class MailboxFilterForm(BaseFilterForm):
    """Read from the query string, so that a filtered list can be linked to."""

    to = StringField(
        _l("Email address or phone number contains"),
        validators=[Length(max=200, message=_l("Keep this under %(max)d characters.", max=200))],
    )


@bp.before_request
def require_mailbox() -> None:
    reader = current_user if current_user.is_authenticated else None
    if not may_read_mailbox(current_app.config, reader):
        abort(404)


@bp.app_context_processor
def footer_link() -> dict[str, Any]:
    return {"mailbox_in_footer": is_open_to_everyone(current_app.config)}


@bp.context_processor
def mailbox_helpers() -> dict[str, Any]:
    return {
        "channels_kept": kept_channels(current_app.config),
        "development": current_app.config["APP_ENV"] == "development",
    }


@bp.get("/")
def index() -> tuple[str, int] | str:
    form = MailboxFilterForm(request.args)
    recipient = (form.to.data or "").strip() if form.validate() else ""
    result = kept_messages(recipient, page=request.args.get("page", 1, type=int))
    kept_filter = {"to": recipient} if recipient else {}
    page = render_template("mailbox/index.html", form=form, result=result, kept_filter=kept_filter)
    return (page, 422) if form.errors else page


@bp.get("/<int:message_id>")
def message(message_id: int) -> str:
    found = kept_message(message_id)
    return render_template("mailbox/message.html", message=found, linked_body=with_links(found.body))


def with_links(text: str) -> Markup:
    """The text, escaped, with each web address made a link: messages carry tracking links."""
    parts: list[Markup] = []
    written = 0
    for match in LINK.finditer(text):
        address = match.group().rstrip(AFTER_LINK)
        parts.append(escape(text[written : match.start()]))
        parts.append(Markup('<a href="{0}">{0}</a>').format(address))
        written = match.start() + len(address)
    parts.append(escape(text[written:]))
    return Markup("").join(parts)
