"""The OpenAPI 3.1 description of the Open311 GeoReport v2 API (feedback/views/open311.py).

Every endpoint is two paths, `….json` and `….xml`, built from one description: each path then
documents exactly one media type, which is what a client (or schemathesis) checks responses
against. JSON bodies have full schemas; XML bodies are documented as strings whose root element
is named by the schema's `xml.name`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from feedback.services.intake.rules import ADDRESS_MAX, DESCRIPTION_LENGTH, KINDS, LATITUDES, LONGITUDES, TITLE_LENGTH

Schema = dict[str, Any]

FORMATS = {"json": "application/json", "xml": "application/xml"}
ERROR_STATUSES = {
    400: "A parameter is missing or not valid.",
    403: "The api_key is missing, unknown or revoked.",
    404: "No such service, request, token, path or format.",
    405: "This method is not allowed on this path.",
    413: "The request body is too large.",
    429: "Too many requests for this api_key: its hourly limit is reached.",
}
# A tracking code: 8 symbols of Crockford's base 32 and a check symbol, as XXXX-XXXX-C.
CODE_PATTERN = "^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]$"
STATUS_LIST_PATTERN = "^(open|closed)(,(open|closed))*$"
ATTRIBUTE_PATTERN = r"^attribute\[[A-Za-z0-9]+(_[A-Za-z0-9]+)*\]$"
DATATYPES = ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Schema) -> Schema:
    return {**schema, "type": [schema["type"], "null"]}


def _object(properties: dict[str, Schema]) -> Schema:
    """An object with exactly these properties, all required (absent values are null)."""
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _list(items: Schema, **limits: int) -> Schema:
    return {"type": "array", "items": items, **limits}


def _text(**limits: Any) -> Schema:
    return {"type": "string", **limits}


def _date_time() -> Schema:
    return {"type": "string", "format": "date-time"}


def _parameter(name: str, where: str, schema: Schema, description: str, required: bool = False) -> Schema:
    return {"name": name, "in": where, "required": required, "schema": schema, "description": description}


def _query(name: str, schema: Schema, description: str) -> Schema:
    return _parameter(name, "query", schema, description)


def _path(name: str, description: str) -> Schema:
    return _parameter(name, "path", _text(minLength=1), description, required=True)


COMMON_PARAMETERS = [
    _query("jurisdiction_id", _text(), "Accepted and ignored: this server has one jurisdiction."),
    _query("locale", {"type": "string", "enum": ["vi", "en"]},
           "The language of error descriptions and notices; otherwise Accept-Language decides."),
]

REQUEST_FILTERS = [
    _query("service_request_id", _text(),
           "Comma-separated tracking codes. When given, the other filters are ignored."),
    _query("service_code", _text(), "Comma-separated service codes."),
    _query("start_date", _date_time(), "Requested at or after (W3C datetime). With end_date, at most 90 days."),
    _query("end_date", _date_time(), "Requested at or before (W3C datetime), not before start_date. "
                                     "Without dates: the last 90 days."),
    _query("status", _text(pattern=STATUS_LIST_PATTERN), "Comma-separated statuses: open, closed."),
    _query("page", {"type": "integer", "minimum": 1, "default": 1}, "Extension: the page, from 1."),
    _query("page_size", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000},
           "Extension: requests per page."),
]

LOCATION = {"type": "number"}
NEW_REQUEST: Schema = {
    "type": "object",
    "properties": {
        "service_code": _text(minLength=1, description="Required; 404 when there is no such service."),
        "lat": {**LOCATION, "minimum": LATITUDES[0], "maximum": LATITUDES[1],
                "description": "Decimal degrees, in Vietnam; with long."},
        "long": {**LOCATION, "minimum": LONGITUDES[0], "maximum": LONGITUDES[1],
                 "description": "Decimal degrees, in Vietnam; with lat."},
        "address_string": _text(minLength=1, maxLength=ADDRESS_MAX),
        "address_id": _text(minLength=1, description="The code of one of the province's communes or wards."),
        "email": _text(format="email"),
        "device_id": _text(),
        "account_id": _text(),
        "first_name": _text(),
        "last_name": _text(),
        "phone": _text(),
        "description": _text(minLength=DESCRIPTION_LENGTH[0], maxLength=DESCRIPTION_LENGTH[1]),
        "media_url": _text(format="uri", pattern="^https?://", maxLength=2000),
        "title": _text(minLength=TITLE_LENGTH[0], maxLength=TITLE_LENGTH[1],
                       description="Extension; by default the start of the description."),
        "kind": {"type": "string", "enum": list(KINDS), "default": "feedback",
                 "description": "Extension."},
        "locale": {"type": "string", "enum": ["vi", "en"], "description": "Extension."},
        "jurisdiction_id": _text(),
    },
    "patternProperties": {
        ATTRIBUTE_PATTERN: {
            "description": "attribute[CODE]: an answer to the service's attribute CODE; a "
                           "multivaluelist answer is the parameter repeated.",
            "anyOf": [_text(), _list(_text(), minItems=1)],
        },
    },
    "additionalProperties": False,
    "required": ["service_code", "description"],
    "dependentRequired": {"lat": ["long"], "long": ["lat"]},
    "anyOf": [{"required": ["lat", "long"]}, {"required": ["address_string"]}, {"required": ["address_id"]}],
    "description": "Every field may also be sent in the query string; an empty field is the same as "
                   "a missing one. A location is required: lat and long, address_string or address_id.",
}

SCHEMAS: dict[str, Schema] = {
    "Error": _object({"code": {"type": "integer"}, "description": _text()}),
    "Discovery": _object({
        "changeset": _date_time(),
        "contact": _text(),
        "key_service": _text(),
        "endpoints": _list(_object({
            "specification": _text(format="uri"),
            "url": _text(format="uri"),
            "changeset": _date_time(),
            "type": {"type": "string", "enum": ["production", "test"]},
            "formats": _list({"type": "string", "enum": ["application/json", "text/xml"]}, minItems=1),
        }), minItems=1),
    }),
    "Service": _object({
        "service_code": _text(minLength=1),
        "service_name": _text(),
        "description": _text(),
        "metadata": {"type": "boolean"},
        "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
        "keywords": _text(description="Comma-separated; may be empty."),
        "group": _text(),
    }),
    "ServiceDefinition": _object({
        "service_code": _text(minLength=1),
        "attributes": _list(_ref("Attribute")),
    }),
    "Attribute": _object({
        "variable": {"type": "boolean"},
        "code": _text(minLength=1),
        "datatype": {"type": "string", "enum": DATATYPES},
        "required": {"type": "boolean"},
        "datatype_description": _text(),
        "order": {"type": "integer", "minimum": 1},
        "description": _text(),
        "values": _list(_object({"key": _text(minLength=1), "name": _text()})),
    }),
    "ServiceRequest": _object({
        "service_request_id": _text(pattern=CODE_PATTERN),
        "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": _nullable(_text()),
        "service_name": _text(),
        "service_code": _text(),
        "description": _text(),
        "agency_responsible": _nullable(_text()),
        "service_notice": _nullable(_text()),
        "requested_datetime": _date_time(),
        "updated_datetime": _date_time(),
        "expected_datetime": _nullable(_date_time()),
        "address": _nullable(_text()),
        "address_id": _nullable(_text()),
        "zipcode": _nullable(_text()),
        "lat": _nullable({**LOCATION, "minimum": -90, "maximum": 90}),
        "long": _nullable({**LOCATION, "minimum": -180, "maximum": 180}),
        "media_url": _nullable(_text()),
    }),
    "CreatedRequest": _object({
        "service_request_id": _text(pattern=CODE_PATTERN),
        "token": _text(minLength=1),
        "service_notice": _text(),
        "account_id": _nullable(_text()),
    }),
    "TokenRecord": _object({
        "service_request_id": _text(pattern=CODE_PATTERN),
        "token": _text(minLength=1),
    }),
}


def _body(fmt: str, json_schema: Schema, xml_root: str) -> Schema:
    if fmt == "json":
        return {FORMATS[fmt]: {"schema": json_schema}}
    return {FORMATS[fmt]: {"schema": {"type": "string", "xml": {"name": xml_root},
                                      "description": f"A UTF-8 XML document whose root is <{xml_root}>."}}}


def _errors(fmt: str) -> dict[str, Schema]:
    """The standard's error list, whose code is the HTTP status, for every documented status."""
    responses: dict[str, Schema] = {
        str(status): {
            "description": description,
            "content": _body(fmt, _list({"allOf": [_ref("Error"), {"properties": {"code": {"const": status}}}]},
                                        minItems=1), "errors"),
        }
        for status, description in ERROR_STATUSES.items()
    }
    responses["405"]["headers"] = {"Allow": {"required": True, "schema": _text(minLength=1),
                                             "description": "The methods this path answers."}}
    return responses


