"""Who may see and do what on the staff side, checked through the pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Department, Ticket


@pytest.fixture
def road_ticket(make_ticket: Callable[..., int]) -> int:
    return make_ticket("GTDB")


def department_id(app: Flask, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Department.id).where(Department.code == code))


def test_staff_pages_need_sign_in(client: FlaskClient, road_ticket: int) -> None:
    for url in ("/staff/", f"/staff/tickets/{road_ticket}", "/dashboard/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_is_refused(client: FlaskClient, post_form: Callable[..., Any]) -> None:
    response = post_form("/login", {"email": "intake@example.org", "password": "wrong"})
    assert response.status_code == 422
    assert client.get("/staff/").status_code == 302


def test_other_departments_cannot_see_or_act(
    app: Flask,
    client: FlaskClient,
    road_ticket: int,
    login: Callable[[str], Any],
    logout: Callable[[], None],
    post_form: Callable[..., Any],
) -> None:
    # Before intake accepts it, not even the routed department sees it.
    login("officer.sxd@example.org")
    assert client.get(f"/staff/tickets/{road_ticket}").status_code == 404
    logout()

    login("intake@example.org")
    post_form(f"/staff/tickets/{road_ticket}/accept", {"department": department_id(app, "SXD")},
              page=f"/staff/tickets/{road_ticket}")
    logout()

    login("officer.syt@example.org")
    assert client.get(f"/staff/tickets/{road_ticket}").status_code == 404
    page = client.get("/staff/").get_data(as_text=True)
    assert f"/staff/tickets/{road_ticket}" not in page
    # A valid form with a CSRF token from a page this officer may see still gets nothing.
    response = post_form(f"/staff/tickets/{road_ticket}/resolve", {"answer": "x" * 30}, page="/staff/")
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Ticket, road_ticket).status == "accepted"


def test_engine_refuses_what_the_role_may_not_do(
    app: Flask,
    client: FlaskClient,
    road_ticket: int,
    login: Callable[[str], Any],
    post_form: Callable[..., Any],
) -> None:
    login("intake@example.org")
    page = client.get(f"/staff/tickets/{road_ticket}").get_data(as_text=True)
    assert f"/staff/tickets/{road_ticket}/resolve" not in page
    # Posting anyway changes nothing and says why.
    response = post_form(f"/staff/tickets/{road_ticket}/resolve", {"answer": "Đã xử lý xong sự cố đèn tín hiệu."},
                         page=f"/staff/tickets/{road_ticket}")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Ticket, road_ticket).status == "submitted"
    assert 'class="notice notice-error"' in client.get(response.headers["Location"]).get_data(as_text=True)


def test_reject_needs_a_reason_and_shows_it_publicly(
    app: Flask, client: FlaskClient, road_ticket: int, login: Callable[[str], Any], post_form: Callable[..., Any]
) -> None:
    login("intake@example.org")
    url, page = f"/staff/tickets/{road_ticket}/reject", f"/staff/tickets/{road_ticket}"
    assert post_form(url, {"reason": "  "}, page=page).status_code == 422
    assert post_form(url, {"reason": "Nội dung không thuộc thẩm quyền."}, page=page).status_code == 302
    with app.app_context():
        ticket = db.session.get(Ticket, road_ticket)
        assert ticket.status == "rejected"
        assert ticket.events[-1].reason == "Nội dung không thuộc thẩm quyền."


def test_dashboard_is_for_leaders(
    client: FlaskClient, database: None, login: Callable[[str], Any], logout: Callable[[], None]
) -> None:
    login("officer.sxd@example.org")
    assert client.get("/dashboard/").status_code == 403
    assert 'href="/dashboard/"' not in client.get("/staff/").get_data(as_text=True)
    logout()
    login("leader@example.org")
    assert client.get("/dashboard/").status_code == 200
    assert 'href="/dashboard/"' in client.get("/staff/").get_data(as_text=True)
