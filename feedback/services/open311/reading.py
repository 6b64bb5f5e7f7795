"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): what the API reads
(feedback/services/open311_filing.py files requests).

The records here are plain dicts in the standard's field names; feedback/views/open311.py
writes them as JSON or XML. Only published tickets are shown, with what the public board shows
of them and never the submitter's details; a client also sees the tickets it filed itself
while they wait for intake or after intake turned them down.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import ColumnElement

from feedback.codes import normalize_code
from feedback.extensions import db
from feedback.i18n import STATUS_LABELS, localized
from feedback.models import ApiClient, ApiSubmission, Category, Ticket, TicketEvent, utcnow
from feedback.services.submitters.board import is_published
from workflows import OPEN, TIMEZONE, Status

# The standard's default window and the most requests one response holds.
WINDOW = timedelta(days=90)
MAX_PAGE_SIZE = 1000
MAX_LISTED = 100
DATATYPES = frozenset({"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"})
# Filed by a client, seen by it before intake accepts them (and after it turns them down).
OWN_STATUSES = (Status.SUBMITTED.value, Status.REJECTED.value)


class ApiError(Exception):
    """A request the API answers with an error: the HTTP status and what to tell the client."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def moment(value: datetime | None) -> str | None:
    """ISO 8601 in Vietnam's time, as the standard's examples write them: 2026-12-01T09:30:00+07:00."""
    return value.astimezone(TIMEZONE).isoformat(timespec="seconds") if value else None


# Services ----------------------------------------------------------------------------------


def services() -> list[dict[str, Any]]:
    categories = db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.code))
    return [
        {
            "service_code": category.code,
            "service_name": localized(category, "name"),
            "description": localized(category, "description"),
            "metadata": bool(category.extra_fields),
            "type": "realtime",
            "keywords": "",
            "group": _("Feedback and recommendations"),
        }
        for category in categories
    ]


def category_for(code: str) -> Category:
    category = db.session.scalars(
        select(Category).where(Category.code == code, Category.active.is_(True))
    ).one_or_none()
    if category is None:
        raise ApiError(404, _("There is no service with the code “%(code)s”.", code=code))
    return category


def service_definition(code: str) -> dict[str, Any]:
    category = category_for(code)
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": spec["code"],
                "datatype": spec["datatype"] if spec["datatype"] in DATATYPES else "string",
                "required": bool(spec.get("required")),
                "datatype_description": "",
                "order": order,
                "description": localized(spec, "label"),
                "values": [{"key": value["key"], "name": localized(value, "name")} for value in spec.get("values", [])],
            }
            for order, spec in enumerate(category.extra_fields or [], start=1)
        ],
    }


def datetime_param(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        parsed = None
    # Years far off would overflow when moved between time zones or by the 90 days.
    if parsed is None or not 1900 <= parsed.year <= 2200:
        raise ApiError(400, _("Give %(name)s as an ISO 8601 date and time, like 2026-12-01T09:30:00+07:00.", name=name))
    # Without an offset, the time is Vietnam's.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=TIMEZONE)


# Reading -----------------------------------------------------------------------------------


def _visible(client: ApiClient | None) -> ColumnElement[bool]:
    if client is None:
        return is_published()
    own = select(ApiSubmission.ticket_id).where(ApiSubmission.client_id == client.id)
    return or_(is_published(), (Ticket.id.in_(own) & Ticket.is_public.is_(True) & Ticket.status.in_(OWN_STATUSES)))


@dataclass(frozen=True)
class RequestQuery:
    codes: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()
    page: int = 1
    page_size: int = MAX_PAGE_SIZE


def parse_query(values: Mapping[str, str], now: datetime | None = None) -> RequestQuery:
    """GET requests' filters, checked; the standard's 90 days when no dates are given."""
    now = now or utcnow()
    # Codes as people type them: any case, with or without the dashes; a code that cannot be
    # one matches nothing.
    codes = tuple(normalize_code(code) or code for code in _listed(values.get("service_request_id")))
    start = datetime_param(values["start_date"], "start_date") if values.get("start_date") else None
    end = datetime_param(values["end_date"], "end_date") if values.get("end_date") else None
    if start and end and end < start:
        raise ApiError(400, _("end_date must not come before start_date."))
    if start and end and end - start > WINDOW:
        raise ApiError(400, _("start_date and end_date may be at most 90 days apart."))
    if not codes:
        if start is None:
            if end is None:
                end = now
            start = end - WINDOW
        elif end is None:
            end = start + WINDOW
    statuses = _listed(values.get("status"))
    if any(status not in ("open", "closed") for status in statuses):
        raise ApiError(400, _("status must be open, closed or both, separated by a comma."))
    return RequestQuery(
        codes=codes,
        services=_listed(values.get("service_code")),
        start=start,
        end=end,
        statuses=statuses,
        page=_whole(values.get("page"), "page", 1, 1, 1_000_000),
        page_size=_whole(values.get("page_size"), "page_size", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE),
    )


def _listed(value: str | None) -> tuple[str, ...]:
    listed = tuple(part.strip() for part in (value or "").split(",") if part.strip())
    if len(listed) > MAX_LISTED:
        raise ApiError(400, _("Give at most %(count)d values separated by commas.", count=MAX_LISTED))
    return listed


def _whole(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if not value:
        return default
    if not (value.isascii() and value.isdigit() and len(value) <= 9) or not low <= int(value) <= high:
        raise ApiError(
            400, _("Give %(name)s as a whole number from %(low)d to %(high)d.", name=name, low=low, high=high)
        )
    return int(value)


@dataclass(frozen=True)
class RequestPage:
    records: list[dict[str, Any]]
    total: int
    more: bool


def find_requests(query: RequestQuery, client: ApiClient | None = None) -> RequestPage:
    conditions = [_visible(client)]
    if query.codes:
        conditions.append(Ticket.code.in_(query.codes))
    else:
        if query.services:
            conditions.append(Ticket.category_id.in_(select(Category.id).where(Category.code.in_(query.services))))
        conditions += [Ticket.submitted_at >= query.start, Ticket.submitted_at <= query.end]
        if query.statuses and set(query.statuses) != {"open", "closed"}:
            open_values = [status.value for status in OPEN]
            conditions.append(
                Ticket.status.in_(open_values) if "open" in query.statuses else Ticket.status.not_in(open_values)
            )
    total = db.session.scalar(select(func.count(Ticket.id)).where(*conditions)) or 0
    tickets = list(
        db.session.scalars(
            select(Ticket)
            .where(*conditions)
            .options(selectinload(Ticket.category), selectinload(Ticket.department), selectinload(Ticket.area))
            .order_by(Ticket.submitted_at.desc(), Ticket.id.desc())
            .limit(query.page_size)
            .offset((query.page - 1) * query.page_size)
        )
    )
    return RequestPage(_records(tickets), total, query.page * query.page_size < total)


def get_request(code: str, client: ApiClient | None = None) -> dict[str, Any]:
    canonical = normalize_code(code)
    ticket = None
    if canonical is not None:
        ticket = db.session.scalars(select(Ticket).where(Ticket.code == canonical, _visible(client))).one_or_none()
    if ticket is None:
        raise ApiError(404, _("There is no request %(code)s, or it is not public.", code=code))
    return _records([ticket])[0]


def token_record(token: str) -> dict[str, Any]:
    code = db.session.scalars(
        select(Ticket.code)
        .join(ApiSubmission, ApiSubmission.ticket_id == Ticket.id)
        .where(ApiSubmission.token == token)
    ).one_or_none()
    if code is None:
        raise ApiError(404, _("There is no request with this token."))
    return {"service_request_id": code, "token": token}


def _records(tickets: Sequence[Ticket]) -> list[dict[str, Any]]:
    updated = (
        dict(
            db.session.execute(
                select(TicketEvent.ticket_id, func.max(TicketEvent.created_at))
                .where(TicketEvent.ticket_id.in_([ticket.id for ticket in tickets]))
                .group_by(TicketEvent.ticket_id)
            ).all()
        )
        if tickets
        else {}
    )
    return [_record(ticket, updated.get(ticket.id)) for ticket in tickets]


def _record(ticket: Ticket, updated_at: datetime | None) -> dict[str, Any]:
    status = Status(ticket.status)
    is_open = status in OPEN
    if status in (Status.RESOLVED, Status.CLOSED) and ticket.answer:
        notes: str | None = ticket.answer
    else:
        notes = str(STATUS_LABELS.get(ticket.status, ticket.status))
    return {
        "service_request_id": ticket.code,
        "status": "open" if is_open else "closed",
        "status_notes": notes,
        "service_name": localized(ticket.category, "name"),
        "service_code": ticket.category.code,
        "description": ticket.description,
        "agency_responsible": localized(ticket.department, "name") if status != Status.SUBMITTED else None,
        "service_notice": None,
        "requested_datetime": moment(ticket.submitted_at),
        "updated_datetime": moment(updated_at or ticket.submitted_at),
        "expected_datetime": moment(ticket.deadline if is_open else ticket.resolve_due),
        "address": ticket.address or None,
        "address_id": ticket.area.code,
        "zipcode": None,
        "lat": ticket.latitude,
        "long": ticket.longitude,
        "media_url": ticket.media_url or None,
    }