def _operation(
    fmt: str,
    operation_id: str,
    summary: str,
    result: tuple[int, Schema, str],
    parameters: Sequence[Schema] = (),
    headers: dict[str, Schema] | None = None,
) -> Schema:
    status, json_schema, xml_root = result
    success: Schema = {"description": summary, "content": _body(fmt, json_schema, xml_root)}
    if headers:
        success["headers"] = headers
    return {
        "operationId": f"{operation_id}_{fmt}",
        "summary": summary,
        "tags": ["GeoReport v2"],
        "parameters": [*parameters, *COMMON_PARAMETERS],
        "responses": {str(status): success, **_errors(fmt)},
    }


def _in_both_formats(path: str, operations: Callable[[str], dict[str, Schema]]) -> dict[str, Schema]:
    return {f"{path}.{fmt}": operations(fmt) for fmt in FORMATS}


PAGING_HEADERS = {
    "X-Total-Count": {"required": True, "schema": {"type": "integer", "minimum": 0},
                      "description": "Extension: how many requests match, over all pages."},
    "Link": {"required": False, "schema": _text(),
             "description": 'Extension: the next page, as <URL>; rel="next", when there is one.'},
}


def _requests(fmt: str) -> dict[str, Schema]:
    filing = _operation(fmt, "post_service_request", "File a request",
                        (201, _list(_ref("CreatedRequest"), minItems=1, maxItems=1), "service_requests"))
    # The same text again from the same client a moment later: the request it filed then.
    retry = "A retry: the request filed a moment ago"
    filing["responses"]["200"] = {**filing["responses"]["201"], "description": retry}
    return {
        "get": _operation(
            fmt,
            "get_service_requests",
            "Published requests, newest first",
            (200, _list(_ref("ServiceRequest")), "service_requests"),
            REQUEST_FILTERS,
            PAGING_HEADERS,
        ),
        "post": {
            **filing,
            "security": [{"api_key": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {"schema": NEW_REQUEST},
                    "multipart/form-data": {"schema": NEW_REQUEST},
                },
            },
        },
    }


