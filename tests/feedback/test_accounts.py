"""Citizen accounts through their pages: register, sign in, my submissions, profile, delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import select
from werkzeug.test import TestResponse

from feedback.demo import DEMO_PASSWORD
from feedback.extensions import db
from feedback.models import CITIZEN_ROLE, Area, Category, Ticket, TicketEvent, TicketFollower, User
from feedback.services.accounts.citizens import register_citizen
from feedback.services.intake.submissions import Submission, submit_ticket

PASSWORD = "mật khẩu dài đủ"

PostForm = Callable[..., TestResponse]


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


@pytest.fixture
def make_citizen(app: Flask, database: None) -> Callable[[str], int]:
    def make(email: str) -> int:
        with app.app_context():
            return register_citizen(email, PASSWORD, "Trần Văn Minh").id

    return make


@pytest.fixture
def submit_as(app: Flask, database: None) -> Callable[[int, str], str]:
    """A ticket submitted through the service by this account; returns its code."""

    def submit(user_id: int, title: str) -> str:
        with app.app_context():
            receipt = submit_ticket(
                Submission(
                    kind="feedback",
                    category_id=db.session.scalar(select(Category.id).where(Category.code == "GTDB")),
                    area_id=db.session.scalar(select(Area.id).where(Area.name == "Phường Nha Trang")),
                    title=title,
                    description=f"{title}: sự việc kéo dài từ hôm qua, đề nghị kiểm tra.",
                    name="Trần Văn Minh",
                    email="minh@example.org",
                ),
                actor=db.session.get(User, user_id),
            )
            return receipt.ticket.code

    return submit


def english(client: FlaskClient) -> None:
    client.get("/language/en?next=/")


def vietnamese(client: FlaskClient) -> None:
    client.get("/language/vi?next=/")


def in_vietnamese(app: Flask, message: str, **variables: Any) -> str:
    """The message as a Vietnamese page shows it, escaped as in the HTML."""
    with app.test_request_context(), force_locale("vi"):
        return str(escape(gettext(message, **variables)))


def sign_in(post_form: PostForm, email: str, password: str = PASSWORD) -> TestResponse:
    return post_form("/login", {"email": email, "password": password})


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


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


def test_my_submissions_lists_mine_and_not_another_citizens(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    make_citizen: Callable[[str], int],
    submit_as: Callable[[int, str], str],
) -> None:
    me = make_citizen("minh@example.org")
    other = make_citizen("hoa@example.org")
    older = submit_as(me, "Đèn đường tắt cả tuần")
    newer = submit_as(me, "Ổ gà trước chợ Đầm")
    theirs = submit_as(other, "Cây đổ chắn lối đi")
    with app.app_context():
        assert db.session.scalar(select(Ticket.submitter_id).where(Ticket.code == older)) == me

    assert sign_in(post_form, "minh@example.org").headers["Location"] == "/account/"
    english(client)
    page = text(client.get("/account/"))
    assert f'href="/account/submissions/{newer}"' in page
    assert page.index(newer) < page.index(older), "newest first"
    assert theirs not in page and "Cây đổ chắn lối đi" not in page
    assert '<span class="tag tag-submitted">Submitted</span>' in page


def test_followed_tickets_are_listed_apart(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    make_citizen: Callable[[str], int],
    submit_as: Callable[[int, str], str],
) -> None:
    me = make_citizen("minh@example.org")
    followed = submit_as(make_citizen("hoa@example.org"), "Cây đổ chắn lối đi")
    with app.app_context():
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.code == followed))
        db.session.add(TicketFollower(ticket_id=ticket_id, user_id=me, email="minh@example.org"))
        db.session.commit()
    sign_in(post_form, "minh@example.org")
    page = text(client.get("/account/"))
    assert 'data-testid="no-submissions"' in page
    assert f'href="/board/{followed}"' in page and 'data-testid="no-followed"' not in page


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
