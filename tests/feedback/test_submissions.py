"""Submitting through the public form: every validation rule, what is stored, duplicates,
the honeypot, similar published tickets, profile defaults and entry on someone's behalf."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import Category, Ticket, User
from feedback.services.accounts.citizens import register_citizen

TITLE = "Đặt thêm thùng rác ở bãi biển"


@pytest.fixture
def valid_form(app: Flask, database: None) -> dict[str, Any]:
    with app.app_context():
        return {
            "kind": "recommendation",
            "category": db.session.scalar(select(Category.id).where(Category.code == "MTRT")),
            "x__MTRT__waste_type": "sinh_hoat",
            "area": "Phường Bắc Nha Trang",
            "title": TITLE,
            "description": "Đề nghị đặt thêm thùng rác phân loại dọc bãi biển để du khách bỏ rác đúng chỗ.",
            "submitter_type": "citizen",
            "notify_by": "none",
            "visibility": "public",
            "consent": "y",
        }


def ticket_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Ticket.id))) or 0


def submit(post_form: Callable[..., Any], data: dict[str, Any], url: str = "/submit") -> tuple[int, str]:
    response = post_form(url, data)
    return response.status_code, response.get_data(as_text=True)


def submitted_code(client: FlaskClient) -> str:
    page = client.get("/submitted").get_data(as_text=True)
    return re.search(r'data-testid="tracking-code">([^<]+)<', page).group(1)


def translated(app: Flask, message: str, **values: Any) -> str:
    with app.test_request_context(), force_locale("vi"):
        return gettext(message, **values)


LABEL = {"en": "Type of waste / pollution", "vi": "Loại chất thải / ô nhiễm"}
BUSINESS = {"submitter_type": "business", "business_name": "Công ty A"}
# (changes to a valid form, the message's msgid, its values)
RULES: list[tuple[dict[str, str], str, dict[str, Any]]] = [
    ({"title": ""}, "Enter a title.", {}),
    ({"title": "Ab"}, "The title must be %(min)d to %(max)d characters long.", {"min": 5, "max": 120}),
    ({"title": "x" * 121}, "The title must be %(min)d to %(max)d characters long.", {"min": 5, "max": 120}),
    ({"description": "quá ngắn"}, "The description must be %(min)d to %(max)s characters long.",
     {"min": 20, "max": {"en": "5,000", "vi": "5.000"}}),
    ({"kind": ""}, "Choose feedback or recommendation.", {}),
    ({"kind": "complaint"}, "Choose feedback or recommendation.", {}),
    ({"category": ""}, "Choose the subject of your submission.", {}),
    ({"category": "999999"}, "Choose the subject of your submission.", {}),
    ({"area": ""}, "Enter the commune or ward where it happens.", {}),
    ({"area": "Phường Không Có"}, "No commune or ward of Khánh Hòa has this name. Choose one from the list.", {}),
    ({"email": "not-an-email"}, "Enter an email address like name@example.com.", {}),
    ({"notify_by": "email", "email": ""}, "Enter an email address, or choose another way to hear from us.", {}),
    ({"notify_by": "pigeon"}, "Choose how we should tell you about progress.", {}),
    ({"phone": "12345"}, "Enter a Vietnamese phone number, like 0905 123 456.", {}),
    ({"notify_by": "sms", "phone": "0258 3822 123"}, "Enter a mobile number for text messages, like 0905 123 456.", {}),
    ({"visibility": ""}, "Choose whether your submission may be published.", {}),
    ({"consent": ""}, "To send the submission, agree to the processing of your personal data.", {}),
    ({"latitude": "12.2"}, "Enter both latitude and longitude, or neither.", {}),
    ({"latitude": "48.85", "longitude": "109.19"}, "Enter a latitude in Vietnam, like 12.2388.", {}),
    ({"latitude": "12.2", "longitude": "east"}, "Enter a longitude in Vietnam, like 109.1967.", {}),
    ({"x__MTRT__waste_type": ""}, "Answer “%(label)s”.", {"label": LABEL}),
    ({"submitter_type": "business", "tax_code": "0314409058"}, "Enter the business's name.", {}),
    ({**BUSINESS, "tax_code": ""}, "Enter the business's tax code.", {}),
    ({**BUSINESS, "tax_code": "03144O9058"}, "A tax code has only digits: 10, or 13 for a branch.", {}),
    ({**BUSINESS, "tax_code": "031440905"}, "A tax code has 10 digits, or 13 for a branch; you typed %(count)s.",
     {"count": 9}),
    ({**BUSINESS, "tax_code": "0314409059"},
     "This tax code is not valid: its 10th digit does not match the first nine. Check for a typing mistake.", {}),
    ({**BUSINESS, "tax_code": "0314409058000"}, "The last three digits of a branch's tax code must be 001 to 999.", {}),
    ({"homepage": "http://spam.example"},
     ("The form could not be sent because a hidden field was filled in, as robots do. "
     "If a form-filling tool did it, turn the tool off and send again."), {}),
]


def shown(message: str, page: str) -> bool:
    # Lazy messages render as they are; plain ones are HTML-escaped.
    return message in page or escape(message) in page


def in_language(values: dict[str, Any], language: str) -> dict[str, Any]:
    return {k: v[language] if isinstance(v, dict) else v for k, v in values.items()}


@pytest.mark.parametrize(("changes", "message", "values"), RULES, ids=[m[:40] for _, m, _ in RULES])
def test_each_rule_refuses_with_a_message_in_both_languages_and_keeps_the_input(
    app: Flask,
    client: FlaskClient,
    post_form: Callable[..., Any],
    valid_form: dict[str, Any],
    changes: dict[str, str],
    message: str,
    values: dict[str, Any],
) -> None:
    client.get("/language/en?next=/")
    status, page = submit(post_form, {**valid_form, "address": "Gần quán cà phê Góc Phố", **changes})
    assert status == 422
    assert ticket_count(app) == 0
    assert 'class="error-summary"' in page
    english = message % in_language(values, "en") if values else message
    assert shown(english, page)
    # What was typed comes back in the form.
    assert "Gần quán cà phê Góc Phố" in page

    client.get("/language/vi?next=/")
    status, page = submit(post_form, {**valid_form, **changes})
    assert status == 422
    vietnamese = translated(app, message, **in_language(values, "vi"))
    assert vietnamese != english, "no Vietnamese translation"
    assert shown(vietnamese, page)


def test_a_complete_submission_keeps_every_field(
    app: Flask, client: FlaskClient, post_form: Callable[..., Any], valid_form: dict[str, Any]
) -> None:
    status, _ = submit(
        post_form,
        {
            **valid_form,
            "area": "bac nha trang",
            "address": "Bãi biển Phạm Văn Đồng",
            "latitude": "12,2829",
            "longitude": "109,2012",
            "x__MTRT__first_seen": "2026-11-20T07:30",
            "submitter_type": "business",
            "business_name": "Công ty TNHH Biển Xanh",
            "tax_code": "0314-409-058 002",
            "name": "Trần Thị Bích",
            "email": "Bich@Example.org",
            "phone": "+84 905.123.456",
            "notify_by": "sms",
            "visibility": "private",
            "anonymous": "y",
        },
    )
    assert status == 302
    code = submitted_code(client)
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        check_complete(ticket, code, app)


def check_complete(ticket: Ticket, code: str, app: Flask) -> None:
    assert ticket.code == code
    assert ticket.area.name == "Phường Bắc Nha Trang"
    assert (ticket.latitude, ticket.longitude) == (12.2829, 109.2012)
    assert ticket.attributes == {"waste_type": "sinh_hoat", "first_seen": "2026-11-20T07:30:00"}
    assert (ticket.submitter_type, ticket.business_name, ticket.tax_code) == (
        "business", "Công ty TNHH Biển Xanh", "0314409058002",
    )
    assert (ticket.submitter_email, ticket.submitter_phone, ticket.notify_by) == (
        "bich@example.org", "0905123456", "sms",
    )
    assert (ticket.is_public, ticket.is_anonymous) == (False, True)
    assert ticket.consent_at is not None and ticket.consent_version == app.config["PRIVACY_NOTICE_VERSION"]
    assert ticket.channel == "web" and ticket.language == "vi"
    # Folded for the board's search: no accents, lower case.
    assert "bai bien pham van dong" in ticket.search_text


def test_multi_value_extra_fields_and_the_names_of_areas(
    app: Flask, client: FlaskClient, post_form: Callable[..., Any], valid_form: dict[str, Any]
) -> None:
    with app.app_context():
        roads = db.session.scalar(select(Category.id).where(Category.code == "GTDB"))
    form = {**valid_form, "category": roads, "x__GTDB__road_type": "do_thi",
            "x__GTDB__issue_type": ["o_ga", "bien_bao"], "area": "NHA TRANG"}
    form.pop("x__MTRT__waste_type")
    status, _ = submit(post_form, form)
    assert status == 302
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        check_area_and_attributes(ticket)


def check_area_and_attributes(ticket: Ticket) -> None:
    # "Nha Trang" means Phường Nha Trang, not Phường Bắc Nha Trang or Nam Nha Trang.
    assert ticket.area.name == "Phường Nha Trang"
    assert ticket.attributes == {"road_type": "do_thi", "issue_type": ["o_ga", "bien_bao"]}


def test_the_same_text_again_within_minutes_shows_the_first_ticket(
    app: Flask, client: FlaskClient, post_form: Callable[..., Any], valid_form: dict[str, Any]
) -> None:
    assert submit(post_form, valid_form)[0] == 302
    first = submitted_code(client)
    # Pressing "Send" twice: the same person sees their own receipt again.
    response = post_form("/submit", {**valid_form, "title": TITLE.upper() + "!"})
    assert response.status_code == 302 and response.headers["Location"] == "/submitted"
    assert submitted_code(client) == first
    # Someone else pasting the same text learns the code, never the secret.
    other = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', other.get("/submit").get_data(as_text=True)).group(1)
    page = other.post("/submit", data={**valid_form, "csrf_token": token}).get_data(as_text=True)
    assert first in page and "/track/" not in page
    assert ticket_count(app) == 1


def test_the_honeypot_keeps_robots_out(
    app: Flask, post_form: Callable[..., Any], valid_form: dict[str, Any]
) -> None:
    status, page = submit(post_form, {**valid_form, "homepage": "buy-now.example"})
    assert status == 422 and ticket_count(app) == 0
    # People never see the field: it is off screen and hidden from screen readers.
    assert re.search(r'<div class="trap" aria-hidden="true">', page)


def published_ticket(app: Flask, make_ticket: Callable[..., int], title: str, area: str) -> str:
    from feedback.services.handling.actions import accept_ticket

    ticket_id = make_ticket("MTRT", area, title)
    with app.app_context():
        intake = db.session.scalars(select(User).where(User.role == "intake_officer")).first()
        ticket = db.session.get(Ticket, ticket_id)
        accept_ticket(intake, ticket_id, ticket.department_id)
        return ticket.code


def test_similar_published_tickets_are_offered_before_sending(
    app: Flask,
    client: FlaskClient,
    post_form: Callable[..., Any],
    valid_form: dict[str, Any],
    make_ticket: Callable[..., int],
) -> None:
    code = published_ticket(app, make_ticket, "Thiếu thùng rác trên bãi biển Bắc Nha Trang", "Phường Bắc Nha Trang")
    elsewhere = published_ticket(app, make_ticket, "Thiếu thùng rác trên bãi biển Cam Ranh", "Phường Cam Ranh")
    # Without JavaScript: the "look for similar" button shows them and no errors yet.
    status, page = submit(post_form, {**valid_form, "consent": "", "action": "check"})
    assert status == 200
    assert f"/board/{code}" in page and f"/board/{elsewhere}" not in page
    assert 'class="error-summary"' not in page
    assert ticket_count(app) == 2
    # With JavaScript, the same list comes as a fragment while typing.
    fragment = client.get(
        "/submit/similar",
        query_string={"area": "Phường Bắc Nha Trang", "title": "thung rac bai bien", "description": "thieu thung rac"},
    ).get_data(as_text=True)
    assert f"/board/{code}" in fragment
    # Following is optional: sending still works.
    assert submit(post_form, valid_form)[0] == 302


def test_a_citizen_account_fills_the_form_and_owns_the_ticket(
    app: Flask, client: FlaskClient, post_form: Callable[..., Any], valid_form: dict[str, Any],
    login: Callable[..., Any],
) -> None:
    with app.app_context():
        register_citizen("lan@example.org", "mat-khau-dai-1", "Lê Thị Lan", "0905111222")
    login("lan@example.org", "mat-khau-dai-1")
    page = client.get("/submit").get_data(as_text=True)
    assert 'value="lan@example.org"' in page and 'value="Lê Thị Lan"' in page and 'value="0905111222"' in page
    assert submit(post_form, {**valid_form, "name": "Lê Thị Lan", "email": "lan@example.org"})[0] == 302
    with app.app_context():
        assert db.session.scalars(select(Ticket)).one().submitter.email == "lan@example.org"


def test_staff_enter_a_submission_received_by_hotline(
    app: Flask, client: FlaskClient, post_form: Callable[..., Any], valid_form: dict[str, Any],
    login: Callable[..., Any],
) -> None:
    assert client.get("/staff/submissions/new").status_code == 302
    login("intake@example.org")
    form = {**valid_form, "channel": "hotline", "name": "Ông Phạm Văn Dũng", "phone": "0905 222 333"}
    status, page = submit(post_form, {**form, "channel": ""}, url="/staff/submissions/new")
    assert status == 422 and shown(translated(app, "Choose how the submission was received."), page)
    status, _ = submit(post_form, form, url="/staff/submissions/new")
    assert status == 302
    page = client.get("/staff/submissions/entered").get_data(as_text=True)
    code = re.search(r'data-testid="tracking-code">([^<]+)<', page).group(1)
    assert "/track/" in page
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        assert (ticket.code, ticket.channel, ticket.submitter_phone) == (code, "hotline", "0905222333")
        # The officer is recorded as who entered it; the person is not an account holder.
        assert ticket.events[0].actor.email == "intake@example.org" and ticket.submitter_id is None
        assert ticket.events[0].payload["channel"] == "hotline"


def test_pages_come_in_both_languages(client: FlaskClient) -> None:
    home_vi = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in home_vi
    assert "Gửi" in home_vi
    home_en = client.get("/language/en?next=/").headers["Location"]
    assert home_en == "/"
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Send feedback or a recommendation" in page


def test_the_privacy_notice_comes_in_both_languages(client: FlaskClient, app: Flask) -> None:
    page = client.get("/privacy").get_data(as_text=True)
    assert "13/2023" in page and f"Phiên bản {app.config['PRIVACY_NOTICE_VERSION']}" in page
    client.get("/language/en?next=/")
    page = client.get("/privacy").get_data(as_text=True)
    assert "13/2023" in page and f"Version {app.config['PRIVACY_NOTICE_VERSION']}" in page


def test_language_switch_refuses_other_sites(client: FlaskClient) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)"):
        location = client.get(f"/language/en?next={target}").headers["Location"]
        assert location == "/"
    assert client.get("/language/fr").status_code == 404


def test_the_area_picker_is_searchable_without_javascript(client: FlaskClient, database: None) -> None:
    page = client.get("/submit").get_data(as_text=True)
    # A text box tied to the browser's own suggestion list: typing filters the 65 units.
    assert re.search(r'<input[^>]*id="area"[^>]*list="area-list"', page)
    options = re.findall(r'<option value="([^"]+)"></option>', page[page.index('<datalist id="area-list">'):])
    assert "Phường Nha Trang" in options and "Đặc khu Trường Sa" in options and len(options) == 65


def test_a_citizen_follows_their_own_submission_from_their_account(
    app: Flask, client: FlaskClient, post_form: Callable[..., Any], valid_form: dict[str, Any],
    login: Callable[..., Any], logout: Callable[[], None],
) -> None:
    with app.app_context():
        register_citizen("minh@example.org", "mat-khau-dai-2", "Võ Minh")
        register_citizen("hoa@example.org", "mat-khau-dai-3", "Đỗ Hoa")
    login("minh@example.org", "mat-khau-dai-2")
    assert submit(post_form, valid_form)[0] == 302
    code = submitted_code(client)
    assert f"/account/submissions/{code}" in client.get("/account/").get_data(as_text=True)
    assert TITLE in client.get(f"/account/submissions/{code}").get_data(as_text=True)
    logout()
    login("hoa@example.org", "mat-khau-dai-3")
    assert client.get(f"/account/submissions/{code}").status_code == 404
