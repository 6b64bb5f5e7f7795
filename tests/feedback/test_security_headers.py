"""The security headers of every response, no-store on the pages that hold personal data, and
the client's address behind trusted reverse proxies (TRUSTED_PROXIES), for the rate limits and
the audit log."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.test import TestResponse

from app import create_app
from config import ConfigError, load_settings
from feedback.extensions import db
from feedback.models import AuditEntry
from tests.feedback.attachment_uploads import PostForm, fetch, file_ids, png, private_link, send, upload
from tests.feedback.attachment_uploads import submission as submission
from tests.feedback.citizen_accounts import PASSWORD
from tests.feedback.citizen_accounts import make_citizen as make_citizen

CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ALWAYS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = re.compile(r"max-age=(\d+); includeSubDomains")
# Addresses from the documentation ranges: the proxy in front (TEST-NET-1), clients (TEST-NET-2).
_proxies = (f"192.0.2.{n}" for n in count(1))
_clients = (f"198.51.100.{n}" for n in count(1))


def policy(response: TestResponse) -> dict[str, str]:
    """The Content-Security-Policy's directives, by name."""
    directives = (part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    return dict(directives)


def assert_protected(response: TestResponse, *, production: bool) -> None:
    where = f"{response.request.method} {response.request.path} ({response.status_code})"
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (where, name)
    csp = policy(response)
    assert csp["default-src"] == "'self'" and "script-src" not in csp, where
    assert (csp["object-src"], csp["base-uri"], csp["frame-ancestors"]) == ("'none'", "'none'", "'none'"), where
    assert csp["form-action"] == "'self'", where
    assert "unsafe" not in response.headers["Content-Security-Policy"], where
    permissions = response.headers["Permissions-Policy"]
    assert "camera=()" in permissions and "microphone=()" in permissions and "geolocation=(self)" in permissions
    assert response.headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "no-referrer"), where
    hsts = HSTS.fullmatch(response.headers.get("Strict-Transport-Security", ""))
    if production:
        assert hsts and int(hsts.group(1)) >= 365 * 24 * 3600, where
    else:
        assert "Strict-Transport-Security" not in response.headers, where


def may_be_stored(response: TestResponse) -> bool:
    return "no-store" not in response.headers.get("Cache-Control", "")


def assert_not_stored(response: TestResponse) -> None:
    assert response.status_code == 200, response.request.path
    assert "no-store" in response.headers["Cache-Control"], response.request.path
    assert response.headers["Pragma"] == "no-cache", response.request.path


def _fail() -> str:
    raise RuntimeError("a view that fails")


# --- Every response -------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ["production", "development"])
def test_every_kind_of_response_carries_the_headers(
    app: Flask,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    login: Callable[..., Any],
    environment: str,
) -> None:
    monkeypatch.setitem(app.config, "APP_ENV", environment)
    production = environment == "production"
    # A view that fails shows the error page, as in production, instead of raising in the test.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "public.privacy", _fail)

    home, api, missing, failed = (
        client.get(path) for path in ("/", "/open311/v2/services.json", "/no-such-page", "/privacy")
    )
    assert (home.status_code, api.status_code, missing.status_code, failed.status_code) == (200, 200, 404, 500)
    assert api.headers["Content-Type"].startswith("application/json")
    login("intake@example.org")
    inbox = client.get("/staff/")
    assert inbox.status_code == 200
    for response in (home, api, missing, failed, inbox):
        assert_protected(response, production=production)
    assert home.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_a_file_keeps_its_own_stricter_policy(
    client: FlaskClient, post_form: PostForm, submission: Callable[..., dict[str, Any]]
) -> None:
    response = send(post_form, submission(), [upload(png(), "ổ gà.png", "image/png")])
    assert response.status_code == 302
    link = private_link(client)
    [image_id] = file_ids(client, link)
    image = fetch(client, f"{link}/files/{image_id}")
    assert image.status_code == 200
    assert image.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert image.headers["Cache-Control"] == "private, no-store"
    assert (image.headers["X-Frame-Options"], image.headers["Referrer-Policy"]) == ("DENY", "no-referrer")


# --- Personal data is not stored, and secret links are not handed on ------------------------


