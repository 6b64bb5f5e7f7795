"""Sign-in security through the pages: waits and locks after failed attempts, one-time codes,
and the roles that must use them. Time moves only through security.clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from config import load_settings
from feedback.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from feedback.extensions import db
from feedback.models import AuditEntry, User, utcnow
from feedback.services.accounts import security

OFFICER = "officer.sxd@example.org"
WRONG = "The email address or password is not correct."


@dataclass
class Clock:
    now: datetime

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock(utcnow())
    monkeypatch.setattr(security, "clock", lambda: frozen.now)
    return frozen


def account(app: Flask, email: str) -> User:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        db.session.expunge(user)
        return user


def update_account(app: Flask, email: str, **values: Any) -> None:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        for name, value in values.items():
            setattr(user, name, value)
        db.session.commit()


def code_at(secret: str, moment: datetime, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(moment, counter_offset=steps)


@pytest.fixture
def attempt(post_form: Callable[..., Any]) -> Callable[..., Any]:
    def sign_in(password: str, email: str = OFFICER) -> Any:
        return post_form("/login", {"email": email, "password": password})

    return sign_in


def test_a_wrong_password_is_counted(app: Flask, english: None, attempt: Callable[..., Any], clock: Clock) -> None:
    response = attempt("wrong password")
    assert response.status_code == 422
    assert WRONG in response.get_data(as_text=True)
    assert account(app, OFFICER).failed_logins == 1


def test_after_three_failures_even_the_right_password_waits(
    app: Flask, client: FlaskClient, english: None, attempt: Callable[..., Any], clock: Clock
) -> None:
    for _ in range(2):
        assert "Wait" not in attempt("wrong password").get_data(as_text=True)
    third = attempt("wrong password").get_data(as_text=True)
    assert WRONG in third and "Wait 30 seconds, then try again." in third

    clock.advance(seconds=10)
    refused = attempt(DEMO_PASSWORD)
    assert refused.status_code == 422
    assert "Wait 20 seconds, then try again." in refused.get_data(as_text=True)
    assert WRONG not in refused.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302

    clock.advance(seconds=21)
    assert attempt(DEMO_PASSWORD).status_code == 302
    assert client.get("/staff/").status_code == 200


def test_the_waits_grow_then_the_account_locks_for_fifteen_minutes(
    app: Flask, english: None, attempt: Callable[..., Any], clock: Clock
) -> None:
    for _ in range(3):
        attempt("wrong password")
    clock.advance(seconds=31)
    assert "Wait 60 seconds" in attempt("wrong password").get_data(as_text=True)
    clock.advance(seconds=61)
    fifth = attempt("wrong password").get_data(as_text=True)
    assert "this account is locked until" in fifth
    locked_until = account(app, OFFICER).locked_until
    assert locked_until is not None
    assert timedelta(minutes=15) <= locked_until - clock.now <= timedelta(minutes=16)

    clock.advance(minutes=14)
    refused = attempt(DEMO_PASSWORD)
    assert refused.status_code == 422 and "locked until" in refused.get_data(as_text=True)
    clock.now = locked_until
    assert attempt(DEMO_PASSWORD).status_code == 302
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_email == OFFICER)))
    assert "login_locked" in actions and "login_refused" in actions


def test_a_success_resets_the_counter_and_is_noted(app: Flask, attempt: Callable[..., Any], clock: Clock) -> None:
    attempt("wrong password")
    attempt("wrong password")
    assert attempt(DEMO_PASSWORD).status_code == 302
    user = account(app, OFFICER)
    assert user.failed_logins == 0 and user.locked_until is None
    assert user.last_login_at == clock.now


def test_an_unknown_address_gets_the_same_answer_and_is_audited(
    app: Flask, english: None, attempt: Callable[..., Any]
) -> None:
    unknown = attempt("whatever password", email="Nobody@Example.org")
    known = attempt("wrong password")
    assert unknown.status_code == known.status_code == 422
    assert WRONG in unknown.get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.actor_email == "nobody@example.org")).one()
    assert (entry.action, entry.actor_id, entry.ip) == ("login_failure", None, "127.0.0.1")
    assert "whatever" not in str(entry.details)


def test_enrolling_shows_a_qr_code_and_the_key_then_confirms_with_a_code(
    app: Flask,
    client: FlaskClient,
    english: None,
    login: Callable[..., Any],
    post_form: Callable[..., Any],
    clock: Clock,
) -> None:
    login(OFFICER)
    page = client.get("/security")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    secret = account(app, OFFICER).totp_secret
    assert secret and "<svg" in html and 'role="img"' in html
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in html
    # A reload shows the same key: a phone that already scanned it keeps working.
    client.get("/security")
    assert account(app, OFFICER).totp_secret == secret

    wrong = post_form("/security/confirm", {"code": code_at(secret, clock.now, steps=3)}, page="/security")
    assert wrong.status_code == 422 and "The code is not correct" in wrong.get_data(as_text=True)
    assert account(app, OFFICER).totp_confirmed_at is None

    right = post_form("/security/confirm", {"code": code_at(secret, clock.now)}, page="/security")
    assert right.status_code == 302
    assert account(app, OFFICER).totp_confirmed_at == clock.now
    assert "One-time codes are on" in client.get("/security").get_data(as_text=True)


def test_an_enrolled_account_signs_in_only_with_its_code(
    app: Flask,
    client: FlaskClient,
    english: None,
    attempt: Callable[..., Any],
    post_form: Callable[..., Any],
    clock: Clock,
) -> None:
    step = attempt(DEMO_PASSWORD, email="admin@example.org")
    assert step.status_code == 302 and step.headers["Location"] == "/login/code"
    assert client.get("/staff/").status_code == 302

    wrong = post_form("/login/code", {"code": code_at(DEMO_TOTP_SECRET, clock.now, steps=-2)})
    assert wrong.status_code == 422 and "The code is not correct" in wrong.get_data(as_text=True)
    assert account(app, "admin@example.org").failed_logins == 1
    assert client.get("/staff/").status_code == 302

    # The previous 30-second step is still accepted: phones' clocks drift.
    right = post_form("/login/code", {"code": code_at(DEMO_TOTP_SECRET, clock.now, steps=-1)})
    assert right.status_code == 302
    assert client.get("/staff/").status_code == 200
    assert account(app, "admin@example.org").failed_logins == 0


def test_a_code_cannot_be_used_twice(
    client: FlaskClient,
    english: None,
    attempt: Callable[..., Any],
    post_form: Callable[..., Any],
    logout: Callable[[], None],
    clock: Clock,
) -> None:
    code = code_at(DEMO_TOTP_SECRET, clock.now)
    attempt(DEMO_PASSWORD, email="admin@example.org")
    assert post_form("/login/code", {"code": code}).status_code == 302
    logout()
    attempt(DEMO_PASSWORD, email="admin@example.org")
    replayed = post_form("/login/code", {"code": code})
    assert replayed.status_code == 422
    assert "This code was already used" in replayed.get_data(as_text=True)
    assert post_form("/login/code", {"code": code_at(DEMO_TOTP_SECRET, clock.now, steps=1)}).status_code == 302


def test_wrong_codes_count_toward_the_wait(
    english: None, attempt: Callable[..., Any], post_form: Callable[..., Any], clock: Clock
) -> None:
    attempt(DEMO_PASSWORD, email="leader@example.org")
    for _ in range(3):
        response = post_form("/login/code", {"code": code_at(DEMO_TOTP_SECRET, clock.now, steps=5)})
    assert "Wait 30 seconds" in response.get_data(as_text=True)
    refused = post_form("/login/code", {"code": code_at(DEMO_TOTP_SECRET, clock.now)})
    assert refused.status_code == 422 and "Wait 30 seconds" in refused.get_data(as_text=True)


def test_the_code_step_expires_after_five_minutes(
    client: FlaskClient, attempt: Callable[..., Any], clock: Clock
) -> None:
    attempt(DEMO_PASSWORD, email="admin@example.org")
    assert client.get("/login/code").status_code == 200
    clock.advance(minutes=5, seconds=1)
    response = client.get("/login/code")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/login/code").status_code == 302


@pytest.mark.parametrize("email", ["leader@example.org", "admin@example.org"])
def test_required_roles_without_codes_are_sent_to_set_them_up(
    app: Flask, client: FlaskClient, login: Callable[..., Any], post_form: Callable[..., Any], email: str
) -> None:
    update_account(app, email, totp_secret=None, totp_confirmed_at=None)
    login(email)
    for url in ("/staff/", "/dashboard/", "/admin/", "/account/", "/"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/security", url
    assert client.get("/security").status_code == 200
    with client.get("/static/css/app.css") as stylesheet:
        assert stylesheet.status_code == 200
    assert post_form("/logout", {}, page="/security").status_code == 302


def test_an_officer_may_switch_codes_off_with_password_and_code(
    app: Flask, client: FlaskClient, login: Callable[..., Any], post_form: Callable[..., Any], clock: Clock
) -> None:
    update_account(app, OFFICER, totp_secret=DEMO_TOTP_SECRET, totp_confirmed_at=utcnow())
    login(OFFICER)
    code = code_at(DEMO_TOTP_SECRET, clock.now)
    wrong = post_form("/security/disable", {"password": "wrong password", "code": code}, page="/security")
    assert wrong.status_code == 422
    assert account(app, OFFICER).totp_confirmed_at is not None
    done = post_form("/security/disable", {"password": DEMO_PASSWORD, "code": code}, page="/security")
    assert done.status_code == 302
    user = account(app, OFFICER)
    assert user.totp_secret is None and user.totp_confirmed_at is None


def test_an_administrator_may_not_switch_codes_off(
    app: Flask, english: None, admin: None, post_form: Callable[..., Any]
) -> None:
    response = post_form(
        "/security/disable", {"password": DEMO_PASSWORD, "code": pyotp.TOTP(DEMO_TOTP_SECRET).now()}, page="/security"
    )
    assert response.status_code == 403
    assert "cannot be switched off" in response.get_data(as_text=True)
    assert account(app, "admin@example.org").totp_confirmed_at is not None


def test_demo_code_prints_the_code_of_demo_accounts_only(app: Flask, database: None) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-code", "admin@example.org"])
    assert result.exit_code == 0, result.output
    assert pyotp.TOTP(DEMO_TOTP_SECRET).verify(result.output.strip(), valid_window=1)
    refused = runner.invoke(args=["demo-code", OFFICER])
    assert refused.exit_code != 0 and "not a demo account" in refused.output


def test_the_settings_come_from_the_environment(tmp_path: Any) -> None:
    defaults = load_settings(tmp_path, {}, {})
    assert (defaults["LOGIN_MAX_FAILURES"], defaults["LOGIN_LOCK_MINUTES"]) == (5, 15)
    assert defaults["TOTP_REQUIRED_ROLES"] == ("administrator", "leader")
    chosen = load_settings(
        tmp_path, {"LOGIN_MAX_FAILURES": "8", "LOGIN_LOCK_MINUTES": "30", "TOTP_REQUIRED_ROLES": "administrator"}, {}
    )
    assert (chosen["LOGIN_MAX_FAILURES"], chosen["LOGIN_LOCK_MINUTES"]) == (8, 30)
    assert chosen["TOTP_REQUIRED_ROLES"] == ("administrator",)
