"""The history the leaders' dashboard tests read, as a leader through HTTP: tickets made through the
services with set times, the statistics compiled by the real job in a real worker; and readers of
the pages' tables and figures."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Area, Category, Department, Ticket, User
from feedback.services.handling.actions import accept_ticket, resolve_ticket
from feedback.services.intake.submissions import Submission, submit_ticket
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