def test_the_receipt_and_the_tracking_page_are_not_stored_nor_referred(
    client: FlaskClient, post_form: PostForm, submission: Callable[..., dict[str, Any]]
) -> None:
    assert post_form("/submit", submission()).status_code == 302
    receipt = client.get("/submitted")
    assert_not_stored(receipt)
    link = private_link(client)
    tracking = client.get(link)
    assert_not_stored(tracking)
    # Its address holds the secret: a link followed from it must not tell another site.
    assert tracking.headers["Referrer-Policy"] == "no-referrer"
    # So does an Open311 client's token.
    token = client.get("/open311/v2/tokens/not-a-token.json")
    assert token.status_code == 404 and token.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in token.headers["Cache-Control"]


def test_staff_pages_account_pages_and_the_mailbox_are_not_stored(
    client: FlaskClient,
    make_ticket: Callable[..., int],
    make_citizen: Callable[[str], int],
    login: Callable[..., Any],
    logout: Callable[[], None],
) -> None:
    home, stylesheet = client.get("/"), fetch(client, "/static/css/app.css")
    assert home.status_code == 200 and may_be_stored(home), "a public page keeps normal caching"
    assert stylesheet.status_code == 200 and may_be_stored(stylesheet)
    assert_not_stored(client.get("/dev/mailbox/"))

    ticket = make_ticket()
    login("intake@example.org")
    assert_not_stored(client.get(f"/staff/tickets/{ticket}"))
    assert_not_stored(client.get("/staff/"))
    assert may_be_stored(fetch(client, "/static/css/app.css")), "static files are the same for everyone"
    logout()

    make_citizen("lan@example.org")
    login("lan@example.org", PASSWORD)
    assert_not_stored(client.get("/account/"))
    assert_not_stored(client.get("/account/profile"))


# --- Behind reverse proxies -----------------------------------------------------------------


def test_trusted_proxies_must_be_a_small_whole_number(tmp_path: Path) -> None:
    assert load_settings(tmp_path, {}, {})["TRUSTED_PROXIES"] == 0
    assert load_settings(tmp_path, {"TRUSTED_PROXIES": " 2 "}, {})["TRUSTED_PROXIES"] == 2
    for wrong in ("one", "-1", "1.5", "11", "\u0661"):  # the last, an Arabic-Indic one
        with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
            load_settings(tmp_path, {"TRUSTED_PROXIES": wrong}, {})


@pytest.fixture(scope="module", params=[0, 1], ids=["no-proxy-trusted", "one-proxy-trusted"])
def proxied_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app with its limits on (the suite's are off), two sign-ins a minute per address, and
    as many trusted proxies as the parameter says."""
    folder = tmp_path_factory.mktemp("proxies")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'proxies.sqlite3'}",
            "REDIS_URL": None,
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "ACCOUNT_RATE_LIMIT": "2 per minute",
            "TRUSTED_PROXIES": request.param,
        }
    )
    with app.app_context():
        upgrade(directory=str(Path(__file__).parents[2] / "migrations"))
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


def behind(app: Flask, proxy: str, forwarded_for: str) -> FlaskClient:
    """A browser at `forwarded_for`, whose requests reach the app through the proxy."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = proxy
    # What the client itself claimed comes first; the proxy appends the address it saw.
    browser.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.66, {forwarded_for}"
    return browser


def failed_sign_in(browser: FlaskClient, email: str) -> TestResponse:
    match = CSRF_PATTERN.search(browser.get("/login").get_data(as_text=True))
    assert match
    return browser.post("/login", data={"email": email, "password": "không đúng", "csrf_token": match.group(1)})


def test_each_client_behind_a_trusted_proxy_has_its_own_rate_limit(proxied_app: Flask) -> None:
    trusted = proxied_app.config["TRUSTED_PROXIES"] > 0
    proxy = next(_proxies)
    one, another = behind(proxied_app, proxy, next(_clients)), behind(proxied_app, proxy, next(_clients))
    for _ in range(2):
        assert failed_sign_in(one, "ai@example.org").status_code == 422
    assert failed_sign_in(one, "ai@example.org").status_code == 429
    # Without a trusted proxy, every citizen shares the proxy's allowance.
    assert failed_sign_in(another, "ai@example.org").status_code == (422 if trusted else 429)


def test_the_audit_log_records_the_client_behind_a_trusted_proxy(proxied_app: Flask) -> None:
    trusted = proxied_app.config["TRUSTED_PROXIES"] > 0
    proxy, client_address = next(_proxies), next(_clients)
    email = f"unknown-{client_address}@example.org"
    assert failed_sign_in(behind(proxied_app, proxy, client_address), email).status_code == 422
    with proxied_app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.actor_email == email)).one()
        assert entry.action == "login_failure"
        assert entry.ip == (client_address if trusted else proxy)
