"""The leaders' dashboard through HTTP, as a leader: tickets made through the services with
set times, the statistics compiled by the real job in a real worker, then every page read
back: headline, league table and its sorting, the drill-down to the tickets, hotspots,
charts with their tables, exports and the printable report."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Area, Category, Department, Ticket, User
from feedback.services.handling.actions import accept_ticket, resolve_ticket
from feedback.services.intake.submissions import Submission, submit_ticket
from feedback.services.statistics.reading import add_months
from feedback.services.submitters.responses import rate_ticket

Q1 = "first=2026-01&last=2026-03"
# As links on the pages write it.
Q1_LINK = Q1.replace("&", "&amp;")
NHA_TRANG, BAC_NHA_TRANG = "Phường Nha Trang", "Phường Bắc Nha Trang"


def at(day: str, hour: int = 3) -> datetime:
    """A moment on a day, at 10:00 in Nha Trang by default."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@dataclass(frozen=True)
class History:
    codes: dict[str, str]
    ids: dict[str, int]
    departments: dict[str, int]
    categories: dict[str, int]
    areas: dict[str, int]


def _user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


@pytest.fixture
def history(app: Flask, database: None, run_worker: Callable[[], bool]) -> History:
    """Seven tickets, six of them received in the first quarter of 2026:

    A  roads, Nha Trang, January: answered on time, satisfied
    B  roads, Nha Trang, January: answered on time, not satisfied
    C  roads, Bắc Nha Trang, February: answered late (end of March), not rated
    D  water, Bắc Nha Trang, February: accepted, never answered, so overdue
    E  electricity, Nha Trang, March: answered on time, satisfied
    G  electricity, Nha Trang, late March, a recommendation by hotline: accepted, still open
       (in time at the end of March, late by now)
    F  roads, Nha Trang, December 2025: answered on time (the previous quarter)

    Roads and water go to the Department of Construction (SXD), electricity to Industry and
    Trade (SCT)."""
    plan = [
        ("A", "GTDB", NHA_TRANG, "2026-01-05", "2026-01-08", "satisfied"),
        ("B", "GTDB", NHA_TRANG, "2026-01-12", "2026-01-15", "not_satisfied"),
        ("C", "GTDB", BAC_NHA_TRANG, "2026-02-02", "2026-03-30", None),
        ("D", "CTN", BAC_NHA_TRANG, "2026-02-10", None, None),
        ("E", "DIEN", NHA_TRANG, "2026-03-02", "2026-03-05", "satisfied"),
        ("G", "DIEN", NHA_TRANG, "2026-03-25", None, None),
        ("F", "GTDB", NHA_TRANG, "2025-12-01", "2025-12-03", None),
    ]
    with app.app_context():
        categories = {c.code: c.id for c in db.session.scalars(select(Category))}
        places = select(Area).where(Area.name.in_([NHA_TRANG, BAC_NHA_TRANG]))
        areas = {a.name: a.id for a in db.session.scalars(places)}
        departments = {d.code: d.id for d in db.session.scalars(select(Department))}
        intake, codes, ids = _user("intake@example.org"), {}, {}
        for name, category, area, day, answered, rating in plan:
            ticket = submit_ticket(
                Submission(
                    kind="recommendation" if name == "G" else "feedback",
                    channel="hotline" if name == "G" else "web",
                    category_id=categories[category],
                    area_id=areas[area],
                    title=f"Phản ánh {name}: sự cố {category} tại {area}",
                    description=f"Mô tả chi tiết của phản ánh {name}, đề nghị cơ quan chức năng kiểm tra.",
                ),
                actor=None,
                now=at(day),
            ).ticket
            codes[name], ids[name] = ticket.code, ticket.id
            accept_ticket(intake, ticket.id, ticket.department_id, now=at(day) + timedelta(days=1))
            if answered:
                officer = _user(f"officer.{ticket.department.code.lower()}@example.org")
                resolve_ticket(officer, ticket.id, "Đã xử lý xong, cảm ơn ông/bà đã phản ánh.", now=at(answered))
                if rating:
                    rate_ticket(db.session.get_one(Ticket, ticket.id), rating, "", now=at(answered) + timedelta(days=1))
    assert run_worker()
    return History(codes, ids, departments, categories, areas)


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def row(html: str, key: str, testid: str = "league") -> str:
    table = html[html.index(f'data-testid="{testid}"'):]
    table = table[: table.index("</table>")]
    start = table.index(f'data-key="{key}"')
    return table[start : table.index("</tr>", start)]


