"""Who may see the leaders' dashboard, and its overview: headline figures, league table, sorting, filters."""

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
from feedback.models import Category, Department
from feedback.services.statistics.reading import add_months
from tests.feedback.dashboard_history import Q1, Q1_LINK, History, by_testid, cell, ids_in, page, row, text
from tests.feedback.dashboard_history import history as history


def default_period() -> str:
    this_month = (datetime.now(UTC) + timedelta(hours=7)).date().replace(day=1)
    return f"{add_months(this_month, -11):%m/%Y} – {this_month:%m/%Y}"


# --- Who may see it ---------------------------------------------------------------------------

DASHBOARD_URLS = (
    "/dashboard/",
    "/dashboard/departments/{SXD}",
    "/dashboard/departments/{SXD}/categories/{GTDB}",
    "/dashboard/tickets?department={SXD}",
    "/dashboard/export.csv",
    "/dashboard/departments/{SXD}/export.xlsx",
    "/dashboard/report",
)


def _urls(app: Flask) -> list[str]:
    with app.app_context():
        known = {
            "SXD": db.session.scalar(select(Department.id).where(Department.code == "SXD")),
            "GTDB": db.session.scalar(select(Category.id).where(Category.code == "GTDB")),
        }
    return [url.format(**known) for url in DASHBOARD_URLS]


def test_only_leaders_and_administrators_see_the_dashboard(
    app: Flask, client: FlaskClient, login: Callable[[str], Any], logout: Callable[[], None]
) -> None:
    urls = _urls(app)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for email in ("officer.sxd@example.org", "head.sxd@example.org", "intake@example.org"):
        login(email)
        for url in urls:
            assert client.get(url).status_code == 403, (email, url)
        logout()
    for email in ("leader@example.org", "admin@example.org"):
        login(email)
        for url in urls:
            assert client.get(url).status_code == 200, (email, url)
        logout()


def test_before_the_first_compilation_the_page_says_so(
    client: FlaskClient, make_ticket: Callable[..., int], login: Callable[[str], Any], english: None
) -> None:
    make_ticket("GTDB")
    login("leader@example.org")
    html = page(client, "/dashboard/")
    assert 'data-testid="not-compiled"' in html
    assert "The statistics have not been compiled yet." in text(html)
    assert 'data-testid="league"' not in html and "<svg" not in html


# --- The overview -----------------------------------------------------------------------------


def test_headline_figures_against_the_targets(
    client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    login("leader@example.org")
    html = page(client, f"/dashboard/?{Q1}")
    assert "Figures compiled" in html
    figures = {
        "satisfaction_rate": "66.7%",  # A and E satisfied, B not: (3 - 1) / 3
        "satisfaction_rate_national": "50.0%",  # A and E; B not satisfied, C late: 2 / 4
        "on_time_rate": "60.0%",  # A, B, E on time / (4 answered + D open and overdue)
        "on_time_rate_national": "75.0%",  # 3 on time / 4 answered
    }
    for key, value in figures.items():
        block = by_testid(html, f"headline-{key}")
        assert value in block, (key, block)
        assert "Target not met" in block and "Target: more than 90.0%" in block
    # The quarter before had one answer, on time and unrated.
    assert "Previous period: 100.0%" in by_testid(html, "headline-on_time_rate")
    assert "Previous period: —" in by_testid(html, "headline-satisfaction_rate")
    expected = {
        "received": "6", "resolved": "4", "backlog": "2", "overdue": "1",
        "rating_coverage": "75.0%", "reopen_rate": "0.0%",
    }
    for key, value in expected.items():
        assert by_testid(html, f"headline-{key}").split()[-1] == value, key
    assert re.search(r"\d+ working days", by_testid(html, "headline-median_days"))


def test_target_met_is_said_in_words_in_vietnamese_too(
    client: FlaskClient, history: History, login: Callable[[str], Any]
) -> None:
    login("leader@example.org")
    # March alone: E answered on time and satisfied; G open and not yet due.
    html = page(client, "/dashboard/?first=2026-03&last=2026-03")
    block = by_testid(html, "headline-satisfaction_rate")
    assert "100,0%" in block and "tag-met" in html
    assert '<span class="tag tag-met"><span aria-hidden="true">✓ </span>' in html


def test_league_table_per_department_with_its_total(
    client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    login("leader@example.org")
    html = page(client, f"/dashboard/?{Q1}")
    assert ids_in(html) == ["SXD", "SCT"]
    construction = row(html, "SXD")
    counts = ("received", "resolved", "backlog", "overdue", "rated")
    assert [cell(construction, key) for key in counts] == ["4", "3", "1", "1", "2"]
    assert cell(construction, "on_time_rate").startswith("50.0%")  # A, B / (3 + D)
    assert cell(construction, "satisfaction_rate").startswith("50.0%")
    assert "below target" in cell(construction, "satisfaction_rate")
    industry = row(html, "SCT")
    assert [cell(industry, key) for key in ("received", "resolved", "backlog", "overdue")] == ["2", "1", "1", "0"]
    assert cell(industry, "on_time_rate").startswith("100.0%") and "target met" in cell(industry, "on_time_rate")
    total = row(html, "total")
    assert [cell(total, key) for key in ("received", "resolved", "rated")] == ["6", "4", "3"]
    link = re.search(r'<a href="([^"]+)">Department of Construction</a>', construction).group(1)
    assert link == f"/dashboard/departments/{history.departments['SXD']}?{Q1_LINK}"


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("", ["SXD", "SCT"]),
        ("&sort=received&order=asc", ["SCT", "SXD"]),
        ("&sort=on_time_rate", ["SCT", "SXD"]),
        ("&sort=on_time_rate&order=asc", ["SXD", "SCT"]),
        ("&sort=name", ["SCT", "SXD"]),  # Sở Công Thương before Sở Xây dựng
        ("&sort=name&order=desc", ["SXD", "SCT"]),
        ("&sort=nonsense", ["SXD", "SCT"]),
    ],
)
def test_league_table_sorts_by_any_column(
    client: FlaskClient, history: History, login: Callable[[str], Any], query: str, order: list[str]
) -> None:
    login("leader@example.org")
    assert ids_in(page(client, f"/dashboard/?{Q1}{query}")) == order


