"""The public board: what it lists and never lists, search without accents, filters, pages,
following a ticket, and finding a published ticket like the one being written."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from feedback.extensions import db
from feedback.models import Area, Category, Ticket, TicketFollower, User, utcnow
from feedback.services.accounts.citizens import register_citizen
from feedback.services.handling.actions import accept_ticket, reject_ticket, resolve_ticket
from feedback.services.intake.submissions import Submission, submit_ticket
from feedback.services.submitters.board import similar_published

INTAKE = "intake@example.org"
SAMPLES = Path(__file__).parents[2] / "feedback" / "data" / "sample_feedback.jsonl"
DESCRIPTION = "Sự việc kéo dài từ hôm qua, đề nghị cơ quan chức năng kiểm tra."
ITEM = re.compile(r'<li class="board-item">')


@pytest.fixture
def english(client: FlaskClient) -> None:
    client.get("/language/en?next=/")


@pytest.fixture
def file_ticket(app: Flask, database: None) -> Callable[..., str]:
    """Submit a ticket through the service and, unless `accept=False`, accept it as intake
    does; returns its code."""

    def make(
        title: str,
        *,
        accept: bool = True,
        category: str = "GTDB",
        area: str = "Phường Nha Trang",
        description: str = DESCRIPTION,
        kind: str = "feedback",
        submitted_at: datetime | None = None,
        **details: Any,
    ) -> str:
        with app.app_context():
            receipt = submit_ticket(
                Submission(
                    kind=kind,
                    category_id=_id(Category, Category.code == category),
                    area_id=_id(Area, Area.name == area),
                    title=title,
                    description=description,
                    **details,
                ),
                actor=None,
                now=submitted_at,
            )
            if accept:
                accept_ticket(_intake(), receipt.ticket.id, receipt.ticket.department_id)
            return receipt.ticket.code

    return make


def _id(model: Any, condition: Any) -> int:
    found = db.session.scalar(select(model.id).where(condition))
    assert found is not None
    return int(found)


def _intake() -> User:
    return db.session.scalars(select(User).where(User.email == INTAKE)).one()


def _ticket(code: str) -> Ticket:
    return db.session.scalars(select(Ticket).where(Ticket.code == code)).one()


def _text(response: TestResponse) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def answer_ticket(app: Flask, code: str, answer: str) -> None:
    """Resolve as an officer of the department handling it."""
    with app.app_context():
        ticket = _ticket(code)
        officer = db.session.scalars(
            select(User).where(User.department_id == ticket.department_id, User.role == "department_officer")
        ).first()
        assert officer is not None
        resolve_ticket(officer, ticket.id, answer)


def listed(client: FlaskClient, query: str = "") -> str:
    return _text(client.get(f"/board/{query}"))


# --- What is published --------------------------------------------------------------------


@pytest.mark.parametrize("hidden", ["private", "unscreened", "rejected"])
def test_only_accepted_public_tickets_are_on_the_board(
    app: Flask,
    client: FlaskClient,
    post_form: Callable[..., TestResponse],
    file_ticket: Callable[..., str],
    hidden: str,
) -> None:
    shown = file_ticket("Cây xanh đổ chắn lối đi bộ")
    title = "Ống nước vỡ trước nhà số 12"
    code = file_ticket(title, is_public=False) if hidden == "private" else file_ticket(title, accept=False)
    if hidden == "rejected":
        with app.app_context():
            reject_ticket(_intake(), _ticket(code).id, "Không thuộc thẩm quyền giải quyết.")

    page = listed(client)
    assert "Cây xanh đổ chắn lối đi bộ" in page
    assert title not in page and code not in page
    assert title not in listed(client, "?q=ong+nuoc+vo")
    assert client.get(f"/board/{shown}").status_code == 200
    assert client.get(f"/board/{code}").status_code == 404
    follow = post_form(f"/board/{code}/follow", {"email": "a@example.com", "consent": "y"}, page=f"/board/{shown}")
    assert follow.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(TicketFollower.id))) == 0


def test_an_unknown_or_mistyped_code_is_not_found(client: FlaskClient, file_ticket: Callable[..., str]) -> None:
    code = file_ticket("Biển báo giao thông bị che khuất")
    assert client.get(f"/board/{code.lower()}").status_code == 200
    assert client.get("/board/AAAA-AAAA-A").status_code == 404
    assert client.get("/board/not-a-code").status_code == 404


def test_the_page_names_a_submitter_who_agreed_but_never_shows_contact_details(
    client: FlaskClient, file_ticket: Callable[..., str]
) -> None:
    code = file_ticket(
        "Xe chở cát làm rơi vãi trên đường",
        name="Nguyễn Văn An",
        email="an.nguyen@example.com",
        phone="0905123456",
        submitter_type="business",
        business_name="Công ty TNHH Biển Xanh",
        tax_code="4201234567",
    )
    for page in (_text(client.get(f"/board/{code}")), listed(client)):
        for private in ("an.nguyen@example.com", "0905123456", "4201234567"):
            assert private not in page
    page = _text(client.get(f"/board/{code}"))
    assert "Nguyễn Văn An" in page
    assert "Công ty TNHH Biển Xanh" in page


def test_an_anonymous_submitter_is_never_named(client: FlaskClient, file_ticket: Callable[..., str]) -> None:
    code = file_ticket(
        "Bãi xe tự phát trước cổng trường",
        name="Trần Thị Bích",
        email="bich.tran@example.com",
        phone="0914000111",
        submitter_type="business",
        business_name="Hộ kinh doanh Bích Trâm",
        tax_code="4209876543",
        is_anonymous=True,
    )
    for page in (_text(client.get(f"/board/{code}")), listed(client)):
        for private in ("Trần Thị Bích", "Bích Trâm", "bich.tran@example.com", "0914000111", "4209876543"):
            assert private not in page


def test_the_page_shows_the_answer_and_the_public_history(
    app: Flask, client: FlaskClient, english: None, file_ticket: Callable[..., str]
) -> None:
    code = file_ticket("Hố ga mất nắp trên vỉa hè")
    answer = "Đơn vị đã lắp lại nắp hố ga và rào chắn khu vực trong ngày."
    answer_ticket(app, code, answer)

    page = _text(client.get(f"/board/{code}"))
    assert answer in page
    assert re.search(r'data-testid="status">Answered<', page)
    history = re.findall(r'class="timeline-what">([^<]+)<', page)
    assert history[:2] == ["Submitted", "Accepted"] and history[-1] == "Answered"
    # The answer is searched too.
    assert "Hố ga mất nắp trên vỉa hè" in listed(client, "?q=lap+lai+nap")


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


# --- Following ------------------------------------------------------------------------------


def followers(app: Flask) -> list[tuple[str, int | None]]:
    with app.app_context():
        return [(f.email, f.user_id) for f in db.session.scalars(select(TicketFollower))]


def test_following_needs_consent_and_counts_each_address_once(
    app: Flask,
    client: FlaskClient,
    english: None,
    post_form: Callable[..., TestResponse],
    file_ticket: Callable[..., str],
) -> None:
    code = file_ticket("Chó thả rông trong công viên")
    url = f"/board/{code}/follow"
    assert "0 people follow this submission." in _text(client.get(f"/board/{code}"))

    refused = post_form(url, {"email": "lan@example.com"}, page=f"/board/{code}")
    assert refused.status_code == 422
    assert "Tick the box to agree" in refused.get_data(as_text=True)
    refused = post_form(url, {"email": "not-an-email", "consent": "y"}, page=f"/board/{code}")
    assert refused.status_code == 422
    assert "Enter an email address like name@example.com." in refused.get_data(as_text=True)
    assert followers(app) == []

    followed = post_form(url, {"email": "lan@example.com", "consent": "y"}, page=f"/board/{code}")
    assert followed.status_code == 302 and followed.location.endswith(f"/board/{code}")
    page = _text(client.get(f"/board/{code}"))
    assert "You are following this submission." in page
    assert "1 person follows this submission." in page
    assert "lan@example.com" not in page

    again = post_form(url, {"email": " Lan@Example.com ", "consent": "y"}, page=f"/board/{code}")
    assert again.status_code == 302
    assert followers(app) == [("lan@example.com", None)]
    with app.app_context():
        # Followed from the English page: the news of this ticket will be written in English.
        assert db.session.scalars(select(TicketFollower.language)).all() == ["en"]


def test_a_signed_in_citizen_follows_with_the_account_address(
    app: Flask,
    client: FlaskClient,
    english: None,
    login: Callable[..., TestResponse],
    post_form: Callable[..., TestResponse],
    file_ticket: Callable[..., str],
) -> None:
    code = file_ticket("Xe buýt số 4 thường xuyên trễ chuyến")
    earlier = file_ticket("Trạm chờ xe buýt bị dột")
    with app.app_context():
        user_id = register_citizen("minh@example.com", "mat-khau-rat-dai", "Lê Minh").id
    # Before signing in, the same person followed another ticket by typing the address.
    form = {"email": "minh@example.com", "consent": "y"}
    assert post_form(f"/board/{earlier}/follow", form, page=f"/board/{earlier}").status_code == 302
    login("minh@example.com", "mat-khau-rat-dai")

    page = _text(client.get(f"/board/{code}"))
    assert 'type="email"' not in page
    assert "We will write to the email address of your account." in page
    for followed in (code, code, earlier):
        assert post_form(f"/board/{followed}/follow", {"consent": "y"}, page=f"/board/{followed}").status_code == 302
    # One row a ticket, and both now belong to the account.
    assert sorted(followers(app)) == [("minh@example.com", user_id)] * 2


# --- Similar tickets ------------------------------------------------------------------------

# Planted duplicates in the sample data: the first of each group is published, and each later
# one, written differently (without accents, in English, other words), must find it.
DUPLICATE_GROUPS = ("D02", "D06", "D07", "D10")
NOISE_AREAS = ("Phường Tây Nha Trang", "Phường Cam Ranh")


@pytest.fixture
def samples() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def published_samples(file_ticket: Callable[..., str], samples: list[dict[str, Any]]) -> dict[int, str]:
    """Every sample submission of two busy wards published, but the later duplicates: their codes by index."""
    codes = {}
    firsts = {
        group: next(i for i, s in enumerate(samples) if s["duplicate_group"] == group) for group in DUPLICATE_GROUPS
    }
    for index, sample in enumerate(samples):
        group = sample["duplicate_group"]
        if sample["area_hint"] not in NOISE_AREAS or (group and firsts.get(group, index) != index):
            continue
        codes[index] = file_ticket(
            sample["title"],
            category=sample["category_code"],
            area=sample["area_hint"],
            description=sample["description"],
            kind=sample["kind"],
        )
    return codes


def test_similar_published_finds_the_planted_duplicates(
    app: Flask, samples: list[dict[str, Any]], published_samples: dict[int, str]
) -> None:
    with app.app_context():
        for group in DUPLICATE_GROUPS:
            members = [i for i, s in enumerate(samples) if s["duplicate_group"] == group]
            original = published_samples[members[0]]
            for index in members[1:]:
                sample = samples[index]
                found = similar_published(
                    _id(Area, Area.name == sample["area_hint"]),
                    _id(Category, Category.code == sample["category_code"]),
                    sample["title"],
                    sample["description"],
                )
                assert original in [ticket.code for ticket, _score in found], (group, sample["title"])
                scores = [score for _ticket, score in found]
                assert len(found) <= 3 and scores == sorted(scores, reverse=True) and min(scores) >= 0.10


def test_similar_published_leaves_out_what_does_not_match(
    app: Flask, file_ticket: Callable[..., str], samples: list[dict[str, Any]], published_samples: dict[int, str]
) -> None:
    original = next(i for i, s in enumerate(samples) if s["duplicate_group"] == "D02")
    sample = samples[original]
    unscreened = file_ticket(
        sample["title"] + " (gửi lại)",
        description=sample["description"],
        category=sample["category_code"],
        area=sample["area_hint"],
        accept=False,
    )
    with app.app_context():
        own = _ticket(published_samples[original])

        def codes(area: str, category: str, text: tuple[str, str], exclude_id: int | None = None) -> list[str]:
            area_id = _id(Area, Area.name == area)
            category_id = _id(Category, Category.code == category)
            found = similar_published(area_id, category_id, *text, exclude_id=exclude_id)
            return [ticket.code for ticket, _score in found]

        pothole = (sample["title"], sample["description"])
        same = codes(sample["area_hint"], sample["category_code"], pothole)
        assert same[0] == own.code
        assert unscreened not in same
        # The ticket itself is left out when it looks for its own duplicates.
        assert own.code not in codes(sample["area_hint"], sample["category_code"], pothole, exclude_id=own.id)
        # Only the same area counts: the same pothole text elsewhere is another pothole.
        assert own.code not in codes("Phường Cam Ranh", sample["category_code"], pothole)
        # Text about something else finds nothing, even in a busy ward.
        swimming = (
            "Mở thêm lớp dạy bơi miễn phí cho thiếu nhi vào mùa hè",
            "Đề nghị phường phối hợp với nhà văn hóa tổ chức lớp dạy bơi miễn phí để phòng chống đuối nước cho trẻ em.",
        )
        assert codes("Phường Tây Nha Trang", "GDDT", swimming) == []
