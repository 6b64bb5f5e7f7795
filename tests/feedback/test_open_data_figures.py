"""The public statistics page shows what the worker compiled, its filters explain their errors, the files agree."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext

from feedback.models import utcnow
from feedback.services.statistics.reading import INDICATORS, add_months, month_start
from tests.feedback.open_data_tickets import _code, _text, csv_rows
from tests.feedback.open_data_tickets import file_ticket as file_ticket
from workflows import local_date
from workflows.indicators import COUNTERS


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
