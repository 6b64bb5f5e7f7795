"""Open311 GeoReport v2 under /open311/v2/, in JSON and XML (feedback/services/open311.py).

The format is the path's extension. Errors, including a wrong path, method or format, answer
as the standard says: the status, and a list of {code, description} in the asked format (JSON
when it cannot be told), in the language asked (`locale`, else Accept-Language).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any
from xml.etree import ElementTree

from flask import Blueprint, Response, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from feedback.extensions import csrf
from feedback.models import ApiClient
from feedback.services.open311 import filing as open311_filing
from feedback.services.open311 import reading as open311
from feedback.services.open311.clients import client_for_key
from feedback.services.open311.filing import RateLimited
from feedback.services.open311.reading import ApiError
from feedback.views.open311.openapi import openapi_document

PREFIX = "/open311/v2"
bp = Blueprint("open311", __name__, url_prefix=PREFIX)
csrf.exempt(bp)

FORMATS = {"json": "application/json; charset=utf-8", "xml": "application/xml; charset=utf-8"}
# The element of each item of a list, in XML.
ITEMS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
LANGUAGES = ("vi", "en")
# Control characters but tab, line feed and carriage return.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _language() -> str:
    asked = request.values.get("locale", "")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES) or "vi"


def _values() -> dict[str, str]:
    """Query string and form, an empty value being the same as a missing one."""
    return {name: value for name, value in request.values.items() if value.strip()}


def _check_characters() -> None:
    # No text a person types holds control characters, and PostgreSQL refuses NUL outright.
    given = [*request.values.items(multi=True), *(request.view_args or {}).items()]
    for name, value in given:
        if CONTROL.search(name) or CONTROL.search(str(value)):
            raise ApiError(400, _("The request holds control characters: remove them and send it again."))


def _format() -> str:
    fmt = (request.view_args or {}).get("fmt") or request.path.rsplit(".", 1)[-1]
    return fmt if fmt in FORMATS else "json"


def _xml(tag: str, value: Any) -> ElementTree.Element:
    element = ElementTree.Element(tag)
    if isinstance(value, Mapping):
        for name, item in value.items():
            element.append(_xml(name, item))
    elif isinstance(value, list):
        for item in value:
            element.append(_xml(ITEMS.get(tag, "item"), item))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        # Characters XML 1.0 cannot hold (control characters typed into a form) are replaced.
        element.text = NOT_XML.sub("\ufffd", str(value))
    return element


def _respond(root: str, body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    fmt = _format()
    if fmt == "xml":
        text = ElementTree.tostring(_xml(root, body), encoding="unicode", xml_declaration=True)
    else:
        text = json.dumps(body, ensure_ascii=False)
    return Response(text, status=status, headers=dict(headers or {}), content_type=FORMATS[fmt])


def _error(status: int, description: str, headers: Mapping[str, str] | None = None) -> Response:
    return _respond("errors", [{"code": status, "description": description}], status, headers)


def _api(view: Callable[..., Response]) -> Callable[..., Response]:
    """In the asked language, with the service's refusals written as the standard's errors."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        with force_locale(_language()):
            try:
                _check_characters()
                return view(*args, **kwargs)
            except RateLimited as error:
                return _error(error.status, error.description, {"Retry-After": str(error.retry_after)})
            except ApiError as error:
                return _error(error.status, error.description)

    return wrapper


def _client(required: bool) -> ApiClient | None:
    key = request.values.get("api_key", "").strip()
    client = client_for_key(key) if key else None
    if client is None and (required or key):
        raise ApiError(403, _("Give a valid api_key: ask the province's administrators for one.") if not key
                       else _("This api_key is not valid or has been revoked."))
    return client


FMT = "<any(json, xml):fmt>"


@bp.get(f"/discovery.{FMT}")
@_api
def discovery(fmt: str) -> Response:
    return _respond("discovery", {
        "changeset": "2026-12-07T00:00:00+07:00",
        "contact": _("The province's public service desk, through the feedback pages of this site."),
        "key_service": _("Administrators give API keys to the apps and systems that file requests."),
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": _base_url(),
            "changeset": "2026-12-07T00:00:00+07:00",
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    })


@bp.get(f"/services.{FMT}")
@_api
def services(fmt: str) -> Response:
    return _respond("services", open311.services())


@bp.get(f"/services/<service_code>.{FMT}")
@_api
def service_definition(service_code: str, fmt: str) -> Response:
    return _respond("service_definition", open311.service_definition(service_code))


@bp.post(f"/requests.{FMT}")
@_api
def file_request(fmt: str) -> Response:
    client = _client(required=True)
    assert client is not None
    attributes = {
        name[len("attribute["):-1]: values
        for name, values in request.values.lists()
        if name.startswith("attribute[") and name.endswith("]")
    }
    filed = open311_filing.file_request(client, _values(), attributes, language=_language())
    return _respond("service_requests", [{
        "service_request_id": filed.code,
        "token": filed.token,
        "service_notice": _("Received. The province's offices will answer within the working days the service allows."),
        "account_id": None,
    }], 201 if filed.new else 200)


@bp.get(f"/requests.{FMT}")
@_api
def requests(fmt: str) -> Response:
    client = _client(required=False)
    query = open311.parse_query(_values())
    page = open311.find_requests(query, client)
    headers = {"X-Total-Count": str(page.total)}
    if page.more:
        # Any, as url_for types its values: mypy would match a typed ** against _external and _anchor too.
        arguments: dict[str, Any] = {**request.args.to_dict(), "page": query.page + 1}
        following = url_for("open311.requests", fmt=fmt, _external=True, **arguments)
        headers["Link"] = f'<{following}>; rel="next"'
    return _respond("service_requests", page.records, headers=headers)


@bp.get(f"/requests/<service_request_id>.{FMT}")
@_api
def request_by_id(service_request_id: str, fmt: str) -> Response:
    return _respond("service_requests", [open311.get_request(service_request_id, _client(required=False))])


@bp.get(f"/tokens/<token>.{FMT}")
@_api
def token(token: str, fmt: str) -> Response:
    return _respond("service_requests", [open311.token_record(token)])


@bp.get("/openapi.json")
def openapi() -> Response:
    return Response(json.dumps(openapi_document(_base_url())), content_type=FORMATS["json"])


def _base_url() -> str:
    """The API's address as the client reached it: https://host/open311/v2."""
    return url_for("open311.discovery", fmt="json", _external=True).rsplit("/", 1)[0]


def is_api_request() -> bool:
    return request.path.startswith(PREFIX + "/")


def http_error(error: HTTPException) -> Response:
    """Errors raised before a view runs (no such path, method or format, a body too large,
    anything unforeseen) answer under /open311/ as the API's errors, not as pages."""
    allowed = {name: value for name, value in error.get_headers() if name == "Allow"}
    with force_locale(_language()):
        return _error(error.code or 500, _http_description(error.code or 500), allowed)


def _http_description(status: int) -> str:
    return {
        400: _("The request could not be understood."),
        404: _("There is no such resource: check the path and give the format as .json or .xml."),
        405: _("This method is not allowed here."),
        413: _("The request is too large."),
        429: _("Too many requests: wait a moment and try again."),
    }.get(status, _("Something went wrong on our side. Please try again in a moment."))
