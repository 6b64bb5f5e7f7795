"""The public statistics page and its open data, through HTTP without signing in: the figures
the worker compiled, the filters and their errors in both languages, downloads that agree with
the page, published tickets without anyone's personal data, and streaming in keyset pages."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from feedback.extensions import db
from feedback.models import Area, Category, Ticket, User, utcnow
from feedback.services.handling.actions import accept_ticket, reject_ticket, resolve_ticket
from feedback.services.intake.attachments import CleanFile
from feedback.services.intake.submissions import Submission, submit_ticket
from feedback.services.statistics import open_data
from feedback.services.statistics.reading import INDICATORS, add_months, month_start
from feedback.services.submitters.responses import rate_ticket
from workflows import local_date
from workflows.indicators import COUNTERS

INTAKE = "intake@example.org"
DESCRIPTION = "Sự việc kéo dài từ hôm qua, đề nghị cơ quan chức năng kiểm tra."


# --- Helpers ---------------------------------------------------------------------------------


@pytest.fixture
def file_ticket(app: Flask, database: None) -> Callable[..., int]:
    """Submit a ticket through the service and take it as far as asked: accepted, answered,
    rated. Returns its id."""

    def make(
        title: str,
        *,
        category: str = "GTDB",
        at: datetime | None = None,
        accept: bool = True,
        answer: str | None = None,
        late: bool = False,
        rating: str | None = None,
        comment: str = "",
        **details: Any,
    ) -> int:
        at = at or utcnow() - timedelta(hours=6)
        with app.app_context():
            ticket = submit_ticket(
                Submission(
                    kind=details.pop("kind", "feedback"),
                    category_id=db.session.scalar(select(Category.id).where(Category.code == category)),
                    area_id=db.session.scalar(select(Area.id).where(Area.name == "Phường Nha Trang")),
                    title=title,
                    description=details.pop("description", f"{DESCRIPTION} ({title})"),
                    **details,
                ),
                actor=None,
                now=at,
            ).ticket
            if accept:
                accept_ticket(_user(INTAKE), ticket.id, ticket.department_id, now=at + timedelta(minutes=30))
            if answer is not None:
                answered = ticket.resolve_due + timedelta(days=1) if late else at + timedelta(hours=1)
                resolve_ticket(_officer(ticket), ticket.id, answer, now=answered)
            if rating is not None:
                rate_ticket(ticket, rating, comment, now=ticket.resolved_at + timedelta(minutes=5))
            return ticket.id

    return make


def _user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def _officer(ticket: Ticket) -> User:
    return db.session.scalars(
        select(User).where(User.department_id == ticket.department_id, User.role == "department_officer")
    ).first()


def _code(app: Flask, ticket_id: int) -> str:
    with app.app_context():
        return db.session.get(Ticket, ticket_id).code


def _text(response: TestResponse, status: int = 200) -> str:
    assert response.status_code == status, response.status_code
    return response.get_data(as_text=True)


class Tables(HTMLParser):
    """The indicator tables of a page: {caption: {row key: {indicator: shown text}}}; for a rate,
    the figure only (not the marks beside it, nor the words for screen readers)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, dict[str, str]]] = {}
        self._caption: str | None = None
        self._in_caption = False
        self._row: str | None = None
        self._cell: str | None = None
        self._hidden = 0
        self._text = ""
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "caption":
            self._in_caption, self._caption = True, ""
        elif tag == "tr" and attributes.get("data-key"):
            self._row = attributes["data-key"]
        elif tag == "td" and attributes.get("data-indicator") and self._row:
            self._cell, self._text = attributes["data-indicator"], ""
        elif tag == "span" and self._cell and (
            "visually-hidden" in (attributes.get("class") or "") or attributes.get("aria-hidden") or self._hidden
        ):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
            self.tables[self._caption or ""] = {}
        elif tag == "span" and self._hidden:
            self._hidden -= 1
        elif tag == "td" and self._cell:
            self.tables[self._caption or ""].setdefault(self._row or "", {})[self._cell] = " ".join(self._text.split())
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self._caption = (self._caption or "") + data.strip()
        elif self._cell and not self._hidden:
            self._text += data

    def table(self, starts: str) -> dict[str, dict[str, str]]:
        """The rows of the tables whose caption starts so, their columns put together."""
        found = [rows for caption, rows in self.tables.items() if caption.startswith(starts)]
        assert found, list(self.tables)
        merged: dict[str, dict[str, str]] = {}
        for rows in found:
            for key, cells in rows.items():
                merged.setdefault(key, {}).update(cells)
        return merged


