"""What the public board lists and a ticket's page shows or never shows, and following a ticket."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from feedback.extensions import db
from feedback.models import TicketFollower
from feedback.services.accounts.citizens import register_citizen
from feedback.services.handling.actions import reject_ticket
from tests.feedback.board_tickets import _intake, _text, _ticket, answer_ticket
from tests.feedback.board_tickets import file_ticket as file_ticket


def listed(client: FlaskClient, query: str = "") -> str:
    return _text(client.get(f"/board/{query}"))


# --- What is published --------------------------------------------------------------------


@pytest.mark.parametrize("hidden", ["private", "unscreened", "rejected"])
def test_only_accepted_public_tickets_are_on_the_board(
    app: Flask,
    client: FlaskClient,
    post_form: Callable[..., TestResponse],
    file_ticket: Callable[..., str],
    hidden: str,
) -> None:
    shown = file_ticket("Cây xanh đổ chắn lối đi bộ")
    title = "Ống nước vỡ trước nhà số 12"
    code = file_ticket(title, is_public=False) if hidden == "private" else file_ticket(title, accept=False)
    if hidden == "rejected":
        with app.app_context():
            reject_ticket(_intake(), _ticket(code).id, "Không thuộc thẩm quyền giải quyết.")

    page = listed(client)
    assert "Cây xanh đổ chắn lối đi bộ" in page
    assert title not in page and code not in page
    assert title not in listed(client, "?q=ong+nuoc+vo")
    assert client.get(f"/board/{shown}").status_code == 200
    assert client.get(f"/board/{code}").status_code == 404
    follow = post_form(f"/board/{code}/follow", {"email": "a@example.com", "consent": "y"}, page=f"/board/{shown}")
    assert follow.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(TicketFollower.id))) == 0


def test_an_unknown_or_mistyped_code_is_not_found(client: FlaskClient, file_ticket: Callable[..., str]) -> None:
    code = file_ticket("Biển báo giao thông bị che khuất")
    assert client.get(f"/board/{code.lower()}").status_code == 200
    assert client.get("/board/AAAA-AAAA-A").status_code == 404
    assert client.get("/board/not-a-code").status_code == 404


def test_the_page_names_a_submitter_who_agreed_but_never_shows_contact_details(
    client: FlaskClient, file_ticket: Callable[..., str]
) -> None:
    code = file_ticket(
        "Xe chở cát làm rơi vãi trên đường",
        name="Nguyễn Văn An",
        email="an.nguyen@example.com",
        phone="0905123456",
        submitter_type="business",
        business_name="Công ty TNHH Biển Xanh",
        tax_code="4201234567",
    )
    for page in (_text(client.get(f"/board/{code}")), listed(client)):
        for private in ("an.nguyen@example.com", "0905123456", "4201234567"):
            assert private not in page
    page = _text(client.get(f"/board/{code}"))
    assert "Nguyễn Văn An" in page
    assert "Công ty TNHH Biển Xanh" in page


def test_an_anonymous_submitter_is_never_named(client: FlaskClient, file_ticket: Callable[..., str]) -> None:
    code = file_ticket(
        "Bãi xe tự phát trước cổng trường",
        name="Trần Thị Bích",
        email="bich.tran@example.com",
        phone="0914000111",
        submitter_type="business",
        business_name="Hộ kinh doanh Bích Trâm",
        tax_code="4209876543",
        is_anonymous=True,
    )
    for page in (_text(client.get(f"/board/{code}")), listed(client)):
        for private in ("Trần Thị Bích", "Bích Trâm", "bich.tran@example.com", "0914000111", "4209876543"):
            assert private not in page


def test_the_page_shows_the_answer_and_the_public_history(
    app: Flask, client: FlaskClient, english: None, file_ticket: Callable[..., str]
) -> None:
    code = file_ticket("Hố ga mất nắp trên vỉa hè")
    answer = "Đơn vị đã lắp lại nắp hố ga và rào chắn khu vực trong ngày."
    answer_ticket(app, code, answer)

    page = _text(client.get(f"/board/{code}"))
    assert answer in page
    assert re.search(r'data-testid="status">Answered<', page)
    history = re.findall(r'class="timeline-what">([^<]+)<', page)
    assert history[:2] == ["Submitted", "Accepted"] and history[-1] == "Answered"
    # The answer is searched too.
    assert "Hố ga mất nắp trên vỉa hè" in listed(client, "?q=lap+lai+nap")


# --- Following ------------------------------------------------------------------------------


def followers(app: Flask) -> list[tuple[str, int | None]]:
    with app.app_context():
        return [(f.email, f.user_id) for f in db.session.scalars(select(TicketFollower))]


def test_following_needs_consent_and_counts_each_address_once(
    app: Flask,
    client: FlaskClient,
    english: None,
    post_form: Callable[..., TestResponse],
    file_ticket: Callable[..., str],
) -> None:
    code = file_ticket("Chó thả rông trong công viên")
    url = f"/board/{code}/follow"
    assert "0 people follow this submission." in _text(client.get(f"/board/{code}"))

    refused = post_form(url, {"email": "lan@example.com"}, page=f"/board/{code}")
    assert refused.status_code == 422
    assert "Tick the box to agree" in refused.get_data(as_text=True)
    refused = post_form(url, {"email": "not-an-email", "consent": "y"}, page=f"/board/{code}")
    assert refused.status_code == 422
    assert "Enter an email address like name@example.com." in refused.get_data(as_text=True)
    assert followers(app) == []

    followed = post_form(url, {"email": "lan@example.com", "consent": "y"}, page=f"/board/{code}")
    assert followed.status_code == 302 and followed.location.endswith(f"/board/{code}")
    page = _text(client.get(f"/board/{code}"))
    assert "You are following this submission." in page
    assert "1 person follows this submission." in page
    assert "lan@example.com" not in page

    again = post_form(url, {"email": " Lan@Example.com ", "consent": "y"}, page=f"/board/{code}")
    assert again.status_code == 302
    assert followers(app) == [("lan@example.com", None)]
    with app.app_context():
        # Followed from the English page: the news of this ticket will be written in English.
        assert db.session.scalars(select(TicketFollower.language)).all() == ["en"]


def test_a_signed_in_citizen_follows_with_the_account_address(
    app: Flask,
    client: FlaskClient,
    english: None,
    login: Callable[..., TestResponse],
    post_form: Callable[..., TestResponse],
    file_ticket: Callable[..., str],
) -> None:
    code = file_ticket("Xe buýt số 4 thường xuyên trễ chuyến")
    earlier = file_ticket("Trạm chờ xe buýt bị dột")
    with app.app_context():
        user_id = register_citizen("minh@example.com", "mat-khau-rat-dai", "Lê Minh").id
    # Before signing in, the same person followed another ticket by typing the address.
    form = {"email": "minh@example.com", "consent": "y"}
    assert post_form(f"/board/{earlier}/follow", form, page=f"/board/{earlier}").status_code == 302
    login("minh@example.com", "mat-khau-rat-dai")

    page = _text(client.get(f"/board/{code}"))
    assert 'type="email"' not in page
    assert "We will write to the email address of your account." in page
    for followed in (code, code, earlier):
        assert post_form(f"/board/{followed}/follow", {"consent": "y"}, page=f"/board/{followed}").status_code == 302
    # One row a ticket, and both now belong to the account.
    assert sorted(followers(app)) == [("minh@example.com", user_id)] * 2