def _paths() -> dict[str, Schema]:
    return {
        **_in_both_formats(
            "/discovery",
            lambda fmt: {
                "get": _operation(
                    fmt, "get_discovery", "Where and how to use this API", (200, _ref("Discovery"), "discovery")
                )
            },
        ),
        **_in_both_formats(
            "/services",
            lambda fmt: {
                "get": _operation(
                    fmt,
                    "get_services",
                    "The services (categories) requests can be filed in",
                    (200, _list(_ref("Service")), "services"),
                )
            },
        ),
        **_in_both_formats(
            "/services/{service_code}",
            lambda fmt: {
                "get": _operation(
                    fmt,
                    "get_service_definition",
                    "The attributes a service asks for",
                    (200, _ref("ServiceDefinition"), "service_definition"),
                    [_path("service_code", "An active service's code.")],
                )
            },
        ),
        **_in_both_formats("/requests", _requests),
        **_in_both_formats(
            "/requests/{service_request_id}",
            lambda fmt: {
                "get": _operation(
                    fmt,
                    "get_service_request",
                    "One published request",
                    (200, _list(_ref("ServiceRequest"), minItems=1, maxItems=1), "service_requests"),
                    [_path("service_request_id", "A tracking code, as XXXX-XXXX-C.")],
                )
            },
        ),
        **_in_both_formats(
            "/tokens/{token}",
            lambda fmt: {
                "get": _operation(
                    fmt,
                    "get_token",
                    "The request filed with this token",
                    (200, _list(_ref("TokenRecord"), minItems=1, maxItems=1), "service_requests"),
                    [_path("token", "The token given when the request was filed.")],
                )
            },
        ),
    }


def openapi_document(server_url: str) -> dict[str, Any]:
    """The description, served from `server_url`: the API's base, such as
    https://host/open311/v2 (the discovery's endpoint url). A copy: readers (schemathesis among
    them) may write into it."""
    return copy.deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "Open311 GeoReport v2",
                "version": "2",
                "description": "Citizen feedback and recommendations of the province, in the Open311 "
                "GeoReport v2 standard (http://wiki.open311.org/GeoReport_v2), with paging "
                "and kind/title/locale extensions. Every path takes its format as the "
                "extension: .json or .xml. An empty parameter is the same as a missing "
                "one; text holding control characters (but tab, line feed and carriage "
                "return) is refused with 400. Errors are a list of {code, description}, "
                "code being the HTTP status; in XML, <errors><error>…</error></errors>.",
            },
            "servers": [{"url": server_url.rstrip("/")}],
            "paths": _paths(),
            "components": {
                "schemas": SCHEMAS,
                "securitySchemes": {
                    "api_key": {
                        "type": "apiKey",
                        "in": "query",
                        "name": "api_key",
                        "description": "Given by the province's administrators to each client that files "
                        "requests. It may also be sent as the api_key field of the form body.",
                    },
                },
            },
        }
    )