def shown(indicator_key: str, value: int | float | None) -> str:
    """A file's value as the English page shows it."""
    form = next(i.form for i in INDICATORS if i.key == indicator_key)
    if value is None:
        return "—"
    if form == "rate":
        return f"{value * 100:.1f}%"
    if form == "ratio":
        return f"{value:.2f}"
    return f"{value}+" if form == "days" and value >= 60 else str(value)


def csv_rows(response: TestResponse) -> list[dict[str, str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def this_month() -> str:
    return month_start(local_date(utcnow())).strftime("%Y-%m")


# --- The page --------------------------------------------------------------------------------


def test_the_page_shows_what_the_worker_compiled(
    app: Flask, client: FlaskClient, english: None, file_ticket: Callable[..., int], run_worker: Callable[[], bool]
) -> None:
    file_ticket("Ổ gà trên đường Trần Phú", answer="Đã vá.", rating="satisfied")
    file_ticket("Đèn giao thông hỏng ở ngã tư", answer="Đã sửa.", rating="not_satisfied")
    file_ticket("Cầu Xóm Bóng có vết nứt", at=utcnow() - timedelta(days=40), answer="Đã kiểm tra.", late=True)
    file_ticket("Rác thải đổ trộm bên bờ sông", category="MTRT")

    page = _text(client.get("/statistics"))
    assert "The statistics have not been compiled yet." in page
    assert Tables(page).table("Per department") == {}

    assert run_worker()
    page = _text(client.get("/statistics"))
    assert 'href="/statistics"' in page, "the site navigation links to the page"
    assert "Compiled " in page
    tables = Tables(page)
    construction = tables.table("Per department")["SXD"]
    assert {k: construction[k] for k in ("received", "accepted", "resolved", "backlog", "rated")} == {
        "received": "3", "accepted": "3", "resolved": "3", "backlog": "0", "rated": "2",
    }
    # One of two rated answers satisfied; two of three answers on time.
    assert construction["satisfaction_rate"] == "50.0%"
    assert construction["on_time_rate"] == "66.7%"
    assert construction["satisfaction_rate_national"] == "33.3%"
    assert tables.table("Per department")["SNNMT"]["backlog"] == "1"
    assert tables.table("Per subject")["GTDB"]["received"] == "3"
    assert tables.table("Per subject")["total"]["received"] == "4"
    assert 'data-chart="months-volume"' in page and 'data-chart="months-rates"' in page
    # The headline states the rates against the target in words.
    assert "Below the province's target of more than 90.0%." in page
    assert "How each figure is computed" in page
    for link in ("indicators.csv", "indicators.json", "published-tickets.csv", "published-tickets.json"):
        assert f"/statistics/{link}?first=" in page


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("first=2026-13&last=2026-02", "first", "Enter a month as year and month, like 2026-03."),
        ("first=2026-05&last=2026-02", "last", "The last month must not come before the first."),
        ("first=2022-01&last=2026-02", "last", "Choose at most %(months)d months."),
        ("channel=pigeon", "channel", "Choose a channel from the list."),
    ],
)
def test_wrong_filters_are_explained_in_the_visitors_language(
    app: Flask, client: FlaskClient, language: str, query: str, field: str, message: str
) -> None:
    client.get(f"/language/{language}?next=/")
    page = _text(client.get(f"/statistics?{query}"))
    with app.test_request_context(), force_locale(language):
        expected = gettext(message, months=36) if "%(months)d" in message else gettext(message)
        default = gettext("Figures for %(period)s", period=gettext(
            "%(first)s to %(last)s",
            first=add_months(month_start(local_date(utcnow())), -11).strftime("%m/%Y"),
            last=month_start(local_date(utcnow())).strftime("%m/%Y"),
        ))
    assert f'<html lang="{language}">' in page
    assert 'class="error-summary"' in page and f'href="#{field}"' in page
    error = re.search(rf'id="{field}-error">(.*?)</p>', page, re.S)
    assert error and expected in error.group(1)
    assert 'aria-invalid="true"' in page
    # The figures shown meanwhile are the last twelve months', and say so.
    assert default in page
    # The file links offer what is shown, never the wrong period.
    assert "2026-13" not in page.split('data-testid="downloads"')[1]


