"""Submitting and following a ticket through the public pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import Area, Category, Ticket


@pytest.fixture
def valid_form(app: Flask, database: None) -> dict[str, Any]:
    with app.app_context():
        return {
            "kind": "recommendation",
            "category": db.session.scalar(select(Category.id).where(Category.code == "MTRT")),
            "area": db.session.scalar(select(Area.id).where(Area.name == "Phường Bắc Nha Trang")),
            "title": "Đặt thêm thùng rác ở bãi biển",
            "description": "Đề nghị đặt thêm thùng rác phân loại dọc bãi biển để du khách bỏ rác đúng chỗ.",
        }


def ticket_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Ticket.id))) or 0


def submit(post_form: Callable[..., Any], data: dict[str, Any]) -> tuple[int, str]:
    response = post_form("/submit", data)
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Enter a title."),
        ("title", "Ab", "The title must be 5 to 120 characters long."),
        ("title", "x" * 121, "The title must be 5 to 120 characters long."),
        ("description", "quá ngắn", "The description must be 20 to 5,000 characters long."),
        ("kind", "", "Choose feedback or recommendation."),
        ("kind", "complaint", "Choose feedback or recommendation."),
        ("category", "", "Choose the subject of your submission."),
        ("category", "999999", "Choose the subject of your submission."),
        ("area", "abc", "Choose the commune or ward where it happens."),
        ("email", "not-an-email", "Enter an email address like name@example.com."),
    ],
)
def test_each_rule_refuses_with_a_message_and_keeps_the_input(
    app: Flask,
    client: FlaskClient,
    post_form: Callable[..., Any],
    valid_form: dict[str, Any],
    field: str,
    value: str,
    message: str,
) -> None:
    client.get("/language/en?next=/")
    status, page = submit(post_form, {**valid_form, field: value})
    assert status == 422
    assert ticket_count(app) == 0
    assert 'class="error-summary"' in page
    assert message in page
    # What was typed comes back in the form.
    assert "Đặt thêm thùng rác ở bãi biển" in page or field == "title"

    client.get("/language/vi?next=/")
    status, page = submit(post_form, {**valid_form, field: value})
    assert status == 422
    with app.test_request_context(), force_locale("vi"):
        message_vi = gettext(message)
    assert message_vi != message, "no Vietnamese translation"
    assert message_vi in page


def test_submission_gets_code_link_and_deadline(
    app: Flask, client: FlaskClient, post_form: Callable[..., Any], valid_form: dict[str, Any]
) -> None:
    status, _ = submit(post_form, valid_form)
    assert status == 302
    page = client.get("/submitted").get_data(as_text=True)
    code = re.search(r'data-testid="tracking-code">([^<]+)<', page).group(1)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]", code)
    with app.app_context():
        ticket = db.session.scalars(select(Ticket).where(Ticket.code == code)).one()
        assert ticket.department.code == "SNNMT"
        assert ticket.kind == "recommendation" and ticket.channel == "web"
        # The secret itself is never stored.
        link = re.search(r'data-testid="tracking-link">([^<]+)<', page).group(1)
        assert link.rsplit("/", 1)[1] not in ticket.secret_hash


def test_secret_link_opens_only_its_own_ticket(
    app: Flask, client: FlaskClient, post_form: Callable[..., Any], valid_form: dict[str, Any]
) -> None:
    links = []
    for title in ("Đặt thêm thùng rác ở bãi biển", "Thêm thùng rác ở công viên"):
        submit(post_form, {**valid_form, "title": title})
        page = client.get("/submitted").get_data(as_text=True)
        links.append(re.search(r'data-testid="tracking-link">http://[^/]+([^<]+)<', page).group(1))
    (first_code, first_secret), (second_code, second_secret) = (
        link.removeprefix("/track/").split("/") for link in links
    )
    assert client.get(f"/track/{first_code}/{first_secret}").status_code == 200
    assert client.get(f"/track/{first_code}/{second_secret}").status_code == 404
    assert client.get(f"/track/{second_code}/{first_secret}").status_code == 404
    # Lower case and a mistyped O for 0 still find it; a wrong check symbol does not.
    assert client.get(f"/track/{first_code.lower()}/{first_secret}").status_code == 200
    body = first_code.replace("-", "")
    wrong_check = body[:-1] + ("0" if body[-1] != "0" else "1")
    assert client.get(f"/track/{wrong_check}/{first_secret}").status_code == 404
    # The lookup form says the same about any mismatch.
    response = post_form("/track", {"code": first_code, "secret": second_secret})
    assert response.status_code == 422
    with app.test_request_context(), force_locale("vi"):
        mismatch = gettext("No submission matches this code and secret key. Check both and try again.")
    assert mismatch in response.get_data(as_text=True)
    response = post_form("/track", {"code": first_code, "secret": first_secret})
    assert response.status_code == 302 and response.headers["Location"].endswith(links[0])


def test_pages_come_in_both_languages(client: FlaskClient) -> None:
    home_vi = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in home_vi
    assert "Gửi" in home_vi
    home_en = client.get("/language/en?next=/").headers["Location"]
    assert home_en == "/"
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Send feedback or a recommendation" in page


def test_language_switch_refuses_other_sites(client: FlaskClient) -> None:
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        location = client.get(f"/language/en?next={target}").headers["Location"]
        assert location == "/"
    assert client.get("/language/fr").status_code == 404