def cell(row_html: str, indicator: str) -> str:
    match = re.search(rf'data-indicator="{indicator}">(.*?)</td>', row_html, re.S)
    assert match, indicator
    return re.sub(r"<[^>]+>|\s+", " ", match.group(1)).strip()


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def by_testid(html: str, name: str) -> str:
    """The text of the element with this data-testid (up to its first closing </div>)."""
    start = html.index(f'data-testid="{name}"')
    return text(html[html.index(">", start) + 1 : html.index("</div>", start)])


def ids_in(html: str, attribute: str = "data-key", testid_: str = "league") -> list[str]:
    table = html[html.index(f'data-testid="{testid_}"'):]
    table = table[: table.index("</tbody>")]
    return re.findall(rf'{attribute}="([^"]+)"', table)


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


# --- The drill-down ---------------------------------------------------------------------------


def test_drill_down_from_department_to_subject_to_place(
    app: Flask, client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    login("leader@example.org")
    sxd, roads = history.departments["SXD"], history.categories["GTDB"]
    html = page(client, f"/dashboard/departments/{sxd}?{Q1}")
    assert "<h1>Subjects handled by Department of Construction</h1>" in html
    assert ids_in(html) == ["GTDB", "CTN"]
    assert [cell(row(html, "GTDB"), "received"), cell(row(html, "CTN"), "received")] == ["3", "1"]
    assert cell(row(html, "CTN"), "overdue") == "1" and cell(row(html, "total"), "received") == "4"
    assert by_testid(html, "headline-on_time_rate").split()[2] == "50.0%"
    assert f'<a href="/dashboard/?{Q1_LINK}">All departments</a>' in html
    assert '<span aria-current="page">Department of Construction</span>' in html
    link = f'href="/dashboard/tickets?{Q1_LINK}&amp;department={sxd}" data-testid="tickets-link">See all 4 tickets'
    assert link in html
    subject_link = f"/dashboard/departments/{sxd}/categories/{roads}?{Q1_LINK}"
    assert f'<a href="{subject_link}">Traffic, roads and bridges</a>' in html

    html = page(client, subject_link.replace("&amp;", "&"))
    assert ids_in(html) == [f"{code}" for code in _area_codes(app, history, NHA_TRANG, BAC_NHA_TRANG)]
    nha_trang = row(html, _area_codes(app, history, NHA_TRANG)[0])
    assert [cell(nha_trang, key) for key in ("received", "resolved", "rated")] == ["2", "2", "2"]
    assert cell(nha_trang, "satisfaction_rate").startswith("50.0%")
    late = row(html, _area_codes(app, history, BAC_NHA_TRANG)[0])
    assert cell(late, "on_time_rate").startswith("0.0%") and cell(late, "rated") == "0"
    assert f'<a href="/dashboard/departments/{sxd}?{Q1_LINK}">Department of Construction</a>' in html
    tickets_link = (
        f"/dashboard/tickets?{Q1_LINK}&amp;department={sxd}&amp;category={roads}&amp;area={history.areas[NHA_TRANG]}"
    )
    assert f'<a href="{tickets_link}">{NHA_TRANG}</a>' in html


def _area_codes(app: Flask, history: History, *names: str) -> list[str]:
    with app.app_context():
        return [db.session.get_one(Area, history.areas[name]).code for name in names]


def test_ticket_list_shows_only_the_matching_tickets(
    app: Flask, client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    login("leader@example.org")
    sxd, roads, nha_trang = history.departments["SXD"], history.categories["GTDB"], history.areas[NHA_TRANG]
    html = page(client, f"/dashboard/tickets?{Q1}&department={sxd}&category={roads}&area={nha_trang}")
    codes = ids_in(html, "data-code", "tickets")
    # B was received after A; F (December) is outside the period, C and D elsewhere.
    assert codes == [history.codes["B"], history.codes["A"]]
    assert "2 tickets received in this period" in html
    first = html[html.index(f'data-code="{history.codes["A"]}"') :]
    first = first[: first.index("</tr>")]
    assert f'href="/staff/tickets/{history.ids["A"]}"' in first
    assert 'data-timeliness="on_time"' in first and "Satisfied" in first
    assert "05/01/2026 10:00" in first  # received, in Vietnam's time
    assert "Tickets received: Department of Construction, Traffic, roads and bridges, Phường Nha Trang" in html
    assert f'<a href="/dashboard/departments/{sxd}/categories/{roads}?{Q1_LINK}">Traffic, roads and bridges</a>' in html

    html = page(client, f"/dashboard/tickets?{Q1}&department={sxd}")
    assert sorted(ids_in(html, "data-code", "tickets")) == sorted(history.codes[name] for name in "ABCD")
    timeliness = dict(re.findall(r'data-code="([^"]+)".*?data-timeliness="([a-z_]*)"', html, re.S))
    assert timeliness[history.codes["C"]] == "late" and timeliness[history.codes["D"]] == "overdue"

    html = page(client, f"/dashboard/tickets?{Q1}&kind=recommendation")
    assert ids_in(html, "data-code", "tickets") == [history.codes["G"]]
    assert re.search(rf'data-code="{history.codes["G"]}".*?data-timeliness="overdue"', html, re.S)

    # A leader may open any of them.
    assert client.get(f"/staff/tickets/{history.ids['D']}").status_code == 200
    assert client.get("/dashboard/tickets?department=999999").status_code == 404
    assert client.get(f"/dashboard/departments/{sxd}/categories/999999").status_code == 404


def test_ticket_list_pages(
    client: FlaskClient, make_ticket: Callable[..., int], login: Callable[[str], Any], english: None
) -> None:
    for number in range(52):
        when = at("2026-02-02") + timedelta(minutes=number)
        make_ticket("GTDB", title=f"Đèn tín hiệu hỏng ở ngã tư số {number}", now=when)
    login("leader@example.org")
    # The list reads the tickets, so it does not wait for the statistics.
    html = page(client, "/dashboard/tickets?first=2026-02&last=2026-02")
    assert "52 tickets received in this period" in html
    assert len(ids_in(html, "data-code", "tickets")) == 50
    assert 'href="/dashboard/tickets?page=2&amp;first=2026-02&amp;last=2026-02" rel="next"' in html
    second = page(client, "/dashboard/tickets?page=2&first=2026-02&last=2026-02")
    assert len(ids_in(second, "data-code", "tickets")) == 2
    assert "(page 2 of 2)" in second
    beyond = page(client, "/dashboard/tickets?page=99&first=2026-02&last=2026-02")
    assert ids_in(beyond, "data-code", "tickets") == ids_in(second, "data-code", "tickets")


def test_ticket_list_months_are_vietnamese_days(
    client: FlaskClient, make_ticket: Callable[..., int], login: Callable[[str], Any], english: None
) -> None:
    """A ticket sent at 01:00 on 1 April in Nha Trang is still 31 March in UTC: it counts for
    April, as the rollups count it."""
    make_ticket("GTDB", title="Cột đèn đổ sau mưa lớn", now=at("2026-03-31", hour=18))
    login("leader@example.org")
    assert "1 ticket received" in text(page(client, "/dashboard/tickets?first=2026-04&last=2026-04"))
    assert 'data-testid="tickets"' not in page(client, "/dashboard/tickets?first=2026-03&last=2026-03")


# --- Hotspots and charts ----------------------------------------------------------------------


def test_hotspots_rise_against_the_previous_period(
    client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    login("leader@example.org")
    html = page(client, f"/dashboard/?{Q1}")
    areas = html[html.index('data-testid="hot-areas"') :]
    areas = areas[: areas.index("</table>")]
    # Nha Trang: A, B, E, G this quarter against F the quarter before. Bắc Nha Trang has 2: too few.
    assert re.findall(r"<th scope=\"row\"><a [^>]+>([^<]+)</a>", areas) == [NHA_TRANG]
    assert [text(c) for c in re.findall(r'data-column="[a-z]+">(.*?)</td>', areas, re.S)] == ["4", "1", "+3 +300%"]
    assert f"area={history.areas[NHA_TRANG]}" in areas
    subjects = html[html.index('data-testid="hot-categories"') :]
    subjects = subjects[: subjects.index("</table>")]
    assert re.findall(r"<th scope=\"row\"><a [^>]+>([^<]+)</a>", subjects) == ["Traffic, roads and bridges"]
    assert [text(c) for c in re.findall(r'data-column="[a-z]+">(.*?)</td>', subjects, re.S)] == ["3", "1", "+2 +200%"]
    calm = page(client, "/dashboard/?first=2026-03&last=2026-03")
    assert "Nothing rose against the previous period." in calm


def _chart(html: str, chart_id: str) -> str:
    start = html.index(f'<figure class="chart" id="{chart_id}"')
    return html[start : html.index("</figure>", start)]


def _chart_rows(chart: str) -> list[list[str]]:
    body = chart[chart.index("<tbody>") : chart.index("</tbody>")]
    return [
        [text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
        for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_trend_charts_are_accessible_svg_with_their_numbers_in_tables(
    client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    login("leader@example.org")
    html = page(client, f"/dashboard/?{Q1}")
    for chart_id in ("months-volume", "months-rates", "weeks-volume", "weeks-rates"):
        chart = _chart(html, chart_id)
        assert f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc"' in chart
        assert f'<title id="{chart_id}-title">' in chart and f'<desc id="{chart_id}-desc">' in chart
        assert '<details class="chart-data">' in chart and "<table" in chart
        assert 'class="chart-legend"' in chart
    volume = _chart(html, "months-volume")
    rows = _chart_rows(volume)
    assert len(rows) == 12 and rows[0][0] == "04/2025" and rows[-1][0] == "03/2026"
    assert rows[-4:] == [["12/2025", "1", "1"], ["01/2026", "2", "2"], ["02/2026", "2", "0"], ["03/2026", "2", "2"]]
    assert "7 received and 5 answered in all" in volume
    drawing = volume[: volume.index("</svg>")]
    assert drawing.count('class="chart-bar-0"') == 4 and drawing.count('class="chart-bar-1"') == 3
    rates = _chart(html, "months-rates")
    assert _chart_rows(rates)[-3:] == [
        ["01/2026", "50.0%", "100.0%"],
        ["02/2026", "—", "—"],
        ["03/2026", "100.0%", "50.0%"],
    ]
    # The trend's on-time line is answered on time ÷ answered: March's one late answer of two.
    # No rating in February: the satisfaction line stops there rather than joining January to March.
    satisfaction_line = re.search(r'<path d="([^"]+)" class="chart-line-0"/>', rates).group(1)
    assert satisfaction_line.count("M") == 2 and "L" not in satisfaction_line
    assert 'class="chart-target"' in rates and "Target: more than 90.0%" in rates
    assert "In 03/2026: satisfaction rate 100.0%, answered on time 50.0%." in rates
    weeks = _chart_rows(_chart(html, "weeks-volume"))
    assert len(weeks) == 13 and weeks[-1][0] == "Week of 30/03/2026" and weeks[0][0] == "Week of 05/01/2026"
    assert weeks[-5:] == [
        ["Week of 02/03/2026", "1", "1"],
        ["Week of 09/03/2026", "0", "0"],
        ["Week of 16/03/2026", "0", "0"],
        ["Week of 23/03/2026", "1", "0"],
        ["Week of 30/03/2026", "0", "1"],
    ]


# --- Exports and the report -------------------------------------------------------------------


def test_csv_export_of_the_league_table(
    client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    login("leader@example.org")
    html = page(client, f"/dashboard/?{Q1}&sort=name")
    link = re.search(r'href="([^"]+)" data-testid="export-csv"', html).group(1).replace("&amp;", "&")
    assert link == "/dashboard/export.csv?first=2026-01&last=2026-03&sort=name&order=asc"
    response = client.get(link)
    assert response.mimetype == "text/csv"
    assert 'filename="dashboard-2026-01-2026-03.csv"' in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Department", "Code", "Received", "Accepted", "Rejected"]
    assert rows[0][8:12] == [
        "On-time rate",
        "On-time rate (national form)",
        "Satisfaction rate",
        "Satisfaction rate (national form)",
    ]
    # In the order of the page: by name, and Construction comes before Industry in English.
    assert [r[1] for r in rows[1:]] == ["SXD", "SCT", ""]
    header = rows[0]
    construction = dict(zip(header, rows[1], strict=True))
    assert construction["Department"] == "Department of Construction"
    assert (construction["Received"], construction["Answered"], construction["Open and overdue"]) == ("4", "3", "1")
    assert construction["On-time rate"] == "0.5" and construction["Satisfaction rate"] == "0.5"
    assert construction["Transfers per ticket"] == "0.0"
    industry = dict(zip(header, rows[2], strict=True))
    assert industry["Satisfaction rate"] == "1.0" and industry["Reopen rate"] == "0.0"
    total = dict(zip(header, rows[3], strict=True))
    assert total["Department"] == "All" and total["Received"] == "6"
    assert total["On-time rate"] == "0.6" and total["Satisfaction rate"] == "0.6667"


def test_csv_export_in_vietnamese_at_a_drill_level(
    client: FlaskClient, history: History, login: Callable[[str], Any]
) -> None:
    login("leader@example.org")
    sxd = history.departments["SXD"]
    response = client.get(f"/dashboard/departments/{sxd}/export.csv?{Q1}&channel=web")
    assert 'filename="dashboard-2026-01-2026-03-SXD-web.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][2] == "Đã nhận" and "Tỷ lệ hài lòng" in rows[0]
    assert [(r[0], r[1], r[2]) for r in rows[1:-1]] == [
        ("Giao thông, đường bộ, cầu cống", "GTDB", "3"),
        ("Cấp nước, thoát nước, ngập úng", "CTN", "1"),
    ]
    assert rows[-1][1:3] == ["", "4"]


def test_exports_keep_a_name_that_looks_like_a_formula_as_text(
    app: Flask, client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    formula = '=HYPERLINK("http://example.org","Bấm vào đây")'
    with app.app_context():
        db.session.get(Department, history.departments["SXD"]).name_en = formula
        db.session.commit()
    login("leader@example.org")
    rows = list(csv.reader(io.StringIO(client.get(f"/dashboard/export.csv?{Q1}").data.decode("utf-8-sig"))))
    assert "'" + formula in [row[0] for row in rows]
    sheet = load_workbook(io.BytesIO(client.get(f"/dashboard/export.xlsx?{Q1}").data)).active
    [cell] = [row[0] for row in sheet.iter_rows() if row[0].value == formula]
    assert cell.data_type == "s", "a string, not a formula Excel would run"


def test_xlsx_export_reads_back_with_rates_as_percentages(
    client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    login("leader@example.org")
    sxd, roads = history.departments["SXD"], history.categories["GTDB"]
    response = client.get(f"/dashboard/departments/{sxd}/categories/{roads}/export.xlsx?{Q1}")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="dashboard-2026-01-2026-03-SXD-GTDB.xlsx"' in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    header = rows[0]
    assert header[:3] == ["Place", "Code", "Received"] and sheet["A1"].font.b
    assert [r[0] for r in rows[1:]] == [NHA_TRANG, BAC_NHA_TRANG, "All"]
    nha_trang = dict(zip(header, rows[1], strict=True))
    assert nha_trang["Received"] == 2 and nha_trang["Satisfaction rate"] == 0.5
    assert nha_trang["Rating coverage"] == 1 and nha_trang["Median handling time"] is not None
    late = dict(zip(header, rows[2], strict=True))
    # No rated answer: the rate cannot be computed, and the cell is empty.
    assert late["Satisfaction rate"] is None and late["On-time rate"] == 0
    rate_column = header.index("On-time rate") + 1
    assert sheet.cell(row=2, column=rate_column).number_format == "0.0%"
    assert sheet.cell(row=2, column=header.index("Received") + 1).number_format == "General"
    assert sheet.freeze_panes == "C2"


def test_printable_report_for_the_period(
    client: FlaskClient, history: History, login: Callable[[str], Any], english: None
) -> None:
    login("leader@example.org")
    overview = page(client, f"/dashboard/?{Q1}&kind=feedback")
    link = re.search(r'href="([^"]+)">Printable report for this period', overview).group(1).replace("&amp;", "&")
    html = page(client, link)
    assert by_testid(html, "report-scope").startswith("01/2026 – 03/2026 · Feedback")
    assert "Figures compiled" in html
    assert 'data-print hidden>Print</button>' in html and "window.print()" in html
    assert by_testid(html, "headline-received").split()[-1] == "5"
    assert ids_in(html) == ["SXD", "SCT"]
    # G, the recommendation, is left out: one ticket each for electricity and water.
    assert ids_in(html, testid_="per-category") == ["GTDB", "DIEN", "CTN"]
    assert cell(row(html, "total", "per-category"), "received") == "5"
    for chart_id in ("months-volume", "months-rates", "weeks-volume", "weeks-rates"):
        assert f'id="{chart_id}"' in html
    notes = html[html.index('<dl class="report-notes">') :]
    assert "Answered on time ÷ (answered + open and overdue)" in notes[: notes.index("</dl>")]
    # The report is to read and print: no sorting links, no buttons besides Print.
    assert "sort-link" not in html and 'data-testid="export-csv"' not in html