def test_the_channel_and_type_filters_narrow_the_figures(
    app: Flask,
    client: FlaskClient, english: None, file_ticket: Callable[..., int], run_worker: Callable[[], bool]
) -> None:
    hotline = file_ticket("Vỉa hè bị lấn chiếm trước chợ", channel="hotline")
    file_ticket("Đề xuất thêm làn xe đạp", kind="recommendation")
    file_ticket("Cống thoát nước bị tắc")
    run_worker()
    month = this_month()

    def received(query: str) -> str:
        page = _text(client.get(f"/statistics?first={month}&last={month}&{query}"))
        return Tables(page).table("Per department").get("total", {}).get("received", "none")

    assert received("") == "3"
    assert received("channel=hotline") == "1"
    assert received("kind=recommendation") == "1"
    assert received("channel=hotline&kind=recommendation") == "none"
    data = client.get("/statistics/published-tickets.json?channel=hotline").get_json()["data"]
    assert [(item["code"], item["channel"]) for item in data] == [(_code(app, hotline), "hotline")]
    data = client.get("/statistics/indicators.json?kind=recommendation").get_json()["data"]
    assert data[0]["kind"] == "recommendation" and data[0]["received"] == 1


# --- The aggregates --------------------------------------------------------------------------


def test_the_aggregate_files_hold_the_pages_figures(
    app: Flask, client: FlaskClient, english: None, file_ticket: Callable[..., int], run_worker: Callable[[], bool]
) -> None:
    earlier = utcnow() - timedelta(days=40)
    file_ticket("Ổ gà trên đường 23/10", at=earlier, answer="Đã vá.", rating="acceptable")
    file_ticket("Cây đổ chắn đường Lê Thánh Tôn", at=earlier, answer="Đã dọn.", late=True)
    file_ticket("Nước thải tràn ra đường", at=earlier, category="MTRT")
    file_ticket("Đèn đường tắt cả tuần", answer="Đã thay bóng.", rating="not_satisfied")
    file_ticket("Khói bụi từ nhà máy", category="MTRT", answer="Đã kiểm tra.", rating="satisfied")
    file_ticket("Đường ngập sau mưa", category="CTN")
    # Still open from before the period: open work the period starts with.
    file_ticket("Hố ga mất nắp từ mùa hè", at=utcnow() - timedelta(days=120))
    run_worker()
    last = month_start(local_date(utcnow()))
    query = f"first={add_months(last, -2).strftime('%Y-%m')}&last={last.strftime('%Y-%m')}"

    tables = Tables(_text(client.get(f"/statistics?{query}")))
    response = client.get(f"/statistics/indicators.csv?{query}")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="indicators_{add_months(last, -2).strftime("%Y-%m")}_{last.strftime("%Y-%m")}.csv"'
    )
    assert re.fullmatch(r"public, max-age=\d+", response.headers["Cache-Control"])
    # A shared cache may keep it: it sets no cookie.
    assert "Set-Cookie" not in response.headers
    rows = csv_rows(response)
    document = client.get(f"/statistics/indicators.json?{query}").get_json()
    assert document["meta"]["columns"] == list(rows[0])
    assert document["meta"]["period_start"] == add_months(last, -2).isoformat()
    assert [{k: "" if v is None else str(v) for k, v in item.items()} for item in document["data"]] == rows

    whole = f"{add_months(last, -2).strftime('%Y-%m')}/{last.strftime('%Y-%m')}"
    totals = {(r["department_code"], r["category_code"]): r for r in document["data"] if r["period"] == whole}
    expected = {
        "Per department": {d: r for (d, c), r in totals.items() if d and not c} | {"total": totals[("", "")]},
        "Per subject": {c: r for (d, c), r in totals.items() if c and not d} | {"total": totals[("", "")]},
    }
    assert {"SXD", "SNNMT"} <= set(expected["Per department"])
    assert {"GTDB", "MTRT", "CTN"} <= set(expected["Per subject"])
    for caption, file_rows in expected.items():
        page_rows = tables.table(caption)
        assert set(page_rows) == set(file_rows)
        for key, record in file_rows.items():
            assert page_rows[key] == {i.key: shown(i.key, record[i.key]) for i in INDICATORS}, (caption, key)
    assert totals[("", "")]["received"] == 6 and totals[("SXD", "")]["satisfaction_rate"] == 0.5
    assert totals[("SXD", "")]["department_name_en"] == "Department of Construction"
    assert totals[("", "GTDB")]["category_name_vi"]

    assert totals[("SXD", "GTDB")]["backlog"] == 1 and totals[("SXD", "GTDB")]["overdue"] == 1

    # Per department and subject, the figures add up to the department's and subject's, which
    # the page reads another way.
    pairs = [r for (d, c), r in totals.items() if d and c]
    for department, category in totals:
        if department and category:
            continue
        own = [r for r in pairs if department in ("", r["department_code"]) and category in ("", r["category_code"])]
        for counter in COUNTERS:
            expected = totals[(department, category)][counter]
            assert sum(r[counter] for r in own) == expected, (department, category, counter)

    # Month by month per department and subject: the flows add up to the period's, and the
    # open work at the period's end is the last month's.
    months = [r for r in document["data"] if "/" not in r["period"]]
    assert {(r["period"], r["department_code"], r["category_code"]) for r in months} >= {
        (last.strftime("%Y-%m"), "SNNMT", "MTRT"),
        (last.strftime("%Y-%m"), "SXD", "GTDB"),
    }
    for (department, category), record in totals.items():
        if department and category:
            own = [r for r in months if (r["department_code"], r["category_code"]) == (department, category)]
            assert sum(r["received"] for r in own) == record["received"]
            assert sum(r["resolved"] for r in own) == record["resolved"]
            assert max(own, key=lambda r: r["period"])["backlog"] == record["backlog"]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["period_end"]) for r in months)


