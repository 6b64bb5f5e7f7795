"""The dashboard's drill-down from department to subject to place, and the tickets behind the figures."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from feedback.extensions import db
from feedback.models import Area
from tests.feedback.dashboard_history import (
    BAC_NHA_TRANG,
    NHA_TRANG,
    Q1,
    Q1_LINK,
    History,
    at,
    by_testid,
    cell,
    ids_in,
    page,
    row,
    text,
)
from tests.feedback.dashboard_history import history as history

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
