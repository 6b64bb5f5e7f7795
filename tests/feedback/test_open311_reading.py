"""The Open311 read calls through the public client `georeport` against a live server, in JSON and in XML."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
import requests
from flask import Flask
from georeport import GeoReport
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Area, Category, Department, Ticket, utcnow
from feedback.services.handling import actions as handling
from feedback.services.intake.submissions import Submission, submit_ticket
from tests.feedback.open311_api import FORMATS, V2, _user
from workflows import TIMEZONE

SECRETS = ("Nguyễn Văn Bí Mật", "bimat@example.org", "0905123456")


def _id(column: Any, value: str) -> int:
    return db.session.scalars(select(column.class_.id).where(column == value)).one()


def _submit(title: str, now: datetime, *, category: str = "GTDB", public: bool = True, **extra: Any) -> Ticket:
    receipt = submit_ticket(
        Submission(
            kind="feedback", category_id=_id(Category.code, category), area_id=_id(Area.name, "Phường Nha Trang"),
            title=title, description=f"{title}: sự việc kéo dài nhiều ngày, đề nghị kiểm tra.",
            address="12 Trần Phú", name=SECRETS[0], email=SECRETS[1], phone=SECRETS[2], notify_by="email",
            consent_version="2025-07", is_public=public,
            attributes={"road_type": "do_thi", "issue_type": ["o_ga"]} if category == "GTDB" else {}, **extra,
        ),
        actor=None, now=now,
    )
    return receipt.ticket


@dataclass(frozen=True)
class Published:
    base: str
    open: str
    answered: str
    private: str
    waiting: str
    old: str
    old_day: datetime


@pytest.fixture(scope="module")
def published(live_app: Flask, request: pytest.FixtureRequest) -> Iterator[Published]:
    """Tickets on the live server: open and answered (listed), private and waiting for intake
    (never listed), and one from four months ago (outside the default 90 days). Written before
    the server and its worker start: a deferred SQLite transaction that reads and then writes
    fails at once, without waiting, when the worker wrote in between."""
    now = utcnow()
    old_day = now - timedelta(days=120)
    with live_app.app_context():
        intake, sxd = _user("intake@example.org"), _id(Department.code, "SXD")
        opened = _submit("Ổ gà đường Trần Phú", now - timedelta(days=3), latitude=12.2388, longitude=109.1967)
        handling.accept_ticket(intake, opened.id, sxd, now=now - timedelta(days=2))
        answered = _submit("Đèn đường hỏng", now - timedelta(days=10))
        handling.accept_ticket(intake, answered.id, sxd, now=now - timedelta(days=9))
        handling.resolve_ticket(
            _user("officer.sxd@example.org"), answered.id, "Đã thay bóng đèn mới.", now=now - timedelta(days=5)
        )
        private = _submit("Việc riêng tư", now - timedelta(days=4), public=False)
        handling.accept_ticket(intake, private.id, sxd, now=now - timedelta(days=3))
        waiting = _submit("Chưa tiếp nhận", now - timedelta(days=1))
        # A control character, as a form may let through, which XML cannot hold.
        old = _submit("Cây đổ\x0b chắn đường", old_day)
        handling.accept_ticket(intake, old.id, sxd, now=old_day + timedelta(days=1))
        codes = (opened.code, answered.code, private.code, waiting.code, old.code)
        db.session.remove()
    yield Published(request.getfixturevalue("live_server") + V2, *codes, old_day)


def _list(value: Any) -> list[Any]:
    # xmltodict gives one child as a dict and several as a list.
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_and_their_definitions_through_the_client(published: Published, live_app: Flask, fmt: str) -> None:
    client = GeoReport(published.base, output_format=fmt)
    with live_app.app_context():
        active = sorted(db.session.scalars(select(Category.code).where(Category.active.is_(True))))
        gtdb = db.session.scalars(select(Category).where(Category.code == "GTDB")).one()
        specs = list(gtdb.extra_fields)
    services = {service["service_code"]: service for service in client.get_service_list()}
    assert sorted(services) == active
    assert services["GTDB"]["service_name"] == "Giao thông, đường bộ, cầu cống"
    assert services["GTDB"]["metadata"] in (True, "true") and services["GTDB"]["type"] == "realtime"
    assert services["ANTT"]["metadata"] in (False, "false")

    definition = client.get_service_definition("GTDB")
    assert definition["service_code"] == "GTDB"
    attributes = _list(definition["attributes"]["attribute"] if fmt == "xml" else definition["attributes"])
    assert [a["code"] for a in attributes] == [spec["code"] for spec in specs]
    road = attributes[0]
    assert (
        road["datatype"] == "singlevaluelist"
        and road["required"] in (True, "true")
        and road["description"] == "Loại đường"
    )
    values = _list(road["values"]["value"] if fmt == "xml" else road["values"])
    assert [v["key"] for v in values] == [v["key"] for v in specs[0]["values"]]
    assert values[0]["name"] == "Quốc lộ"
    with pytest.raises(requests.HTTPError) as missing:
        client.get_service_definition("NOPE")
    assert missing.value.response.status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_through_the_client(published: Published, fmt: str) -> None:
    client = GeoReport(published.base, output_format=fmt)
    listed = _list(client.get_service_requests())
    # Newest first; never the private one, nor the one intake has not seen, nor the old one.
    assert [r["service_request_id"] for r in listed] == [published.open, published.answered]
    opened, answered = listed
    assert (opened["status"], answered["status"]) == ("open", "closed")
    assert answered["status_notes"] == "Đã thay bóng đèn mới."
    assert opened["status_notes"] == "Đã tiếp nhận"
    assert opened["agency_responsible"] == "Sở Xây dựng" and opened["service_code"] == "GTDB"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", opened["requested_datetime"])
    assert datetime.fromisoformat(opened["expected_datetime"]) > datetime.fromisoformat(opened["requested_datetime"])
    assert float(opened["lat"]) == 12.2388 and float(opened["long"]) == 109.1967
    assert opened["address"] == "12 Trần Phú"
    if fmt == "xml":
        assert answered["lat"] is None and answered["media_url"] is None
    else:
        assert answered["lat"] is None and answered["media_url"] is None and answered["zipcode"] is None

    assert [r["service_request_id"] for r in _list(client.get_service_requests(status="open"))] == [published.open]
    assert [r["service_request_id"] for r in _list(client.get_service_requests(status="closed"))] == [
        published.answered
    ]
    assert len(_list(client.get_service_requests(status="open,closed"))) == 2
    assert len(_list(client.get_service_requests(service_code="GTDB,DIEN"))) == 2
    # The id overrides the other filters, the dates included: the old ticket is found by it.
    by_id = _list(
        client.get_service_requests(service_request_id=f"{published.old},{published.private}", status="closed")
    )
    assert [r["service_request_id"] for r in by_id] == [published.old]
    window = (published.old_day - timedelta(days=1), published.old_day + timedelta(days=1))
    dated = _list(
        client.get_service_requests(
            start_date=window[0].isoformat(), end_date=window[1].astimezone(TIMEZONE).isoformat()
        )
    )
    assert [r["service_request_id"] for r in dated] == [published.old]

    one = client.get_service_request(published.answered)
    assert one["service_request_id"] == published.answered and one["status"] == "closed"
    # Codes as people type them: lower case, without the dashes.
    typed = published.answered.lower().replace("-", "")
    assert client.get_service_request(typed)["service_request_id"] == published.answered
    assert [r["service_request_id"] for r in _list(client.get_service_requests(service_request_id=typed))] == [
        published.answered
    ]
    for hidden in (published.private, published.waiting, "ZZZZ-ZZZZ-Z"):
        with pytest.raises(requests.HTTPError) as refused:
            client.get_service_request(hidden)
        assert refused.value.response.status_code == 404


def test_no_personal_data_in_any_answer(published: Published) -> None:
    for fmt in FORMATS:
        for path in ("requests", f"requests/{published.open}", f"requests/{published.answered}", "services"):
            text = requests.get(f"{published.base}/{path}.{fmt}", timeout=10).text
            assert not any(secret in text for secret in SECRETS), path


def test_paging_and_the_empty_parameter(published: Published) -> None:
    first = requests.get(f"{published.base}/requests.json", params={"page_size": 1, "service_code": ""}, timeout=10)
    assert first.status_code == 200 and first.headers["X-Total-Count"] == "2"
    assert [r["service_request_id"] for r in first.json()] == [published.open]
    following = re.fullmatch(r'<([^>]+)>; rel="next"', first.headers["Link"]).group(1)
    second = requests.get(following, timeout=10)
    assert [r["service_request_id"] for r in second.json()] == [published.answered] and "Link" not in second.headers


def test_discovery(published: Published) -> None:
    found = requests.get(f"{published.base}/discovery.json", timeout=10).json()
    assert found["endpoints"][0]["url"] == published.base
    assert "application/json" in found["endpoints"][0]["formats"]
    xml = ElementTree.fromstring(requests.get(f"{published.base}/discovery.xml", timeout=10).content)
    assert xml.tag == "discovery" and xml.findtext("endpoints/endpoint/url") == published.base
    assert [f.text for f in xml.findall("endpoints/endpoint/formats/format")] == ["application/json", "text/xml"]


def test_text_xml_cannot_hold_is_replaced(published: Published) -> None:
    as_json = requests.get(f"{published.base}/requests/{published.old}.json", timeout=10).json()
    as_xml = requests.get(f"{published.base}/requests/{published.old}.xml", timeout=10).content
    assert as_json[0]["description"].startswith("Cây đổ\x0b chắn đường")
    assert ElementTree.fromstring(as_xml).findtext("request/description").startswith("Cây đổ\ufffd chắn đường")