def test_a_download_with_wrong_filters_shows_the_errors(client: FlaskClient, english: None) -> None:
    page = _text(client.get("/statistics/indicators.csv?first=2026-13"), 400)
    assert "Enter a month as year and month, like 2026-03." in page
    assert client.get("/statistics/people.csv").status_code == 404


# --- The published tickets -------------------------------------------------------------------


PERSONAL = {
    "name": "Nguyễn Thị Bí Mật",
    "email": "bi.mat.rieng@example.org",
    "phone": "0905 777 313",
    "address": "Số 99 hẻm Riêng Tư",
    "business_name": "Công ty TNHH Kín Đáo",
    "tax_code": "4201999888",
}


def test_published_tickets_carry_no_personal_data(
    app: Flask, client: FlaskClient, file_ticket: Callable[..., int], run_worker: Callable[[], bool]
) -> None:
    secrets_written = {
        **PERSONAL,
        "description": "Mô tả có chi tiết đời tư: con tôi học lớp 3A",
        "comment": "Cảm ơn anh Phúc ở phường",
        "file": "cmnd-mat-truoc-riengtu.jpg",
        "anonymous name": "Lê Văn Giấu Tên",
        "anonymous email": "giau.ten@example.org",
        "private title": "Tranh chấp đất với nhà hàng xóm",
        "unaccepted title": "Chưa duyệt: ống nước rò rỉ",
        "rejected title": "Bị từ chối: quảng cáo",
    }
    shown_id = file_ticket(
        "Ổ gà lớn trên đường Trần Phú",
        answer="Sở Xây dựng đã vá ổ gà ngày 20/11.",
        rating="satisfied",
        comment=secrets_written["comment"],
        description=secrets_written["description"],
        submitter_type="business",
        files=(CleanFile(secrets_written["file"], "image/jpeg", ".jpg", b"\xff\xd8\xff"),),
        **PERSONAL,
    )
    anonymous_id = file_ticket(
        "Đèn đường hỏng cả dãy phố",
        is_anonymous=True,
        name=secrets_written["anonymous name"],
        email=secrets_written["anonymous email"],
        phone="0912 000 111",
    )
    file_ticket(secrets_written["private title"], is_public=False, answer="Đã hòa giải.", **PERSONAL)
    file_ticket(secrets_written["unaccepted title"], accept=False)
    rejected_id = file_ticket(secrets_written["rejected title"], accept=False)
    with app.app_context():
        reject_ticket(_user(INTAKE), rejected_id, "Không thuộc thẩm quyền.")
    old_id = file_ticket("Vỉa hè xuống cấp từ năm ngoái", at=utcnow() - timedelta(days=400))
    run_worker()

    csv_body = _text(client.get("/statistics/published-tickets.csv"))
    json_body = _text(client.get("/statistics/published-tickets.json"))
    for body in (csv_body, json_body):
        for what, value in secrets_written.items():
            assert value not in body, what
        assert "0912 000 111" not in body and "0912000111" not in body
    document = json.loads(json_body)
    assert [item["code"] for item in document["data"]] == [_code(app, shown_id), _code(app, anonymous_id)]
    assert [row["code"] for row in csv.DictReader(io.StringIO(csv_body.lstrip("\ufeff")))] == [
        _code(app, shown_id),
        _code(app, anonymous_id),
    ]
    item = document["data"][0]
    assert set(item) == set(open_data.TICKET_COLUMNS) == set(document["meta"]["columns"])
    assert item["status"] == "closed" and item["rating"] == "satisfied" and item["on_time"] is True
    assert item["answer"] == "Sở Xây dựng đã vá ổ gà ngày 20/11."
    assert (item["department_code"], item["category_code"], item["area_name"]) == ("SXD", "GTDB", "Phường Nha Trang")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00", item["submitted_at"])
    assert item["submitted_at"] < item["accepted_at"] < item["answered_at"] < item["deadline"]
    assert document["data"][1]["answered_at"] is None and document["data"][1]["on_time"] is None

    # The period is the same filter as the page's: last year's ticket is in last year's file.
    with app.app_context():
        received = local_date(db.session.get(Ticket, old_id).submitted_at).strftime("%Y-%m")
    response = client.get(f"/statistics/published-tickets.json?first={received}&last={received}")
    assert [item["code"] for item in response.get_json()["data"]] == [_code(app, old_id)]
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="published-tickets_{received}_{received}.json"'
    )


