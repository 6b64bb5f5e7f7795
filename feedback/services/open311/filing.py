"""Open311 GeoReport v2: filing a request (POST requests), each parameter checked as the
standard names it; feedback/services/open311.py reads and describes what is filed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import select

from feedback.extensions import db
from feedback.i18n import localized
from feedback.models import ApiClient, ApiSubmission, Area, Category, utcnow
from feedback.services.intake.rules import (
    ADDRESS_MAX,
    DESCRIPTION_LENGTH,
    KINDS,
    LATITUDES,
    LONGITUDES,
    NAME_MAX,
    TITLE_LENGTH,
    latitude_in_vietnam,
    length_fits,
    longitude_in_vietnam,
    parse_coordinate,
)
from feedback.services.intake.submissions import DuplicateSubmission, Submission, submit_ticket
from feedback.services.open311.reading import ApiError, category_for, datetime_param
from feedback.text import fold
from workflows import TIMEZONE


@dataclass(frozen=True)
class Filed:
    code: str
    token: str
    # False when the same client sent the same text again a moment later (a retry): the first
    # ticket stands for both.
    new: bool = True


def file_request(client: ApiClient, values: Mapping[str, Any], attributes: Mapping[str, list[str]], *, language: str,
                 now: datetime | None = None) -> Filed:
    """File a ticket from POST requests' parameters (`values`: name → value, empty ones left
    out; `attributes`: attribute code → its values)."""
    now = now or utcnow()
    _check_rate(client, now)
    code = values.get("service_code")
    if not code:
        raise ApiError(400, _("Give the service_code of the service the request is for."))
    category = category_for(code)
    description = values.get("description", "").strip()
    if not length_fits(description, DESCRIPTION_LENGTH):
        raise ApiError(400, _("Give a description of %(min)d to %(max)s characters.",
                              min=DESCRIPTION_LENGTH[0], max=format_number(DESCRIPTION_LENGTH[1])))
    title = values.get("title", "").strip() or _title_from(description)
    if not length_fits(title, TITLE_LENGTH):
        raise ApiError(
            400, _("Give a title of %(min)d to %(max)d characters.", min=TITLE_LENGTH[0], max=TITLE_LENGTH[1])
        )
    kind = values.get("kind", "feedback")
    if kind not in KINDS:
        raise ApiError(400, _("The kind must be feedback or recommendation."))
    latitude, longitude = _coordinates(values)
    address = values.get("address_string", "").strip()
    if len(address) > ADDRESS_MAX:
        raise ApiError(400, _("Give an address_string of at most %(max)d characters.", max=ADDRESS_MAX))
    area = _area(values.get("address_id"), address)
    if latitude is None and not address and not values.get("address_id"):
        raise ApiError(400, _("Give the place: lat and long, an address_string or an address_id."))
    email = _email(values.get("email", ""))
    phone = values.get("phone", "").strip()
    if len(phone) > 30:
        raise ApiError(400, _("Give a phone number of at most 30 characters."))
    name = " ".join(
        part.strip() for part in (values.get("first_name", ""), values.get("last_name", "")) if part.strip()
    )
    if len(name) > NAME_MAX:
        raise ApiError(400, _("Give a name of at most %(max)d characters in all.", max=NAME_MAX))
    media_url = values.get("media_url", "").strip()
    if media_url and (len(media_url) > 2000 or not re.match(r"https?://[^\s/]+\S*$", media_url)):
        raise ApiError(400, _("Give the media_url as an http or https address of at most 2,000 characters."))
    submission = Submission(
        kind=kind,
        category_id=category.id,
        area_id=area.id,
        title=title,
        description=description,
        address=address,
        latitude=latitude,
        longitude=longitude,
        attributes=_attribute_values(category, attributes),
        name=name,
        email=email,
        phone=phone,
        notify_by="email" if email else "none",
        # The client collected the person's details and their consent under its agreement.
        consent_version="open311" if (name or email or phone) else "",
        language=language,
        channel="api",
        media_url=media_url,
        api_client_id=client.id,
    )
    try:
        ticket = submit_ticket(submission, actor=None, now=now).ticket
    except DuplicateSubmission as duplicate:
        ticket = duplicate.ticket
        earlier = db.session.scalars(select(ApiSubmission).where(ApiSubmission.ticket_id == ticket.id)).one_or_none()
        if earlier is None or earlier.client_id != client.id:
            raise ApiError(400, _("The same request was filed a moment ago as %(code)s.", code=ticket.code)) from None
        return Filed(ticket.code, earlier.token, new=False)
    token = db.session.scalars(select(ApiSubmission.token).where(ApiSubmission.ticket_id == ticket.id)).one()
    return Filed(ticket.code, token)


def _check_rate(client: ApiClient, now: datetime) -> None:
    since = now - timedelta(hours=1)
    filed = db.session.scalars(
        select(ApiSubmission.created_at)
        .where(ApiSubmission.client_id == client.id, ApiSubmission.created_at > since)
        .order_by(ApiSubmission.created_at)
    ).all()
    if len(filed) >= client.hourly_limit:
        raise RateLimited(
            _("This key may file %(count)d requests an hour. Try again later.", count=client.hourly_limit),
            retry_after=max(1, int((filed[0] + timedelta(hours=1) - now).total_seconds()) + 1),
        )


class RateLimited(ApiError):
    def __init__(self, description: str, retry_after: int) -> None:
        super().__init__(429, description)
        self.retry_after = retry_after


def _title_from(description: str) -> str:
    """The description's first line, or its beginning when that line is too short to be a title."""
    first = description.splitlines()[0].strip()
    if len(first) < TITLE_LENGTH[0]:
        first = " ".join(description.split())
    longest = TITLE_LENGTH[1]
    return first if len(first) <= longest else first[: longest - 1].rsplit(" ", 1)[0] + "…"


