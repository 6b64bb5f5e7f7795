"""A citizen's profile and password, and deleting the account, which keeps its tickets as they were sent."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Ticket, TicketEvent, TicketFollower, User
from tests.feedback.citizen_accounts import PASSWORD, PostForm, english, in_vietnamese, sign_in, text
from tests.feedback.citizen_accounts import make_citizen as make_citizen
from tests.feedback.citizen_accounts import submit_as as submit_as


def test_profile_edit_keeps_submissions_as_they_were_sent(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    logout: Callable[[], None],
    make_citizen: Callable[[str], int],
    submit_as: Callable[[int, str], str],
) -> None:
    me = make_citizen("minh@example.org")
    code = submit_as(me, "Đèn đường tắt cả tuần")
    sign_in(post_form, "minh@example.org")
    page = text(client.get("/account/profile"))
    assert 'value="Trần Văn Minh"' in page and 'value="minh@example.org"' in page

    response = post_form("/account/profile",
                         {"name": "Trần Minh", "email": "Minh.Tran@Example.org", "phone": "+84 912 345 678"})
    assert response.status_code == 302 and response.headers["Location"] == "/account/profile"
    english(client)
    page = text(client.get("/account/profile"))
    assert 'value="Trần Minh"' in page and 'value="minh.tran@example.org"' in page
    assert 'value="+84 912 345 678"' in page
    with app.app_context():
        ticket = db.session.scalars(select(Ticket).where(Ticket.code == code)).one()
        assert (ticket.submitter_name, ticket.submitter_email) == ("Trần Văn Minh", "minh@example.org")
    # The new address signs in; the old one no longer does.
    logout()
    assert sign_in(post_form, "minh@example.org").status_code == 422
    assert sign_in(post_form, "minh.tran@example.org").status_code == 302


def test_profile_errors_come_back_with_what_was_typed(
    app: Flask, client: FlaskClient, post_form: PostForm, make_citizen: Callable[[str], int]
) -> None:
    make_citizen("minh@example.org")
    make_citizen("hoa@example.org")
    sign_in(post_form, "minh@example.org")
    message = "An account already uses this email address. Sign in, or use another address."
    response = post_form("/account/profile", {"name": "Trần Minh", "email": "hoa@example.org", "phone": ""})
    assert response.status_code == 422
    assert in_vietnamese(app, message) in text(response)
    english(client)
    response = post_form("/account/profile", {"name": "Trần Minh", "email": "HOA@example.org", "phone": ""})
    assert response.status_code == 422 and message in text(response)
    response = post_form("/account/profile", {"name": "", "email": "minh.tran@example.org", "phone": "0912"})
    page = text(response)
    assert response.status_code == 422
    assert "Enter your name." in page and "Enter a phone number like 0912 345 678." in page
    assert 'value="minh.tran@example.org"' in page and 'value="0912"' in page
    with app.app_context():
        assert db.session.scalar(select(User.name).where(User.email == "minh@example.org")) == "Trần Văn Minh"


def test_changing_the_password(
    app: Flask, client: FlaskClient, post_form: PostForm, make_citizen: Callable[[str], int]
) -> None:
    make_citizen("minh@example.org")
    sign_in(post_form, "minh@example.org")
    new = "một mật khẩu mới dài"
    empty = {"current_password": "", "new_password": "", "confirm": ""}
    response = post_form("/account/password", empty, page="/account/profile")
    assert response.status_code == 422
    assert in_vietnamese(app, "Enter your current password.") in text(response)
    wrong = {"current_password": "không phải nó", "new_password": new, "confirm": new}
    message = "The current password is not correct."
    response = post_form("/account/password", wrong, page="/account/profile")
    assert response.status_code == 422 and in_vietnamese(app, message) in text(response)
    english(client)
    assert "Enter your current password." in text(post_form("/account/password", empty, page="/account/profile"))
    response = post_form("/account/password", wrong, page="/account/profile")
    assert response.status_code == 422 and message in text(response)
    short = {"current_password": PASSWORD, "new_password": "ngắn", "confirm": "ngắn"}
    response = post_form("/account/password", short, page="/account/profile")
    assert response.status_code == 422 and "The password must be at least 10 characters long." in text(response)
    # The profile form on the same page is still filled in.
    assert 'value="Trần Văn Minh"' in text(response)

    response = post_form("/account/password", {**wrong, "current_password": PASSWORD}, page="/account/profile")
    assert response.status_code == 302
    assert "Your password was changed." in text(client.get("/account/profile"))
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "minh@example.org")).one()
        assert user.check_password(new) and not user.check_password(PASSWORD)


def test_deleting_the_account_detaches_its_tickets(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    make_citizen: Callable[[str], int],
    submit_as: Callable[[int, str], str],
) -> None:
    me = make_citizen("minh@example.org")
    code = submit_as(me, "Đèn đường tắt cả tuần")
    followed = submit_as(make_citizen("hoa@example.org"), "Cây đổ chắn lối đi")
    with app.app_context():
        followed_id = db.session.scalar(select(Ticket.id).where(Ticket.code == followed))
        db.session.add(TicketFollower(ticket_id=followed_id, user_id=me, email="minh@example.org"))
        db.session.commit()
    sign_in(post_form, "minh@example.org")

    page = text(client.get("/account/delete"))
    assert in_vietnamese(app, "The submissions you sent are not deleted. They are still handled and answered, "
                              "and they keep the name and contact details you gave when you sent them: the "
                              "department needs them to handle and answer each submission.") in page
    response = post_form("/account/delete", {"password": "không phải nó"})
    assert response.status_code == 422
    assert in_vietnamese(app, "The password is not correct.") in text(response)
    english(client)
    page = text(post_form("/account/delete", {"password": ""}))
    assert "Enter your password." in page
    assert "keep the name and contact details you gave when you sent them" in page

    response = post_form("/account/delete", {"password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = text(client.get("/"))
    assert "Your account was deleted." in page and 'href="/login">Sign in</a>' in page
    assert client.get("/account/").status_code == 302
    with app.app_context():
        assert db.session.get(User, me) is None
        ticket = db.session.scalars(select(Ticket).where(Ticket.code == code)).one()
        assert ticket.submitter_id is None
        assert (ticket.submitter_name, ticket.submitter_email) == ("Trần Văn Minh", "minh@example.org")
        assert db.session.scalar(select(TicketFollower.id).where(TicketFollower.ticket_id == followed_id)) is None
        submit_event = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).one()
        assert (submit_event.actor_id, submit_event.actor_role) == (None, "submitter")
    assert sign_in(post_form, "minh@example.org").status_code == 422
