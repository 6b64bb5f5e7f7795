"""Published tickets as open data: no personal data, no formulas, streamed in keyset pages, columns described."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from feedback.extensions import db
from feedback.models import Ticket, utcnow
from feedback.services.handling.actions import reject_ticket
from feedback.services.intake.attachments import CleanFile
from feedback.services.statistics import open_data
from tests.feedback.open_data_tickets import INTAKE, _code, _text, _user, csv_rows
from tests.feedback.open_data_tickets import file_ticket as file_ticket
from workflows import local_date

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
