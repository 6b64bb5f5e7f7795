"""The security headers of every response, set in one place, and `Cache-Control: no-store` on
every response that holds personal data.

A hook of our own rather than Flask-Talisman: by default Talisman redirects every request to
HTTPS and makes the session cookie Secure, which a development server on plain HTTP cannot use
(config.py sets the cookie flags per environment; the proxy in front redirects to HTTPS), it
sends no Cache-Control, and a per-page Referrer-Policy would need its decorator on each view.
Switching off half of it would take more lines than these.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_login import current_user
from werkzeug.wrappers import Response

# Exactly what the pages use: our stylesheet and scripts (no inline script, style or event
# handler anywhere), charts and QR codes drawn as inline SVG, fetch() to the site itself.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# The submission form offers the phone's position (static/js/submit.js); a photo is chosen with a
# file input, which needs no camera permission.
PERMISSIONS_POLICY = ", ".join(
    (
        "accelerometer=()",
        "camera=()",
        "display-capture=()",
        "geolocation=(self)",
        "gyroscope=()",
        "magnetometer=()",
        "microphone=()",
        "midi=()",
        "payment=()",
        "usb=()",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}
# Production only: a development server is plain HTTP. A year is the least ASVS accepts.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
# A path argument of these names is a secret: the tracking link's key, an Open311 filing token.
SECRET_ARGUMENTS = frozenset({"secret", "token"})

# What holds personal data without a signed-in user: the tracking pages (by secret link), the
# development mailbox (anyone may read it in development), the receipt after submitting.
PERSONAL_BLUEPRINTS = frozenset({"tracking", "mailbox"})
PERSONAL_ENDPOINTS = frozenset({"public.submitted"})


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        # An attachment's own, stricter policy (`default-src 'none'; sandbox`) stays.
        response.headers.setdefault(name, value)
    if current_app.config["APP_ENV"] == "production":
        response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    # A link followed from a page whose address holds a secret would hand the secret on.
    secret_in_url = not SECRET_ARGUMENTS.isdisjoint(request.view_args or {})
    response.headers["Referrer-Policy"] = "no-referrer" if secret_in_url else "strict-origin-when-cross-origin"
    if secret_in_url or holds_personal_data():
        if "no-store" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def holds_personal_data() -> bool:
    """The rule: every response to a signed-in user (staff pages, account pages, exports), every
    answer to a form or an API call that sends data (a form shown again holds what was typed),
    an API client's own requests, and the public views marked above. Public pages and static
    files keep the browser's normal caching."""
    if request.endpoint == "static":
        return False
    return (
        request.method not in ("GET", "HEAD")
        or request.blueprint in PERSONAL_BLUEPRINTS
        or request.endpoint in PERSONAL_ENDPOINTS
        # With its key, an Open311 client also reads its own requests before they are published.
        or "api_key" in request.args
        or bool(current_user.is_authenticated)
    )
