"""The administrators' page of the Open311 API clients, through HTTP with real forms and CSRF:
who may use it, a key shown once and working until it is revoked on the page, each mistake of
the form explained, and the tickets each client filed counted."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select
from werkzeug.test import TestResponse

from feedback.extensions import db
from feedback.models import ApiClient, ApiSubmission, User
from feedback.services.accounts.citizens import register_citizen
from feedback.services.open311.clients import add_api_client, client_for_key
from tests.conftest import csrf_token

pytestmark = pytest.mark.usefixtures("english")
PAGE = "/admin/api-clients"
ADMIN = "admin@example.org"
NOT_ADMINISTRATORS = ("officer.sxd@example.org", "head.sxd@example.org", "leader@example.org")
LIMIT_MESSAGE = "Enter a whole number of tickets from 1 to 10,000."
Post = Callable[..., TestResponse]


def client_form(**changes: str) -> dict[str, str]:
    return {"name": "Tổng đài 1022 Khánh Hòa", "contact_email": "tongdai1022@khanhhoa.example.org",
            "hourly_limit": "120", **changes}


def shown_key(response: TestResponse) -> str:
    match = re.search(r'data-testid="api-key">([^<]+)<', response.text)
    assert match, "no key on the page"
    return match.group(1)


def client_row(html: str, client_id: int) -> str:
    match = re.search(rf'<tr id="client-{client_id}" data-client="{client_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row for client {client_id}"
    return match.group(1)


def cell(row_html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">(.*?)</(?:td|span)>', row_html, re.S)
    assert match, f"no {testid} in the row"
    return " ".join(match.group(1).split())


def stored_clients(app: Flask) -> list[ApiClient]:
    with app.app_context():
        clients = list(db.session.scalars(select(ApiClient).order_by(ApiClient.id)))
        db.session.expunge_all()
        return clients


def key_works(app: Flask, key: str) -> bool:
    with app.app_context():
        return client_for_key(key) is not None


def make_client(app: Flask, name: str = "Cổng dịch vụ công tỉnh") -> tuple[int, str]:
    """A client added by the demo administrator through the service; its id and key."""
    with app.app_context():
        admin = db.session.scalars(select(User).where(User.email == ADMIN)).one()
        client, key = add_api_client(admin, name, "", 60)
        return client.id, key


# --- Access ---------------------------------------------------------------------------------

@pytest.mark.parametrize("email", NOT_ADMINISTRATORS)
def test_only_administrators_see_the_page_or_change_anything(
    app: Flask, client: FlaskClient, login: Callable[..., Any], email: str
) -> None:
    existing, key = make_client(app)
    login(email)
    assert client.get(PAGE).status_code == 403
    assert 'href="/admin/api-clients"' not in client.get("/staff/").text
    # A valid CSRF token from a page they may see changes nothing either.
    token = csrf_token(client.get("/"))
    assert client.post(PAGE, data={**client_form(), "csrf_token": token}).status_code == 403
    assert client.post(f"{PAGE}/{existing}/revoke", data={"csrf_token": token}).status_code == 403
    assert [c.id for c in stored_clients(app)] == [existing]
    assert key_works(app, key)


def test_signed_out_people_are_sent_to_sign_in(app: Flask, client: FlaskClient) -> None:
    existing, key = make_client(app)
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    token = csrf_token(client.get("/"))
    for url, data in ((PAGE, client_form()), (f"{PAGE}/{existing}/revoke", {})):
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert [c.id for c in stored_clients(app)] == [existing]
    assert key_works(app, key)


def test_citizens_are_refused(client: FlaskClient, login: Callable[..., Any], app: Flask) -> None:
    with app.app_context():
        register_citizen("lan@example.org", "mat-khau-dai-1", "Lê Thị Lan")
    login("lan@example.org", "mat-khau-dai-1")
    assert client.get(PAGE).status_code == 403


def test_the_admin_index_links_to_the_page(client: FlaskClient, admin: None) -> None:
    index = client.get("/admin/").text
    assert 'href="/admin/api-clients"' in index
    # Next to the background jobs, as one of the engine's pages.
    assert index.index('href="/admin/jobs/"') < index.index('href="/admin/api-clients"') < index.index(
        'href="/admin/audit/"')


# --- Adding a client and its key --------------------------------------------------------------

def test_a_new_key_is_shown_once_and_works(app: Flask, client: FlaskClient, admin: None, post_form: Post) -> None:
    assert "No client has a key yet." in client.get(PAGE).text

    response = post_form(PAGE, client_form(contact_email=" TongDai1022@KhanhHoa.example.org "))
    assert response.status_code == 200, "the key is on the answer to the form, not behind a redirect"
    assert response.headers["Cache-Control"] == "no-store"
    key = shown_key(response)
    assert key.startswith("pakn_") and len(key) == 37
    assert str(escape("This is the only time the key is shown.")) in response.text
    assert "<code>api_key</code>" in response.text
    assert "<code>POST&nbsp;/open311/v2/requests.json</code>" in response.text
    assert "It may file 120 tickets an hour" in response.text

    [added] = stored_clients(app)
    assert (added.name, added.contact_email, added.hourly_limit) == (
        "Tổng đài 1022 Khánh Hòa",
        "tongdai1022@khanhhoa.example.org",
        120,
    )
    assert added.key_prefix == key[:12] and key not in (added.key_hash, added.key_prefix)
    with app.app_context():
        found = client_for_key(key)
        assert found is not None and found.id == added.id

    # The list shows what recognises the key, never the key again.
    listing = client.get(PAGE)
    assert listing.status_code == 200
    assert key not in listing.text and 'data-testid="api-key"' not in listing.text
    row = client_row(listing.text, added.id)
    assert f"{key[:12]}…" in row and key[12:] not in row
    assert "tongdai1022<wbr>@khanhhoa<wbr>.example<wbr>.org" in row
    assert cell(row, "hourly-limit") == "120" and cell(row, "tickets") == "0" and cell(row, "state") == "In use"
    assert f'action="/admin/api-clients/{added.id}/revoke"' in row
    assert key not in client.get("/admin/").text


def test_the_form_starts_at_60_an_hour_and_the_contact_is_optional(
    app: Flask, client: FlaskClient, admin: None, post_form: Post
) -> None:
    assert 'name="hourly_limit" type="text" value="60"' in client.get(PAGE).text
    response = post_form(PAGE, client_form(contact_email="", hourly_limit="60"))
    assert response.status_code == 200
    [added] = stored_clients(app)
    assert (added.contact_email, added.hourly_limit) == ("", 60)
    assert ">—</td>" in client_row(client.get(PAGE).text, added.id)


@pytest.mark.parametrize("limit", ["1", "10000"])
def test_the_limits_at_either_end_are_accepted(app: Flask, admin: None, post_form: Post, limit: str) -> None:
    assert post_form(PAGE, client_form(hourly_limit=limit)).status_code == 200
    assert [c.hourly_limit for c in stored_clients(app)] == [int(limit)]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Enter the name of the app or system."),
        ({"name": "   "}, "name", "Enter the name of the app or system."),
        ({"name": "x" * 201}, "name", "Keep this under 200 characters."),
        ({"contact_email": "tongdai1022"}, "contact_email", "Enter an email address like name@example.com."),
        ({"contact_email": "tong dai@example.org"}, "contact_email", "Enter an email address like name@example.com."),
        ({"hourly_limit": "0"}, "hourly_limit", LIMIT_MESSAGE),
        ({"hourly_limit": "10001"}, "hourly_limit", LIMIT_MESSAGE),
        ({"hourly_limit": "-5"}, "hourly_limit", LIMIT_MESSAGE),
        ({"hourly_limit": "sixty"}, "hourly_limit", LIMIT_MESSAGE),
        ({"hourly_limit": "1.5"}, "hourly_limit", LIMIT_MESSAGE),
        ({"hourly_limit": ""}, "hourly_limit", LIMIT_MESSAGE),
    ],
    ids=[
        "no-name",
        "blank-name",
        "long-name",
        "no-at",
        "space",
        "zero",
        "over",
        "negative",
        "words",
        "fraction",
        "empty-limit",
    ],
)
def test_each_mistake_is_explained_at_its_field_and_adds_nothing(
    app: Flask, admin: None, post_form: Post, changes: dict[str, str], field: str, message: str
) -> None:
    response = post_form(PAGE, client_form(**changes))
    assert response.status_code == 422
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', response.text, re.S)
    assert error and str(escape(message)) in error.group(1)
    assert f'<li><a href="#{field}">{escape(message)}</a></li>' in response.text
    assert response.text.count('class="field-error"') == 1, "only the field at fault is marked"
    assert 'data-testid="api-key"' not in response.text
    assert stored_clients(app) == []


def test_a_form_without_its_csrf_token_is_refused(app: Flask, client: FlaskClient, admin: None) -> None:
    assert client.post(PAGE, data=client_form()).status_code == 400
    existing, key = make_client(app)
    assert client.post(f"{PAGE}/{existing}/revoke").status_code == 400
    assert [c.id for c in stored_clients(app)] == [existing]
    assert key_works(app, key)


# --- Revoking ---------------------------------------------------------------------------------


def test_revoking_on_the_page_stops_the_key_at_once(
    app: Flask, client: FlaskClient, admin: None, post_form: Post
) -> None:
    key = shown_key(post_form(PAGE, client_form()))
    [added] = stored_clients(app)
    other, other_key = make_client(app, "Ứng dụng Khánh Hòa Smart")
    assert key_works(app, key)

    response = post_form(f"{PAGE}/{added.id}/revoke", {}, page=PAGE)
    assert response.status_code == 302 and response.headers["Location"] == f"{PAGE}#client-{added.id}"
    assert not key_works(app, key)
    assert key_works(app, other_key), "only that client's key stops"
    [revoked] = [c for c in stored_clients(app) if c.id == added.id]
    assert revoked.revoked_at is not None

    listing = client.get(PAGE).text
    assert str(escape("The key of “Tổng đài 1022 Khánh Hòa” was revoked")) in listing
    row = client_row(listing, added.id)
    assert cell(row, "state") == "Revoked" and "tag-rejected" in row
    assert "/revoke" not in row, "a revoked key cannot be revoked, or restored"
    # Those in use come first.
    assert listing.index(f'data-client="{other}"') < listing.index(f'data-client="{added.id}"')

    # Pressing the button again, from a page left open, changes nothing.
    first = revoked.revoked_at
    assert post_form(f"{PAGE}/{added.id}/revoke", {}, page=PAGE).status_code == 302
    assert [c.revoked_at for c in stored_clients(app) if c.id == added.id] == [first]
    assert not key_works(app, key)


def test_revoking_an_unknown_client_is_not_found(admin: None, post_form: Post) -> None:
    assert post_form(f"{PAGE}/999999/revoke", {}, page=PAGE).status_code == 404


# --- What each client filed -------------------------------------------------------------------


def test_the_list_counts_the_tickets_each_client_filed(
    app: Flask, client: FlaskClient, admin: None, make_ticket: Callable[..., int]
) -> None:
    hotline, _ = make_client(app, "Tổng đài 1022")
    portal, _ = make_client(app, "Cổng dịch vụ công")
    idle, _ = make_client(app, "Ứng dụng chưa dùng")
    tickets = [make_ticket(title=f"Đèn tín hiệu hỏng ở ngã tư số {number}") for number in range(3)]
    with app.app_context():
        for number, (ticket_id, client_id) in enumerate(zip(tickets, (hotline, hotline, portal), strict=True)):
            db.session.add(ApiSubmission(token=f"token-{number}", ticket_id=ticket_id, client_id=client_id))
        db.session.commit()

    listing = client.get(PAGE).text
    assert [cell(client_row(listing, c), "tickets") for c in (hotline, portal, idle)] == ["2", "1", "0"]
