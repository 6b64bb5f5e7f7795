"""The administrators' pages, through HTTP with real forms and CSRF: who may use them, and that
what an administrator saves changes where new submissions go and when they are due."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import (
    Area,
    CalendarException,
    Category,
    DeadlinePolicyRecord,
    Department,
    RoutingRule,
    Ticket,
    User,
)
from feedback.services.accounts.citizens import register_citizen
from feedback.services.deadlines.policies import policy_for
from feedback.services.handling.actions import accept_ticket, resolve_ticket
from feedback.services.statistics.reading import StatFilters, overall
from tests.conftest import id_of
from workflows import TIMEZONE

ADMIN = "admin@example.org"
EDITING_PAGES = (
    "/admin/",
    "/admin/policies",
    "/admin/policies/default",
    "/admin/policies/{category}",
    "/admin/rules",
    "/admin/rules/new",
    "/admin/rules/{rule}",
    "/admin/calendar",
    "/admin/calendar?year=2026",
)
STAFF = ("intake@example.org", "officer.sxd@example.org", "head.sxd@example.org", "leader@example.org", ADMIN)
# A plain working week in 2026: no holiday from Monday 9 to Friday 20 March.
MONDAY = datetime(2026, 3, 9, 10, 0, tzinfo=TIMEZONE)
FRIDAY = datetime(2026, 3, 13, 10, 0, tzinfo=TIMEZONE)
DEFAULT_FIGURES = {
    "classify_days": 2, "urgent_days": 1, "simple_days": 3, "ordinary_days": 10, "complex_days": 20,
    "max_extension_days": 10, "progress_update_every_days": 7, "remind_before_days": 2,
    "escalate_leader_after_days": 3,
}
_titles = count(1)


@dataclass(frozen=True)
class Filed:
    id: int
    classify_day: date


@pytest.fixture
def file_at(app: Flask, make_ticket: Callable[..., int]) -> Callable[..., Filed]:
    """A ticket filed at a chosen moment, so that its deadline can be checked against a known week."""

    def file(when: datetime, category: str = "GTDB") -> Filed:
        # Each title differs: the same text twice within minutes is one ticket.
        ticket_id = make_ticket(category, title=f"Đèn tín hiệu hỏng số {next(_titles)}", now=when)
        return Filed(ticket_id, stored_classify_day(app, ticket_id))

    return file


def classify_day(ticket: Ticket) -> date:
    return ticket.classify_due.astimezone(TIMEZONE).date()


def stored_classify_day(app: Flask, ticket_id: int) -> date:
    with app.app_context():
        return classify_day(db.session.get(Ticket, ticket_id))


def pages(app: Flask) -> list[str]:
    category = id_of(app, Category, code="GTDB")
    rule = id_of(app, RoutingRule, category_id=category)
    return [url.format(category=category, rule=rule) for url in EDITING_PAGES]


# --- Access ---------------------------------------------------------------------------------

def test_every_admin_page_needs_sign_in(app: Flask, client: FlaskClient) -> None:
    for url in [*pages(app), "/admin/try"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


@pytest.mark.parametrize("email", ["officer.sxd@example.org", "leader@example.org", "intake@example.org"])
def test_only_administrators_may_edit(
    app: Flask, client: FlaskClient, login: Callable[[str], Any], post_form: Callable[..., Any], email: str
) -> None:
    login(email)
    for url in pages(app):
        assert client.get(url).status_code == 403, url
    assert client.get("/admin/try").status_code == 200
    assert 'href="/admin/"' not in client.get("/staff/").get_data(as_text=True)
    # A valid CSRF token from a page they may see still changes nothing.
    category = id_of(app, Category, code="GTDB")
    response = post_form(f"/admin/policies/{category}", {**DEFAULT_FIGURES, "classify_days": 9,
                                                         "urgency": "ordinary"}, page="/admin/try")
    assert response.status_code == 403
    response = post_form("/admin/calendar", {"day": "2026-03-10", "kind": "off", "note": "x"}, page="/admin/try")
    assert response.status_code == 403
    with app.app_context():
        assert policy_for(db.session.get(Category, category)).classify_days == 2
        assert db.session.scalars(select(CalendarException)).all() == []


def test_citizens_are_refused(app: Flask, client: FlaskClient, login: Callable[..., Any]) -> None:
    with app.app_context():
        register_citizen("lan@example.org", "mat-khau-dai-1", "Lê Thị Lan")
    login("lan@example.org", "mat-khau-dai-1")
    for url in [*pages(app), "/admin/try"]:
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("email", STAFF)
def test_every_staff_role_may_try(app: Flask, client: FlaskClient, login: Callable[[str], Any], email: str) -> None:
    login(email)
    category, area = id_of(app, Category, code="GTDB"), id_of(app, Area, name="Phường Nha Trang")
    response = client.get(f"/admin/try?category={category}&area={area}&submitted_at=2026-03-09T10:00")
    assert response.status_code == 200
    assert 'data-testid="result"' in response.get_data(as_text=True)


def test_administrators_see_the_menu_item_and_the_index(client: FlaskClient, admin: None, english: None) -> None:
    page = client.get("/admin/").get_data(as_text=True)
    assert '<a href="/admin/">Administration</a>' in page
    for url in ("/admin/policies", "/admin/rules", "/admin/calendar", "/admin/try"):
        assert f'href="{url}"' in page


# --- Deadline policies ----------------------------------------------------------------------

def test_a_category_policy_moves_the_deadlines_of_new_tickets(
    file_at: Callable[..., Filed],
    app: Flask,
    client: FlaskClient,
    admin: None,
    english: None,
    post_form: Callable[..., Any],
) -> None:
    before = file_at(MONDAY)
    assert before.classify_day == date(2026, 3, 11)
    category = id_of(app, Category, code="GTDB")

    response = post_form(f"/admin/policies/{category}", {**DEFAULT_FIGURES, "classify_days": 5, "urgency": "simple"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/policies"
    listing = client.get("/admin/policies").get_data(as_text=True)
    assert "Traffic, roads and bridges” was saved" in listing
    row = re.search(r'<tr data-category="GTDB">(.*?)</tr>', listing, re.S).group(1)
    assert "Own policy" in row and "Simple" in row and '<td class="num">5</td>' in row

    after = file_at(MONDAY)
    assert after.classify_day == date(2026, 3, 16)
    # Another subject keeps the default, and the ticket filed before keeps its date.
    assert file_at(MONDAY, category="MTRT").classify_day == date(2026, 3, 11)
    assert stored_classify_day(app, before.id) == date(2026, 3, 11)
    with app.app_context():
        assert db.session.get(Category, category).urgency == "simple"


def test_the_default_policy_applies_to_subjects_without_their_own(
    file_at: Callable[..., Filed], app: Flask, admin: None, post_form: Callable[..., Any]
) -> None:
    response = post_form("/admin/policies/default", {**DEFAULT_FIGURES, "classify_days": 3})
    assert response.status_code == 302
    assert file_at(MONDAY, category="MTRT").classify_day == date(2026, 3, 12)


@pytest.mark.parametrize(
    "change",
    [
        {"classify_days": "0"},
        {"classify_days": "61"},
        {"urgent_days": "abc"},
        {"complex_days": ""},
        {"max_extension_days": "-1"},
        {"remind_before_days": "2.5"},
    ],
)
def test_an_impossible_figure_is_refused_and_the_policy_kept(
    app: Flask, client: FlaskClient, admin: None, english: None, post_form: Callable[..., Any], change: dict[str, str]
) -> None:
    category = id_of(app, Category, code="GTDB")
    response = post_form(f"/admin/policies/{category}", {**DEFAULT_FIGURES, "urgency": "ordinary", **change})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    name = next(iter(change))
    low = 0 if name == "max_extension_days" else 1
    # One message, at the field, and what was typed is kept.
    assert page.count(f'id="{name}-error"') == 1
    assert f"Enter a whole number of working days from {low} to 60." in page
    assert f'value="{change[name]}"' in page
    with app.app_context():
        assert (
            db.session.scalars(select(DeadlinePolicyRecord).where(DeadlinePolicyRecord.category_id == category)).first()
            is None
        )


def test_no_extension_is_a_valid_policy(app: Flask, admin: None, post_form: Callable[..., Any]) -> None:
    response = post_form("/admin/policies/default", {**DEFAULT_FIGURES, "max_extension_days": 0})
    assert response.status_code == 302
    with app.app_context():
        assert policy_for(None).max_extension_days == 0


def test_a_policy_the_engine_refuses_is_a_form_error(
    app: Flask, admin: None, english: None, post_form: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The form's ranges keep out every value the engine refuses today; the engine may grow
    # rules of its own, and its refusal must reach the page rather than a 500.
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise ValueError("invalid_policy_days")

    monkeypatch.setattr("feedback.views.admin.engine.save_policy", refuse)
    response = post_form("/admin/policies/default", DEFAULT_FIGURES)
    assert response.status_code == 422
    assert "These figures make a policy the engine cannot use." in response.get_data(as_text=True)


def test_use_the_default_policy_removes_the_override(
    file_at: Callable[..., Filed], app: Flask, client: FlaskClient, admin: None, post_form: Callable[..., Any]
) -> None:
    category = id_of(app, Category, code="GTDB")
    url = f"/admin/policies/{category}"
    assert 'action="/admin/policies/' not in client.get(url).get_data(as_text=True)
    assert post_form(url, {**DEFAULT_FIGURES, "classify_days": 5, "urgency": "ordinary"}).status_code == 302
    assert f'action="{url}/use-default"' in client.get(url).get_data(as_text=True)

    response = post_form(f"{url}/use-default", {}, page=url)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/policies"
    with app.app_context():
        assert (
            db.session.scalars(select(DeadlinePolicyRecord).where(DeadlinePolicyRecord.category_id == category)).first()
            is None
        )
    assert file_at(MONDAY).classify_day == date(2026, 3, 11)


# --- Working calendar -----------------------------------------------------------------------


def add_exception(post_form: Callable[..., Any], day: str, kind: str, note: str = "Quyết định của UBND tỉnh") -> Any:
    return post_form("/admin/calendar?year=2026", {"day": day, "kind": kind, "note": note})


def test_an_extra_day_off_pushes_new_deadlines(
    file_at: Callable[..., Filed],
    app: Flask,
    client: FlaskClient,
    admin: None,
    english: None,
    post_form: Callable[..., Any],
) -> None:
    before = file_at(MONDAY)
    response = add_exception(post_form, "2026-03-10", "off", "Nghỉ bù theo quyết định")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/calendar?year=2026"
    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    row = re.search(r'<tr data-day="2026-03-10">(.*?)</tr>', page, re.S).group(1)
    assert "10/03/2026" in row and "Extra day off" in row and "Nghỉ bù theo quyết định" in row

    assert file_at(MONDAY).classify_day == date(2026, 3, 12)
    assert stored_classify_day(app, before.id) == date(2026, 3, 11)


def test_a_calendar_change_counts_handling_times_again(
    app: Flask,
    admin: None,
    post_form: Callable[..., Any],
    make_ticket: Callable[..., int],
    run_worker: Callable[[], bool],
) -> None:
    ticket_id = make_ticket("GTDB", now=MONDAY)
    with app.app_context():
        intake = db.session.scalars(select(User).where(User.email == "intake@example.org")).one()
        officer = db.session.scalars(select(User).where(User.email == "officer.sxd@example.org")).one()
        sxd = db.session.scalars(select(Department.id).where(Department.code == "SXD")).one()
        accept_ticket(intake, ticket_id, sxd, now=MONDAY + timedelta(hours=1))
        resolve_ticket(officer, ticket_id, "Đã sửa xong.", now=MONDAY + timedelta(days=3))
    march = StatFilters(first=date(2026, 3, 1), last=date(2026, 3, 1))

    def handling_days() -> int | None:
        run_worker()
        with app.app_context():
            return overall(march).median_days

    # Answered on Thursday the 12th: Tuesday, Wednesday and Thursday are working days.
    assert handling_days() == 3
    assert add_exception(post_form, "2026-03-10", "off").status_code == 302
    assert handling_days() == 2


def test_a_make_up_saturday_pulls_new_deadlines_in(
    file_at: Callable[..., Filed], app: Flask, admin: None, post_form: Callable[..., Any]
) -> None:
    assert file_at(FRIDAY).classify_day == date(2026, 3, 17)
    assert add_exception(post_form, "14/03/2026", "working").status_code == 302
    assert file_at(FRIDAY).classify_day == date(2026, 3, 16)


def test_a_date_already_listed_is_refused_at_the_field(
    app: Flask, admin: None, english: None, post_form: Callable[..., Any]
) -> None:
    assert add_exception(post_form, "2026-03-10", "off").status_code == 302
    response = add_exception(post_form, "2026-03-10", "working")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="day-error">.*This date is already an exception', page)
    assert 'href="#day"' in page
    with app.app_context():
        assert [e.working for e in db.session.scalars(select(CalendarException))] == [False]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"day": ""}, "day", "Enter the date, for example 02/09/2026."),
        ({"day": "31/02/2026"}, "day", "Enter the date, for example 02/09/2026."),
        ({"day": "1999-12-31"}, "day", "Choose a date from 2000 to 2100."),
        ({"kind": ""}, "kind", "Choose an extra day off or a make-up working day."),
        ({"kind": "holiday"}, "kind", "Choose an extra day off or a make-up working day."),
        ({"note": " "}, "note", "Write a note that says why."),
        ({"note": "x" * 201}, "note", "Keep the note under 200 characters."),
    ],
)
def test_the_exception_form_explains_each_mistake(
    admin: None, english: None, post_form: Callable[..., Any], data: dict[str, str], field: str, message: str
) -> None:
    response = post_form("/admin/calendar?year=2026", {"day": "2026-03-10", "kind": "off", "note": "Ghi chú", **data})
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error">.*{re.escape(message)}', response.get_data(as_text=True))


def test_an_exception_of_another_year_opens_that_year_and_can_be_removed(
    app: Flask, client: FlaskClient, admin: None, post_form: Callable[..., Any]
) -> None:
    response = add_exception(post_form, "2027-01-04", "off")
    assert response.headers["Location"] == "/admin/calendar?year=2027"
    assert 'data-day="2027-01-04"' not in client.get("/admin/calendar?year=2026").get_data(as_text=True)
    page = client.get("/admin/calendar?year=2027").get_data(as_text=True)
    action = re.search(r'action="(/admin/calendar/\d+/remove\?year=2027)"', page).group(1)
    assert post_form(action, {}, page="/admin/calendar?year=2027").headers["Location"] == "/admin/calendar?year=2027"
    with app.app_context():
        assert db.session.scalars(select(CalendarException)).all() == []


def test_the_calendar_shows_the_package_holidays_in_the_page_language(client: FlaskClient, admin: None) -> None:
    page = client.get("/admin/calendar?year=2025").get_data(as_text=True)
    assert "Giỗ Tổ Hùng Vương" in page and "07/04/2025" in page
    # The Saturday worked in exchange for 2 May 2025, and no make-up day of another year.
    assert "26/04/2025" in page and "05/01/2019" not in page
    client.get("/language/en?next=/")
    assert escape("Hung Kings' Commemoration Day") in client.get("/admin/calendar?year=2025").get_data(as_text=True)
    this_year = datetime.now(TIMEZONE).year
    assert f"{this_year}" in client.get("/admin/calendar").get_data(as_text=True)
    for year in ("1999", "2101", "abc", "-1"):
        assert client.get(f"/admin/calendar?year={year}").status_code == 404
