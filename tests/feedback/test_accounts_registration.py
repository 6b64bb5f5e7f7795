"""Registering a citizen account: signed in to an empty list, a taken email refused, every rule explained."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import CITIZEN_ROLE, User
from tests.feedback.citizen_accounts import PASSWORD, PostForm, english, in_vietnamese, text
from tests.feedback.citizen_accounts import make_citizen as make_citizen


@pytest.fixture
def registration() -> dict[str, Any]:
    return {
        "name": "Nguyễn Thị Lan",
        "email": "Lan.Nguyen@Example.org",
        "phone": "0912 345 678",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "consent": "y",
    }


def test_registering_signs_in_to_an_empty_list(
    app: Flask, client: FlaskClient, post_form: PostForm, logout: Callable[[], None], registration: dict[str, Any]
) -> None:
    response = post_form("/account/register", registration)
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    page = text(client.get("/account/"))
    assert '<html lang="vi">' in page
    assert 'data-testid="no-submissions"' in page and 'data-testid="no-followed"' in page
    assert in_vietnamese(app, "Your account was created.") in page
    assert in_vietnamese(app, "You have not sent anything with this account yet.") in page
    assert 'href="/account/"' in page and 'href="/staff/"' not in page
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "lan.nguyen@example.org")).one()
        assert (user.role, user.department_id, user.phone) == (CITIZEN_ROLE, None, "0912 345 678")
        assert not user.is_staff and user.password_hash.startswith("scrypt:")

    logout()
    english(client)
    response = post_form("/account/register", {**registration, "email": "hoa@example.org", "phone": ""})
    assert response.status_code == 302
    page = text(client.get("/account/"))
    assert "Your account was created." in page and ">My submissions<" in page
    assert "You have not sent anything with this account yet." in page
    assert "You do not follow any submission." in page


def test_a_taken_email_is_refused_in_any_case(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    make_citizen: Callable[[str], int],
    registration: dict[str, Any],
) -> None:
    make_citizen("lan.nguyen@example.org")
    message = "An account already uses this email address. Sign in, or use another address."
    response = post_form("/account/register", registration)
    assert response.status_code == 422
    assert in_vietnamese(app, message) in text(response)

    english(client)
    # A staff address is refused with the same words: the page does not say whose it is.
    for email in ("LAN.NGUYEN@example.org", "intake@example.org"):
        response = post_form("/account/register", {**registration, "email": email})
        assert response.status_code == 422
        assert message in text(response)
        assert f'value="{email}"' in text(response) and 'value="Nguyễn Thị Lan"' in text(response)
    with app.app_context():
        assert db.session.scalar(select(User.name).where(User.email == "intake@example.org")) != "Nguyễn Thị Lan"


@pytest.mark.parametrize(
    ("changes", "field", "message", "variables"),
    [
        ({"password": "ngắn quá", "confirm": "ngắn quá"}, "password",
         "The password must be at least %(min)s characters long.", {"min": 10}),
        ({"confirm": "một mật khẩu khác"}, "confirm", "The two passwords are not the same.", {}),
        ({"confirm": ""}, "confirm", "Enter the password again.", {}),
        ({"password": ""}, "password", "Enter a password.", {}),
        ({"password": "x" * 201, "confirm": "x" * 201}, "password", "Keep the password under 200 characters.", {}),
        ({"consent": ""}, "consent", "Agree to the privacy notice to create an account.", {}),
        ({"name": " "}, "name", "Enter your name.", {}),
        ({"name": "x" * 201}, "name", "Keep the name under 200 characters.", {}),
        ({"email": ""}, "email", "Enter your email address.", {}),
        ({"email": "lan@" + "a" * 200 + ".org"}, "email", "Enter an email address like name@example.com.", {}),
        ({"email": "l" * 20 + "@" + "a" * 60 + "." + "b" * 60 + "." + "c" * 60 + ".example.org"}, "email",
         "Keep the email address under 200 characters.", {}),
        ({"email": "lan@"}, "email", "Enter an email address like name@example.com.", {}),
        ({"phone": "gọi tôi"}, "phone", "Enter a phone number like 0912 345 678.", {}),
    ],
)
def test_registration_rules_refuse_with_a_message_and_keep_the_input(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    registration: dict[str, Any],
    changes: dict[str, str],
    field: str,
    message: str,
    variables: dict[str, Any],
) -> None:
    response = post_form("/account/register", {**registration, **changes})
    assert response.status_code == 422
    page = text(response)
    assert 'class="error-summary"' in page and f'href="#{field}"' in page
    assert f'id="{field}-error"' in page
    assert in_vietnamese(app, message, **variables) in page

    english(client)
    page = text(post_form("/account/register", {**registration, **changes}))
    assert (message % variables if variables else message) in page
    if field != "name":
        assert 'value="Nguyễn Thị Lan"' in page
    # Passwords are never sent back in the page.
    assert PASSWORD not in page
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "lan.nguyen@example.org")) is None