def _coordinates(values: Mapping[str, Any]) -> tuple[float | None, float | None]:
    lat, long = values.get("lat"), values.get("long")
    if lat is None and long is None:
        return None, None
    if lat is None or long is None:
        raise ApiError(400, _("Give both lat and long, or neither."))
    latitude, longitude = parse_coordinate(lat), parse_coordinate(long)
    if latitude is None or longitude is None:
        raise ApiError(400, _("Give lat and long as decimal degrees, like 12.2388 and 109.1967."))
    if not (latitude_in_vietnam(latitude) and longitude_in_vietnam(longitude)):
        raise ApiError(
            400,
            _(
                "Give a point in Vietnam: lat from %(south)s to %(north)s and long from %(west)s to %(east)s.",
                south=LATITUDES[0],
                north=LATITUDES[1],
                west=LONGITUDES[0],
                east=LONGITUDES[1],
            ),
        )
    return latitude, longitude


def _area(address_id: str | None, address: str) -> Area:
    """The area with the code given; else the one whose name the address contains (the
    longest, so that "Phường Bắc Nha Trang" wins over "Phường Nha Trang"); else the province."""
    if address_id:
        area = db.session.scalars(select(Area).where(Area.code == address_id)).one_or_none()
        if area is None:
            raise ApiError(400, _("There is no place with the address_id “%(code)s”.", code=address_id))
        return area
    areas = list(db.session.scalars(select(Area)))
    folded = fold(address)
    named = [area for area in areas if area.parent_id is not None and fold(area.name) in folded] if folded else []
    if named:
        return max(named, key=lambda area: len(area.name))
    return next(area for area in sorted(areas, key=lambda a: a.id) if area.parent_id is None)


def _email(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        email = validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        email = ""
    if not email or len(email) > 200:
        raise ApiError(400, _("Give a valid email address, like name@example.com."))
    return email


def _attribute_values(category: Category, given: Mapping[str, list[str]]) -> dict[str, Any]:
    specs = {spec["code"]: spec for spec in category.extra_fields or []}
    unknown = sorted(set(given) - set(specs))
    if unknown:
        raise ApiError(
            400, _("The service %(service)s has no attribute “%(code)s”.", service=category.code, code=unknown[0])
        )
    values: dict[str, Any] = {}
    for code, spec in specs.items():
        chosen = [value.strip() for value in given.get(code, []) if value.strip()]
        if not chosen:
            if spec.get("required"):
                raise ApiError(
                    400, _("Give attribute[%(code)s]: %(label)s.", code=code, label=localized(spec, "label"))
                )
            continue
        keys = {value["key"] for value in spec.get("values", [])}
        datatype = spec["datatype"]
        if datatype in ("singlevaluelist", "multivaluelist") and any(value not in keys for value in chosen):
            raise ApiError(
                400, _("attribute[%(code)s] must be one of: %(keys)s.", code=code, keys=", ".join(sorted(keys)))
            )
        if datatype == "multivaluelist":
            values[code] = chosen
            continue
        if len(chosen) > 1:
            raise ApiError(400, _("Give attribute[%(code)s] once.", code=code))
        value = chosen[0]
        if datatype == "number":
            try:
                float(value)
            except ValueError:
                raise ApiError(400, _("attribute[%(code)s] must be a number.", code=code)) from None
        if datatype == "datetime":
            value = (
                datetime_param(value, f"attribute[{code}]")
                .astimezone(TIMEZONE)
                .replace(tzinfo=None)
                .isoformat(timespec="minutes")
            )
        if len(value) > (2000 if datatype == "text" else 200):
            raise ApiError(400, _("attribute[%(code)s] is too long.", code=code))
        values[code] = value
    return values
