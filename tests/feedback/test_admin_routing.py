"""The administrators' routing rules and the staff's "try it" page, through HTTP with real forms."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Area, Category, Department, RoutingRule, Ticket, User
from feedback.services.handling.actions import accept_ticket
from tests.conftest import id_of
from workflows import (
    TIMEZONE,
    DeadlinePolicy,
    Urgency,
    WorkingCalendar,
    classify_deadline,
    resolve_deadline,
)

# --- Routing rules --------------------------------------------------------------------------

def rule_form(app: Flask, **changes: Any) -> dict[str, Any]:
    return {
        "department": id_of(app, Department, code="SNNMT"),
        "category": id_of(app, Category, code="GTDB"),
        "area": "",
        "keywords": "cây đổ, cành gãy",
        "active": "y",
        **changes,
    }


def test_a_keyword_rule_routes_matching_submissions_until_switched_off(
    app: Flask, client: FlaskClient, admin: None, english: None, post_form: Callable[..., Any],
    make_ticket: Callable[..., int],
) -> None:
    response = post_form("/admin/rules/new", rule_form(app))
    assert response.status_code == 302 and response.headers["Location"] == "/admin/rules"
    with app.app_context():
        rule = db.session.scalars(select(RoutingRule).where(RoutingRule.keywords == "cây đổ, cành gãy")).one()
        rule_id, snnmt, sxd = rule.id, rule.department_id, id_of(app, Department, code="SXD")
    assert f"Rule {rule_id} was saved" in client.get("/admin/rules").get_data(as_text=True)

    # Typed without accents, in another case: still the keyword.
    matched = make_ticket("GTDB", title="CAY DO chắn ngang đường")
    plain = make_ticket("GTDB", title="Ổ gà trên đường Trần Phú")
    with app.app_context():
        assert (db.session.get(Ticket, matched).department_id, db.session.get(Ticket, matched).routing_rule_id) == (
            snnmt,
            rule_id,
        )
        assert db.session.get(Ticket, plain).department_id == sxd

    response = post_form(f"/admin/rules/{rule_id}", rule_form(app, active=""))
    assert response.status_code == 302
    switched_off = make_ticket("GTDB", title="Cây đổ trước cổng trường")
    with app.app_context():
        ticket = db.session.get(Ticket, switched_off)
        assert ticket.department_id == sxd and ticket.routing_rule_id != rule_id
        assert db.session.get(RoutingRule, rule_id).active is False
    row = re.search(rf'<tr data-rule="{rule_id}">(.*?)</tr>', client.get("/admin/rules").get_data(as_text=True), re.S)
    assert "Switched off" in row.group(1)

    # The rule routed a ticket: its department stays, so that its figures keep their meaning.
    moved = post_form(f"/admin/rules/{rule_id}", rule_form(app, department=sxd))
    assert moved.status_code == 422
    assert "switch it off and add a new rule" in moved.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(RoutingRule, rule_id).department_id == snnmt


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"department": ""}, "department", "Choose the department the rule sends submissions to."),
        ({"department": "999999"}, "department", "Choose the department the rule sends submissions to."),
        ({"category": "999999"}, "category", "Choose a subject from the list."),
        ({"area": "999999"}, "area", "Choose a place from the list."),
        ({"keywords": "x" * 501}, "keywords", "Keep the keywords under 500 characters."),
        # Stored as "a, a, …": longer than typed.
        ({"keywords": "a," * 200}, "keywords", "Keep the keywords under 500 characters."),
    ],
)
def test_the_rule_form_explains_each_mistake(
    app: Flask,
    admin: None,
    english: None,
    post_form: Callable[..., Any],
    change: dict[str, str],
    field: str,
    message: str,
) -> None:
    with app.app_context():
        rules_before = len(db.session.scalars(select(RoutingRule)).all())
    response = post_form("/admin/rules/new", rule_form(app, **change))
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error">.*{re.escape(message)}', response.get_data(as_text=True))
    with app.app_context():
        assert len(db.session.scalars(select(RoutingRule)).all()) == rules_before


def test_the_rules_page_counts_tickets_moved_away(
    app: Flask, client: FlaskClient, admin: None, english: None, make_ticket: Callable[..., int]
) -> None:
    category = id_of(app, Category, code="GTDB")
    with app.app_context():
        rule_id = db.session.scalar(select(RoutingRule.id).where(RoutingRule.category_id == category))
        intake = db.session.scalars(select(User).where(User.email == "intake@example.org")).one()
        *kept, moved, _waiting = (make_ticket("GTDB", title=f"Ổ gà số {n}") for n in range(6))
        for ticket_id in kept:
            accept_ticket(intake, ticket_id, id_of(app, Department, code="SXD"))
        accept_ticket(intake, moved, id_of(app, Department, code="SNNMT"))

    def row() -> str:
        page = client.get("/admin/rules").get_data(as_text=True)
        return re.search(rf'<tr data-rule="{rule_id}">(.*?)</tr>', page, re.S).group(1)

    # Only accepted tickets count: the one still waiting for intake does not. One in five
    # moved away is the share from which a rule is flagged.
    assert re.search(r'data-testid="routed">5<', row())
    assert re.search(r'data-testid="moved">1 \(20.0%\)', row())
    assert "check this rule" in row()
    # An untouched rule has nothing to check.
    other = re.search(r'<tr data-rule="(\d+)">(.*?)</tr>', client.get("/admin/rules").get_data(as_text=True), re.S)
    assert other.group(1) == str(rule_id) or "check this rule" not in other.group(2)
    assert 'data-testid="rule-figures"' in client.get(f"/admin/rules/{rule_id}").get_data(as_text=True)


# --- Try it ---------------------------------------------------------------------------------


def moment(value: datetime) -> str:
    return value.astimezone(TIMEZONE).strftime("%d/%m/%Y %H:%M")


def test_try_shows_the_rule_and_deadlines_the_engine_gives(
    app: Flask, client: FlaskClient, login: Callable[[str], Any], english: None
) -> None:
    login("intake@example.org")
    category, area = id_of(app, Category, code="CTN"), id_of(app, Area, name="Phường Nha Trang")
    with app.app_context():
        rule_id = db.session.scalar(
            select(RoutingRule.id).where(RoutingRule.category_id == category, RoutingRule.area_id == area)
        )
    # Late in the evening, so that reading the time as UTC would give the next day.
    submitted = datetime(2026, 3, 9, 23, 30, tzinfo=TIMEZONE)
    response = client.get(f"/admin/try?category={category}&area={area}&text=&submitted_at=2026-03-09T23:30")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    department = re.search(r'data-testid="department">([^<]+)<', page).group(1)
    with app.app_context():
        assert department == escape(
            db.session.scalars(select(Department).where(Department.code == "UBNDXA")).one().name_en
        )
    reason = re.search(r'data-testid="routing-reason">(.*?)</dd>', page, re.S).group(1)
    assert f"Rule {rule_id}: Water supply, drainage and flooding in Phường Nha Trang → {department}" in reason
    assert "keyword" not in reason

    calendar, policy = WorkingCalendar(), DeadlinePolicy()
    classify_due = classify_deadline(calendar, submitted, policy)
    assert f'data-testid="classify-due">{moment(classify_due)}' in page
    assert (
        f'data-testid="resolve-soonest">{moment(resolve_deadline(calendar, submitted, Urgency.ORDINARY, policy))}'
        in page
    )
    latest = resolve_deadline(calendar, classify_due, Urgency.ORDINARY, policy)
    assert f'data-testid="resolve-latest">{moment(latest)}' in page
    assert moment(calendar.add_working_days(latest, policy.max_extension_days)) in page
    ladder = re.search(r'data-testid="ladder">(.*?)</table>', page, re.S).group(1)
    for what, who in [
        ("Reminder before the due day", "Department officer"),
        ("Reminder on the due day", "Department officer"),
        ("Escalation to the department head", "Department head"),
        ("Escalation to the leader", "Leader"),
    ]:
        assert re.search(rf"{what}</th>\s*<td>{who}</td>", ladder)
    # What was asked stays in the form, to change one thing and try again.
    assert 'value="2026-03-09T23:30"' in page


def test_try_names_the_keyword_or_says_no_rule_matched(
    app: Flask, client: FlaskClient, admin: None, english: None, post_form: Callable[..., Any]
) -> None:
    assert post_form("/admin/rules/new", rule_form(app)).status_code == 302
    category, area = id_of(app, Category, code="GTDB"), id_of(app, Area, name="Xã Cam Lâm")
    page = client.get(f"/admin/try?category={category}&area={area}&text=Cành+gãy+đè+xe&submitted_at=2026-03-09T10:00")
    reason = re.search(r'data-testid="routing-reason">(.*?)</dd>', page.get_data(as_text=True), re.S).group(1)
    assert (
        "Traffic, roads and bridges in the whole province" in reason
        and "keyword “canh gay” found in the text" in reason
    )

    police = id_of(app, Category, code="ANTT")
    page = client.get(f"/admin/try?category={police}&area={area}&submitted_at=2026-03-09T10:00").get_data(as_text=True)
    assert "No rule matched: sent to intake" in page


def test_try_without_a_query_shows_the_form_set_to_now(client: FlaskClient, admin: None) -> None:
    response = client.get("/admin/try")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="result"' not in page
    today = datetime.now(TIMEZONE).strftime("%Y-%m-%d")
    assert re.search(rf'id="submitted_at"[^>]*value="{today}T\d\d:\d\d"', page)
    assert 'method="get"' in page


def test_try_explains_wrong_input_in_both_languages(app: Flask, client: FlaskClient, admin: None) -> None:
    query = "/admin/try?category=999999&area=&text=abc&submitted_at=09%2F03%2F2026+25%3A00"
    client.get("/language/en?next=/")
    response = client.get(query)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for field, message in [
        ("category", "Choose a subject."),
        ("area", "Choose a commune, ward or special zone."),
        ("submitted_at", "Enter the date and time of submission, for example 02/09/2026 08:30."),
    ]:
        assert re.search(rf'id="{field}-error">.*{re.escape(message)}', page), field
    assert "09/03/2026 25:00" in page and re.search(r">\s*abc</textarea>", page)

    client.get("/language/vi?next=/")
    response = client.get(query)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and '<html lang="vi">' in page
    for field in ("category", "area", "submitted_at"):
        assert f'id="{field}-error"' in page
