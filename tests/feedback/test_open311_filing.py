"""Filing through Open311, its tokens, keys and limits, and every error, through HTTP requests to the app."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import ApiClient, ApiSubmission, Ticket
from feedback.services.open311.clients import add_api_client, revoke_api_client
from tests.feedback.open311_api import FORMATS, V2, _user

# Filing, tokens and errors, through the app -------------------------------------------------


@pytest.fixture
def api_key(app: Flask, database: None) -> str:
    with app.app_context():
        _client, key = add_api_client(_user("admin@example.org"), "Ứng dụng Khánh Hòa", hourly_limit=3)
        return key


GOOD = {
    "service_code": "GTDB",
    "description": "Ổ gà lớn trước số 12 đường Trần Phú, xe máy dễ ngã.",
    "address_string": "12 Trần Phú, Phường Bắc Nha Trang",
    "attribute[road_type]": "do_thi",
    "attribute[issue_type]": "o_ga",
    "email": "Dan@Example.org",
    "first_name": "Lan",
    "last_name": "Trần",
    "media_url": "https://example.org/o-ga.jpg",
}


def _errors(response: Any) -> list[dict[str, Any]]:
    if response.content_type.startswith("application/xml"):
        root = ElementTree.fromstring(response.data)
        assert root.tag == "errors"
        return [{"code": int(e.findtext("code")), "description": e.findtext("description")} for e in root]
    return json.loads(response.data)


def test_filing_a_request_and_following_it_by_its_token(
    app: Flask, client: FlaskClient, api_key: str, login: Callable[[str], Any]
) -> None:
    response = client.post(f"{V2}/requests.json", data={**GOOD, "api_key": api_key})
    assert response.status_code == 201, response.data
    [filed] = response.json
    code, token = filed["service_request_id"], filed["token"]
    with app.app_context():
        ticket = db.session.scalars(select(Ticket).where(Ticket.code == code)).one()
        assert (ticket.channel, ticket.kind, ticket.status) == ("api", "feedback", "submitted")
        assert ticket.area.name == "Phường Bắc Nha Trang" and ticket.address == GOOD["address_string"]
        assert ticket.attributes == {"road_type": "do_thi", "issue_type": ["o_ga"]}
        assert (ticket.submitter_name, ticket.submitter_email, ticket.notify_by) == (
            "Lan Trần",
            "dan@example.org",
            "email",
        )
        assert ticket.media_url == GOOD["media_url"] and ticket.title == GOOD["description"]
        assert (
            db.session.scalars(select(ApiSubmission.token).where(ApiSubmission.ticket_id == ticket.id)).one() == token
        )

    for fmt in FORMATS:
        found = client.get(f"{V2}/tokens/{token}.{fmt}")
        assert found.status_code == 200
        if fmt == "json":
            assert found.json == [{"service_request_id": code, "token": token}]
        else:
            assert ElementTree.fromstring(found.data).findtext("request/service_request_id") == code
    # Not public until intake accepts it, but its client sees it, without the person's details.
    assert client.get(f"{V2}/requests/{code}.json").status_code == 404
    own = client.get(f"{V2}/requests/{code}.json", query_string={"api_key": api_key})
    assert own.status_code == 200 and own.json[0]["status"] == "open" and own.json[0]["media_url"] == GOOD["media_url"]
    assert "dan@example.org" not in own.get_data(as_text=True)
    # Staff see the photo's address as a link on the ticket.
    login("intake@example.org")
    with app.app_context():
        ticket_id = db.session.scalars(select(Ticket.id).where(Ticket.code == code)).one()
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert f'href="{GOOD["media_url"]}" rel="noopener noreferrer nofollow" data-testid="media-url"' in page

    xml = client.post(
        f"{V2}/requests.xml",
        query_string={"api_key": api_key},
        data={
            **GOOD,
            "description": "Đèn tín hiệu ngã tư Lê Thánh Tôn không sáng.",
            "lat": "12.25",
            "long": "109.19",
            "address_string": "",
            "email": "",
        },
    )
    assert xml.status_code == 201 and xml.content_type == "application/xml; charset=utf-8"
    second = ElementTree.fromstring(xml.data).findtext("request/service_request_id")
    with app.app_context():
        ticket = db.session.scalars(select(Ticket).where(Ticket.code == second)).one()
        # Coordinates alone name no place: the province, with the point kept.
        assert ticket.area.parent_id is None and (ticket.latitude, ticket.longitude) == (12.25, 109.19)
        assert ticket.notify_by == "none"


def test_a_list_attribute_keeps_every_value_sent_in_the_query_string_and_the_body(
    app: Flask, client: FlaskClient, api_key: str
) -> None:
    response = client.post(
        f"{V2}/requests.json",
        query_string={"api_key": api_key, "attribute[issue_type]": "bien_bao"},
        data={**GOOD, "attribute[issue_type]": ["o_ga", "den_tin_hieu"]},
    )
    assert response.status_code == 201, response.data
    with app.app_context():
        ticket = db.session.scalars(select(Ticket).where(Ticket.code == response.json[0]["service_request_id"])).one()
        assert ticket.attributes == {"road_type": "do_thi", "issue_type": ["bien_bao", "o_ga", "den_tin_hieu"]}


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"service_code": ""}, 400, "Give the service_code"),
        ({"service_code": "NOPE"}, 404, "There is no service with the code “NOPE”."),
        ({"description": "ngắn"}, 400, "Give a description of 20 to 5,000 characters."),
        ({"address_string": "", "lat": "", "long": ""}, 400, "Give the place"),
        ({"lat": "12.2"}, 400, "Give both lat and long"),
        ({"lat": "north", "long": "109"}, 400, "Give lat and long as decimal degrees"),
        ({"lat": "91", "long": "109"}, 400, "Give a point in Vietnam"),
        ({"address_id": "00000"}, 400, "There is no place with the address_id “00000”."),
        ({"attribute[road_type]": ""}, 400, "Give attribute[road_type]: Road type."),
        ({"attribute[road_type]": "cao_toc"}, 400, "attribute[road_type] must be one of:"),
        ({"attribute[colour]": "do"}, 400, "The service GTDB has no attribute “colour”."),
        ({"email": "not-an-address"}, 400, "Give a valid email address"),
        ({"media_url": "ftp://example.org/a.jpg"}, 400, "Give the media_url as an http or https address"),
        ({"kind": "complaint"}, 400, "The kind must be feedback or recommendation."),
        ({"title": "x" * 121}, 400, "Give a title of 5 to 120 characters."),
        ({"description": "Ổ gà lớn\x00 trước số 12"}, 400, "The request holds control characters"),
        ({"email": "a" * 190 + "@example.org"}, 400, "Give a valid email address"),
        ({"attribute[road_type]": ["do_thi", "hem"]}, 400, "Give attribute[road_type] once."),
    ],
)


def test_each_bad_request_is_refused_with_its_error(
    app: Flask, client: FlaskClient, api_key: str, change: dict[str, str], status: int, message: str
) -> None:
    for fmt in FORMATS:
        response = client.post(f"{V2}/requests.{fmt}", data={**GOOD, "api_key": api_key, "locale": "en", **change})
        assert response.status_code == status, response.data
        [error] = _errors(response)
        assert error["code"] == status and error["description"].startswith(message), error
    with app.app_context():
        assert db.session.scalar(select(ApiSubmission.id)) is None


def test_keys_missing_unknown_or_revoked_are_refused(app: Flask, client: FlaskClient, api_key: str) -> None:
    for key in ("", "pakn_not-a-key", "something"):
        response = client.post(f"{V2}/requests.json", data={**GOOD, "api_key": key})
        assert response.status_code == 403 and _errors(response)[0]["code"] == 403
    with app.app_context():
        client_id = db.session.scalars(select(ApiClient.id)).one()
        revoke_api_client(_user("admin@example.org"), client_id)
    response = client.post(f"{V2}/requests.json", data={**GOOD, "api_key": api_key})
    assert response.status_code == 403
    assert _errors(response)[0]["description"] == "Khóa api_key không hợp lệ hoặc đã bị thu hồi."


def test_a_retry_gets_the_first_ticket_and_another_clients_copy_is_refused(
    app: Flask, client: FlaskClient, api_key: str
) -> None:
    first = client.post(f"{V2}/requests.json", data={**GOOD, "api_key": api_key})
    again = client.post(f"{V2}/requests.json", data={**GOOD, "api_key": api_key})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json[0]["service_request_id"] == first.json[0]["service_request_id"]
    assert again.json[0]["token"] == first.json[0]["token"]
    with app.app_context():
        _other, other_key = add_api_client(_user("admin@example.org"), "Tổng đài 1022", hourly_limit=3)
        assert db.session.scalar(select(func.count(ApiSubmission.id))) == 1
    copied = client.post(f"{V2}/requests.json", data={**GOOD, "api_key": other_key, "locale": "en"})
    assert copied.status_code == 400
    assert (
        _errors(copied)[0]["description"]
        == f"The same request was filed a moment ago as {first.json[0]['service_request_id']}."
    )


def test_a_key_files_at_most_its_hourly_limit(client: FlaskClient, api_key: str) -> None:
    for n in range(3):
        text = f"Phản ánh số {n + 1}: rác thải tồn đọng nhiều ngày trên vỉa hè."
        assert (
            client.post(f"{V2}/requests.json", data={**GOOD, "description": text, "api_key": api_key}).status_code
            == 201
        )
    refused = client.post(
        f"{V2}/requests.json", data={**GOOD, "description": "Một phản ánh nữa trong cùng giờ.", "api_key": api_key}
    )
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 3601
    assert _errors(refused)[0]["code"] == 429


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/requests.json?start_date=yesterday", 400),
        ("get", "/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", 400),
        ("get", "/requests.json?start_date=2026-03-01T00:00:00Z&end_date=2026-02-01T00:00:00Z", 400),
        ("get", "/requests.json?status=pending", 400),
        ("get", "/requests.json?page=0", 400),
        ("get", "/requests.json?page_size=1001", 400),
        ("get", "/requests.json?page=99999999999999999999", 400),
        ("get", "/requests.json?start_date=0001-01-01T00:00:00%2B07:00", 400),
        ("get", "/requests.json?end_date=9999-12-31T23:59:59", 400),
        ("get", "/requests.json?service_request_id=" + ",".join(["AAAA-AAAA-A"] * 101), 400),
        ("get", "/requests/AB%00CD.json", 400),
        ("get", "/requests.json?api_key=pakn_wrong", 403),
        ("get", "/requests/ZZZZ-ZZZZ-Z.json", 404),
        ("get", "/tokens/nothing.json", 404),
        ("get", "/services/NOPE.json", 404),
        ("get", "/services.csv", 404),
        ("get", "/services", 404),
        ("get", "/no/such/thing.json", 404),
        ("delete", "/requests.json", 405),
        ("put", "/services.xml", 405),
    ],
)


def test_errors_are_lists_of_code_and_description(client: FlaskClient, method: str, path: str, status: int) -> None:
    response = getattr(client, method)(V2 + path, headers={"Accept-Language": "en"})
    assert response.status_code == status
    if status == 405:
        assert "GET" in response.headers["Allow"]
    fmt = "xml" if path.split("?")[0].endswith(".xml") else "json"
    assert response.content_type == f"application/{fmt}; charset=utf-8"
    [error] = _errors(response)
    assert error["code"] == status and error["description"]


def test_error_descriptions_follow_the_language_asked(client: FlaskClient) -> None:
    english = client.get(f"{V2}/requests.json?status=x", headers={"Accept-Language": "en-GB,en;q=0.9"})
    vietnamese = client.get(f"{V2}/requests.json?status=x")
    chosen = client.get(f"{V2}/requests.json?status=x&locale=en", headers={"Accept-Language": "vi"})
    assert (
        _errors(english)[0]["description"]
        == _errors(chosen)[0]["description"]
        == ("status must be open, closed or both, separated by a comma.")
    )
    assert _errors(vietnamese)[0]["description"] != _errors(english)[0]["description"]


def test_the_openapi_description_is_served(client: FlaskClient) -> None:
    response = client.get(f"{V2}/openapi.json")
    assert response.status_code == 200
    paths = response.json["paths"]
    assert any("requests" in path for path in paths) and any("tokens" in path for path in paths)
