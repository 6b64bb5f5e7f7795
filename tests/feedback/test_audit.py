"""The audit log: what staff do and read is recorded with who and from where; administrators,
and only they, search it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import AuditEntry, User
from feedback.services import audit

INTAKE = "intake@example.org"
ROW = re.compile(r'<tr data-testid="audit-entry">')


def entries(app: Flask, **where: Any) -> list[AuditEntry]:
    with app.app_context():
        query = select(AuditEntry).order_by(AuditEntry.id)
        for column, value in where.items():
            query = query.where(getattr(AuditEntry, column) == value)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


@pytest.fixture
def from_address(client: FlaskClient) -> str:
    client.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    return "203.0.113.7"


def test_a_staff_post_is_recorded_with_actor_address_and_target_but_no_content(
    app: Flask,
    from_address: str,
    make_ticket: Callable[..., int],
    login: Callable[..., Any],
    post_form: Callable[..., Any],
) -> None:
    ticket = make_ticket()
    login(INTAKE)
    url = f"/staff/tickets/{ticket}/reject"
    # A refused action is recorded too, with its status.
    assert post_form(url, {"reason": ""}, page="/security").status_code == 422
    reason = "Nội dung không thuộc thẩm quyền của tỉnh."
    assert post_form(url, {"reason": reason}, page="/security").status_code == 302
    refused, done = entries(app, action="staff.reject")
    assert (done.actor_email, done.ip, done.target) == (INTAKE, from_address, f"ticket {ticket}")
    assert done.actor_id is not None
    assert (refused.details, done.details) == ({"method": "POST", "status": 422}, {"method": "POST", "status": 302})


def test_opening_a_ticket_page_is_recorded_as_access_to_personal_data(
    app: Flask, client: FlaskClient, make_ticket: Callable[..., int], login: Callable[..., Any]
) -> None:
    ticket = make_ticket()
    login(INTAKE)
    assert client.get(f"/staff/tickets/{ticket}").status_code == 200
    client.get("/staff/")
    [entry] = entries(app, actor_email=INTAKE, action="staff.ticket")
    assert entry.target == f"ticket {ticket}" and entry.details["method"] == "GET"
    # Other pages are not logged when only read.
    assert not entries(app, action="staff.inbox")


def test_sign_out_is_recorded_but_a_citizens_actions_are_not(
    app: Flask,
    login: Callable[..., Any],
    logout: Callable[[], None],
    post_form: Callable[..., Any],
) -> None:
    login(INTAKE)
    logout()
    assert [e.actor_email for e in entries(app, action="auth.logout")] == [INTAKE]
    registered = post_form("/account/register", {
        "name": "Nguyễn Văn An", "email": "an@example.com", "password": "a long password",
        "confirm": "a long password", "consent": "y",
    })
    assert registered.status_code == 302
    logout()
    login("an@example.com", "a long password")
    logout()
    # A citizen's account, once deleted, must leave nothing naming them behind.
    assert not entries(app, actor_email="an@example.com")
    assert len(entries(app, action="auth.logout")) == 1


def test_sign_in_success_and_failure_are_recorded(
    app: Flask, from_address: str, post_form: Callable[..., Any], login: Callable[..., Any]
) -> None:
    post_form("/login", {"email": INTAKE, "password": "wrong password"})
    login(INTAKE)
    recorded = entries(app, actor_email=INTAKE)
    assert [e.action for e in recorded] == ["login_failure", "login_success"]
    assert all(e.ip == from_address and e.actor_id is not None for e in recorded)
    assert recorded[0].details == {"failures": 1}


@pytest.mark.parametrize("email", ["officer.sxd@example.org", "leader@example.org", INTAKE])
def test_only_administrators_read_the_log(client: FlaskClient, login: Callable[..., Any], email: str) -> None:
    assert client.get("/admin/audit/").status_code == 302
    login(email)
    assert client.get("/admin/audit/").status_code == 403


@pytest.fixture
def many_entries(app: Flask, database: None) -> datetime:
    """120 entries of one test action, one an hour going back; returns the newest time."""
    newest = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    with app.app_context():
        officer = db.session.scalars(select(User).where(User.email == "officer.sxd@example.org")).one()
        for hour in range(120):
            moment = newest - timedelta(hours=hour)
            audit.record(officer, "198.51.100.1", "test.bulk", target=f"ticket {hour}", now=moment)
        audit.record(None, "198.51.100.2", "login_failure", now=newest, actor_email="someone@example.org")
    return newest


def test_the_log_is_paged_newest_first(
    client: FlaskClient, admin: None, english: None, many_entries: datetime
) -> None:
    first = client.get("/admin/audit/?action=test.bulk")
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert "120 entries found" in html
    assert len(ROW.findall(html)) == 50
    assert html.index(">ticket 0<") < html.index(">ticket 1<")
    assert "/admin/audit/?page=2&amp;action=test.bulk" in html
    last = client.get("/admin/audit/?action=test.bulk&page=3").get_data(as_text=True)
    assert len(ROW.findall(last)) == 20 and ">ticket 119<" in last


def test_the_log_filters_by_account_action_and_days(
    client: FlaskClient, admin: None, english: None, many_entries: datetime
) -> None:
    by_actor = client.get("/admin/audit/?actor=Someone@example.org").get_data(as_text=True)
    assert "1 entry found" in by_actor and "Sign-in failed" in by_actor and "no such account" in by_actor
    # 20/11 in Vietnam runs from 19/11 17:00 UTC: the entries of 17:00 UTC to 03:00 UTC, eleven of them.
    one_day = client.get("/admin/audit/?action=test.bulk&since=2026-11-20&until=2026-11-20").get_data(as_text=True)
    assert "11 entries found" in one_day
    typed = client.get("/admin/audit/?action=test.bulk&since=20/11/2026").get_data(as_text=True)
    assert "11 entries found" in typed
    unreadable = client.get("/admin/audit/?since=yesterday")
    assert unreadable.status_code == 422
    assert "Enter the date as day/month/year" in unreadable.get_data(as_text=True)