def test_sort_links_say_the_order_and_reverse_it(
    client: FlaskClient, history: History, login: Callable[[str], Any]
) -> None:
    login("leader@example.org")
    html = page(client, f"/dashboard/?{Q1}&sort=on_time_rate")
    header = re.search(r'<th scope="col"[^>]*aria-sort="([a-z]+)"[^>]*>\s*<a href="([^"]+)"', html)
    assert header.group(1) == "descending"
    assert "sort=on_time_rate" in header.group(2) and "order=asc" in header.group(2)
    assert html.count("aria-sort=") == 1
    # The order is kept down the drill-down.
    sxd = history.departments["SXD"]
    assert f"/dashboard/departments/{sxd}?{Q1_LINK}&amp;sort=on_time_rate&amp;order=desc" in html


def test_channel_kind_and_period_filters(
    client: FlaskClient, history: History, login: Callable[[str], Any]
) -> None:
    login("leader@example.org")
    hotline = page(client, f"/dashboard/?{Q1}&channel=hotline")
    assert ids_in(hotline) == ["SCT"] and cell(row(hotline, "total"), "received") == "1"
    recommendations = page(client, f"/dashboard/?{Q1}&kind=recommendation")
    assert ids_in(recommendations) == ["SCT"] and cell(row(recommendations, "SCT"), "backlog") == "1"
    assert '<option selected value="recommendation">' in recommendations
    march = page(client, "/dashboard/?first=2026-03&last=2026-03")
    assert cell(row(march, "total"), "received") == "2"
    # Answered in March: C (late) and E; D still open and overdue at the end of March.
    assert cell(row(march, "SXD"), "resolved") == "1" and cell(row(march, "SXD"), "overdue") == "1"
    assert 'value="2026-03"' in march


def test_quick_periods_link_to_whole_months(
    client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    login("leader@example.org")
    html = page(client, "/dashboard/?channel=web")
    quick = r'<li><a href="([^"]+)"[^>]*>(This month|Last month|This quarter|This year|Last year)</a>'
    links = dict(re.findall(quick, html))
    assert len(links) == 5
    today = datetime.now(UTC) + timedelta(hours=7)
    this_month = f"{today:%Y-%m}"
    by_label = {label: href for href, label in links.items()}
    assert f"first={this_month}&amp;last={this_month}" in by_label["This month"]
    assert f"first={today.year - 1}-01&amp;last={today.year - 1}-12" in by_label["Last year"]
    assert f"first={today.year}-01&amp;last={this_month}" in by_label["This year"]
    assert all("channel=web" in href for href in by_label.values())
    # The default is the twelve months up to this one: no quick period but, in December, this year.
    marked = re.findall(r'aria-current="true">([^<]+)</a>', html)
    assert marked == (["This year"] if today.month == 12 else [])
    assert 'aria-current="true"' in page(client, by_label["Last year"].replace("&amp;", "&"))


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("first=2026-13&last=2026-03", "first", "Enter a month as year and month, like 2026-03."),
        ("first=March&last=2026-03", "first", "Enter a month as year and month, like 2026-03."),
        ("first=2026-03&last=2026-01", "last", "The last month must not come before the first."),
        ("first=2020-01&last=2026-03", "last", "Choose at most 36 months."),
    ],
)
def test_wrong_months_are_explained_beside_the_field_and_the_default_shown(
    client: FlaskClient, history: History, login: Callable[[str], Any], english: None,
    query: str, field: str, message: str,
) -> None:
    login("leader@example.org")
    html = page(client, f"/dashboard/?{query}")
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', html, re.S)
    assert error and message in text(error.group(1))
    assert f'href="#{field}"' in html and "There is a problem" in html
    assert re.search(rf'aria-describedby="{field}-hint {field}-error" aria-invalid="true"', html)
    # The figures are those of the last twelve months meanwhile.
    assert f"<p class=\"lead\">Citizen feedback and recommendations, {default_period()}</p>" in html
    assert 'data-testid="league"' in html


def test_wrong_months_in_vietnamese(client: FlaskClient, history: History, login: Callable[[str], Any]) -> None:
    login("leader@example.org")
    html = page(client, "/dashboard/?first=2026-3&last=2026-03")
    assert "Vui lòng kiểm tra lại thông tin" in html
    assert re.search(r'<p class="field-error" id="first-error"><span class="visually-hidden">Lỗi:</span>', html)
    assert 'value="2026-3"' in html
