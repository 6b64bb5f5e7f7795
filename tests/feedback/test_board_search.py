"""Searching the public board with or without accents, its filters and its pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from feedback.models import Area, Category, utcnow
from tests.feedback.board_tickets import DESCRIPTION, _id, _text, answer_ticket
from tests.feedback.board_tickets import file_ticket as file_ticket

ITEM = re.compile(r'<li class="board-item">')


# --- Search and filters ---------------------------------------------------------------------


def test_search_matches_with_or_without_accents(client: FlaskClient, file_ticket: Callable[..., str]) -> None:
    file_ticket("Đường Lê Thánh Tôn ngập sâu khi mưa", description="Nước ngập tới nửa bánh xe máy.")
    file_ticket("Den chieu sang cong vien tat ca tuan", description="Toi nay cong vien van toi om, nguy hiem.")

    assert_search(client, "duong", found=["Đường Lê Thánh Tôn"], missing=["Den chieu sang"])
    assert_search(client, "đèn", found=["Den chieu sang"], missing=["Đường Lê Thánh Tôn"])
    # Every word must be there, in any case.
    assert_search(client, "NGẬP duong", found=["Đường Lê Thánh Tôn"], missing=["Den chieu sang"])
    assert_search(client, "duong cong vien", found=[], missing=["Đường Lê Thánh Tôn", "Den chieu sang"])
    # Punctuation alone is no search: nothing is filtered out, and nothing breaks.
    assert_search(client, "%_", found=["Đường Lê Thánh Tôn", "Den chieu sang"], missing=[])


def assert_search(client: FlaskClient, query: str, *, found: list[str], missing: list[str]) -> None:
    page = _text(client.get("/board/", query_string={"q": query}))
    for title in found:
        assert title in page, query
    for title in missing:
        assert title not in page, query
    assert len(ITEM.findall(page)) == len(found), query


LIGHTS = "Đèn tín hiệu ngã tư hỏng"
BINS = "Đặt thêm thùng rác ở bãi biển"
PAVEMENT = "Vỉa hè bị đào bới không hoàn trả"
ALL_THREE = [LIGHTS, BINS, PAVEMENT]


@pytest.fixture
def three_tickets(app: Flask, file_ticket: Callable[..., str]) -> dict[str, int]:
    """An accepted feedback, an accepted recommendation elsewhere, an answered feedback; and
    the ids the filters take, by name."""
    file_ticket(LIGHTS, category="GTDB", area="Phường Nha Trang")
    file_ticket(
        BINS,
        category="MTRT",
        area="Phường Bắc Nha Trang",
        kind="recommendation",
        description="Đề nghị đặt thêm thùng rác phân loại dọc bãi biển.",
    )
    answered = file_ticket(PAVEMENT, category="GTDB", area="Phường Nha Trang")
    answer_ticket(app, answered, "Đã yêu cầu đơn vị thi công hoàn trả mặt vỉa hè trong tuần.")
    with app.app_context():
        return {
            "MTRT": _id(Category, Category.code == "MTRT"),
            "Phường Bắc Nha Trang": _id(Area, Area.name == "Phường Bắc Nha Trang"),
            "Tỉnh Khánh Hòa": _id(Area, Area.parent_id.is_(None)),
        }


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        pytest.param({"category": "MTRT"}, [BINS], id="category"),
        pytest.param({"area": "Phường Bắc Nha Trang"}, [BINS], id="area"),
        # The province is the whole tree: every commune and ward under it.
        pytest.param({"area": "Tỉnh Khánh Hòa"}, ALL_THREE, id="province"),
        pytest.param({"kind": "recommendation"}, [BINS], id="kind"),
        pytest.param({"status": "answered"}, [PAVEMENT], id="group-answered"),
        pytest.param({"status": "resolved"}, [PAVEMENT], id="status-resolved"),
        pytest.param({"status": "open"}, [LIGHTS, BINS], id="group-open"),
        pytest.param({"status": "accepted", "kind": "feedback"}, [LIGHTS], id="status-and-kind"),
        pytest.param({"category": "MTRT", "status": "answered"}, [], id="nothing-matches"),
        # Empty values are no filter; values not on offer are ignored, not an error.
        pytest.param({"category": "", "area": "", "status": "", "kind": "", "q": ""}, ALL_THREE, id="empty-values"),
        pytest.param(
            {"category": "abc", "area": "999999", "status": "rejected", "kind": "x"}, ALL_THREE, id="unknown-values"
        ),
        pytest.param({"status": "submitted"}, ALL_THREE, id="unpublished-status"),
        pytest.param({"page": "-1"}, ALL_THREE, id="page-negative"),
        pytest.param({"page": "abc"}, ALL_THREE, id="page-not-a-number"),
        pytest.param({"page": "99999999999999999999"}, ALL_THREE, id="page-huge"),
    ],
)
def test_filters(
    client: FlaskClient, three_tickets: dict[str, int], arguments: dict[str, str], expected: list[str]
) -> None:
    query = {name: three_tickets.get(value, value) for name, value in arguments.items()}
    page = _text(client.get("/board/", query_string=query))
    assert [title for title in ALL_THREE if title in page] == expected
    assert len(ITEM.findall(page)) == len(expected)


def test_the_chosen_filters_stay_selected(client: FlaskClient, three_tickets: dict[str, int]) -> None:
    page = _text(client.get("/board/", query_string={"category": three_tickets["MTRT"], "q": "thùng rác"}))
    assert re.search(rf'<option selected value="{three_tickets["MTRT"]}">', page)
    assert 'value="thùng rác"' in page


# --- Pages ----------------------------------------------------------------------------------


@pytest.fixture
def many_tickets(file_ticket: Callable[..., str]) -> list[str]:
    """23 published feedbacks, one hour apart, the newest last; and one recommendation."""
    start = utcnow() - timedelta(days=3)
    titles = [f"Phản ánh số {n:02d} về lấn chiếm vỉa hè" for n in range(1, 24)]
    for n, title in enumerate(titles):
        file_ticket(title, submitted_at=start + timedelta(hours=n), description=f"{DESCRIPTION} Lần {n}.")
    file_ticket("Kiến nghị trồng thêm cây xanh", kind="recommendation", submitted_at=start)
    return titles


def test_pages_of_twenty_newest_first_keep_the_filters(
    client: FlaskClient, english: None, many_tickets: list[str]
) -> None:
    first = _text(client.get("/board/?kind=feedback"))
    assert "23 submissions found" in first
    assert titles_on(first) == many_tickets[::-1][:20]
    assert re.search(r'<a href="/board/\?page=1&amp;kind=feedback" aria-current="page">', first)
    next_link = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert next_link and next_link.group(1) == "/board/?page=2&amp;kind=feedback"
    assert 'rel="prev"' not in first

    second = _text(client.get("/board/?page=2&kind=feedback"))
    assert titles_on(second) == many_tickets[2::-1]
    assert re.search(r'<a href="/board/\?page=2&amp;kind=feedback" aria-current="page">', second)
    assert 'rel="next"' not in second
    assert "Kiến nghị trồng thêm cây xanh" not in first + second

    # A page past the end shows the last one.
    beyond = _text(client.get("/board/?page=99999&kind=feedback"))
    assert titles_on(beyond) == many_tickets[2::-1]
    assert re.search(r'<a href="/board/\?page=2&amp;kind=feedback" aria-current="page">', beyond)


def titles_on(page: str) -> list[str]:
    return re.findall(r'<h3 class="board-item-title"><a href="[^"]+">([^<]+)</a>', page)


def test_the_list_costs_the_same_queries_for_few_or_many_tickets(
    app: Flask, client: FlaskClient, file_ticket: Callable[..., str]
) -> None:
    file_ticket("Cống thoát nước bốc mùi hôi", category="CTN")
    few = count_queries(client, "/board/")
    for n, (category, area) in enumerate(
        [("MTRT", "Phường Bắc Nha Trang"), ("DIEN", "Phường Cam Ranh"), ("GTDB", "Phường Tây Nha Trang")] * 3
    ):
        file_ticket(f"Phản ánh thứ {n} cần kiểm tra", category=category, area=area)
    many = count_queries(client, "/board/")
    assert many == few


def count_queries(client: FlaskClient, url: str) -> int:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(Engine, "before_cursor_execute", record)
    try:
        _text(client.get(url))
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return len(statements)