def test_a_spreadsheet_does_not_run_a_title_as_a_formula(client: FlaskClient, file_ticket: Callable[..., int]) -> None:
    file_ticket('=HYPERLINK("http://example.org","Bấm vào đây")')
    rows = csv_rows(client.get("/statistics/published-tickets.csv"))
    assert rows[0]["title"] == '\'=HYPERLINK("http://example.org","Bấm vào đây")'
    data = client.get("/statistics/published-tickets.json").get_json()["data"]
    assert data[0]["title"] == '=HYPERLINK("http://example.org","Bấm vào đây")'


@pytest.mark.parametrize("extension", ["csv", "json"])
def test_published_tickets_stream_page_by_page(
    app: Flask, client: FlaskClient, file_ticket: Callable[..., int], monkeypatch: pytest.MonkeyPatch, extension: str
) -> None:
    ids = [file_ticket(f"Phản ánh số {number} về mặt đường") for number in range(5)]
    monkeypatch.setattr(open_data, "EXPORT_BATCH", 2)
    reads: list[str] = []

    def record(*args: Any) -> None:
        if "FROM ticket" in args[2] and "ORDER BY ticket.id" in args[2]:
            reads.append(args[2])

    event.listen(Engine, "before_cursor_execute", record)
    try:
        response = client.get(f"/statistics/published-tickets.{extension}", buffered=False)
        assert response.is_streamed
        chunks = response.iter_encoded()
        first = next(chunks)
        # The first lines go out before the later pages are read.
        assert len(reads) <= 1
        body = (first + b"".join(chunks)).decode("utf-8-sig")
        response.close()
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert len(reads) == 3, "pages of 2, 2 and 1"
    if extension == "json":
        codes = [item["code"] for item in json.loads(body)["data"]]
    else:
        codes = [row["code"] for row in csv.DictReader(io.StringIO(body))]
    assert codes == [_code(app, ticket_id) for ticket_id in ids]


def test_the_open_data_page_describes_every_column(client: FlaskClient, english: None) -> None:
    page = _text(client.get("/statistics/open-data"))
    for column in (*open_data.AGGREGATE_COLUMNS, *open_data.TICKET_COLUMNS):
        assert f"<code>{column.replace('_', '_<wbr>')}</code>" in page, column
    assert "Free to reuse for any purpose, with attribution" in page
    assert "every minute" in page
