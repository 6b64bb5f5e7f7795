"""Signing in as a citizen, where it leads, and the pages citizens and staff are kept out of."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from feedback.demo import DEMO_PASSWORD
from feedback.extensions import db
from feedback.models import Ticket
from tests.feedback.citizen_accounts import PASSWORD, PostForm, english, in_vietnamese, sign_in, text
from tests.feedback.citizen_accounts import make_citizen as make_citizen
from tests.feedback.citizen_accounts import submit_as as submit_as


def test_sign_in_refuses_a_wrong_password(
    app: Flask, client: FlaskClient, post_form: PostForm, make_citizen: Callable[[str], int]
) -> None:
    make_citizen("minh@example.org")
    message = "The email address or password is not correct."
    response = sign_in(post_form, "minh@example.org", "sai mật khẩu rồi")
    assert response.status_code == 422 and in_vietnamese(app, message) in text(response)
    english(client)
    response = sign_in(post_form, "minh@example.org", "sai mật khẩu rồi")
    assert response.status_code == 422 and message in text(response)
    assert client.get("/account/").status_code == 302


def test_account_pages_send_visitors_to_the_citizen_sign_in(client: FlaskClient) -> None:
    for url in ("/account/", "/account/profile", "/account/delete"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    english(client)
    page = text(client.get("/"))
    assert 'href="/login">Sign in</a>' in page


def test_sign_in_goes_back_where_the_citizen_was_going_but_never_off_site(
    post_form: PostForm, logout: Callable[[], None], make_citizen: Callable[[str], int]
) -> None:
    make_citizen("minh@example.org")
    response = post_form("/login?next=/account/profile", {"email": "minh@example.org", "password": PASSWORD})
    assert response.headers["Location"] == "/account/profile"
    logout()
    # A backslash counts: browsers read /\host as //host.
    for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        response = post_form(f"/login?next={target}", {"email": "minh@example.org", "password": PASSWORD})
        assert response.headers["Location"] == "/account/", target
        logout()


def test_citizens_get_no_staff_pages(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    make_citizen: Callable[[str], int],
    submit_as: Callable[[int, str], str],
) -> None:
    me = make_citizen("minh@example.org")
    code = submit_as(me, "Đèn đường tắt cả tuần")
    with app.app_context():
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.code == code))
    sign_in(post_form, "minh@example.org")
    for url in ("/staff/", f"/staff/tickets/{ticket_id}", "/dashboard/"):
        assert client.get(url).status_code == 403, url
    english(client)
    page = text(client.get("/dashboard/"))
    assert "You do not have access to this page" in page
    assert ">Inbox<" not in page and ">My submissions<" in page


def test_staff_sign_in_still_goes_to_the_inbox_and_staff_get_no_citizen_pages(
    client: FlaskClient, post_form: PostForm, login: Callable[[str], TestResponse]
) -> None:
    assert login("intake@example.org").headers["Location"] == "/staff/"
    for url in ("/account/", "/account/profile", "/account/delete"):
        assert client.get(url).status_code == 403, url
    form = {"current_password": DEMO_PASSWORD, "new_password": "x" * 12, "confirm": "x" * 12}
    assert post_form("/account/password", form, page="/staff/").status_code == 403
    # Signed in already: the sign-in and registration pages send staff to their work.
    assert client.get("/login").headers["Location"] == "/staff/"
    assert client.get("/account/register").headers["Location"] == "/staff/"


def test_staff_may_sign_in_on_the_citizen_page(post_form: PostForm) -> None:
    response = sign_in(post_form, "intake@example.org", DEMO_PASSWORD)
    assert response.headers["Location"] == "/staff/"
