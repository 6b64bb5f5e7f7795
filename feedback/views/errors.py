"""Error pages, in the visitor's language."""

from __future__ import annotations

from flask import Flask, Response, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from feedback.services.errors import AccessDenied, NotFoundError
from feedback.views import open311


def init_app(app: Flask) -> None:
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
        return _page(error.code or 500), error.code or 500


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
        500: _("Your data was kept. Please try again in a moment."),
    }
    return render_template(
        "error.html",
        status=status,
        title=titles.get(status, _("Error")),
        message=message or messages.get(status, ""),
    )
