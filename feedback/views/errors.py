"""Error pages, in the visitor's language."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, abort, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from feedback.extensions import limiter
from feedback.ids import is_possible_id
from feedback.services.errors import AccessDenied, NotFoundError
from feedback.views import open311


def init_app(app: Flask) -> None:
    app.url_value_preprocessor(_refuse_impossible_ids)

    @app.errorhandler(NotFoundError)
    def not_found(_error: NotFoundError) -> tuple[str, int]:
        return _page(404), 404

    @app.errorhandler(AccessDenied)
    def forbidden(_error: AccessDenied) -> tuple[str, int]:
        return _page(403), 403

    @app.errorhandler(CSRFError)
    def csrf_failed(_error: CSRFError) -> tuple[str, int]:
        return _page(400, _("The form had expired. Go back, reload the page and send it again.")), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | Response:
        if open311.is_api_request():
            return open311.http_error(error)
        status = error.code or 500
        page = _page(status, _failure_message() if status == 500 else None)
        if status == 429 and (limit := limiter.current_limit) is not None:
            # Rate-limit headers are off on other responses (config.py): only a refusal needs them.
            return Response(page, 429, {"Retry-After": str(max(1, limit.reset_at - int(time.time())))})
        return page, status


def _refuse_impossible_ids(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """An address whose <int:…> no row can have is of a page that does not exist: 404 before any
    view or query runs. Every <int:…> of ours is a row's id."""
    if values and any(isinstance(value, int) and not is_possible_id(value) for value in values.values()):
        abort(404)


def _failure_message() -> str:
    # The citizen decides from this whether to send again: it must say what really happened.
    if g.get("committed"):
        return _(
            "What you sent was saved, but the next page could not be shown. "
            "Do not send it again: reload the page in a moment."
        )
    if request.method == "POST":
        return _(
            "What you sent was not saved. Go back: your browser still has the form as you filled it in. "
            "Send it again in a moment."
        )
    return _("Nothing was changed. Please try again in a moment.")


def _page(status: int, message: str | None = None) -> str:
    titles = {
        400: _("The request could not be understood"),
        403: _("You do not have access to this page"),
        404: _("Page not found"),
        405: _("This action is not allowed here"),
        413: _("The files are too large"),
        429: _("Too many requests"),
        500: _("Something went wrong on our side"),
    }
    messages = {
        403: _("Sign in with an account that is allowed to see it, or go back to the home page."),
        404: _("Check the address or the tracking code and secret key."),
        413: _("Attach at most 5 files of up to 10 MB each. Go back, choose smaller files and send again."),
        429: _(
            "Too many requests came from your connection in a short time. Wait a minute, then go back and send again."
        ),
    }
    return render_template(
        "error.html",
        status=status,
        title=titles.get(status, _("Error")),
        message=message or messages.get(status, ""),
    )
