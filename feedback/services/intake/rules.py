"""What a valid submission is, wherever it comes from: the web form, an officer's entry for a
caller, or the Open311 API. The forms and the API check the same limits, and read what people
type (phone numbers, coordinates) with the same functions."""

from __future__ import annotations

import re

KINDS = ("feedback", "recommendation")
# How a submission reached the province: the web form, the API, or an officer entering what came
# by telephone, in person, by letter or by email.
STAFF_CHANNELS = ("hotline", "walk_in", "letter", "email")
CHANNELS = ("web", "api", *STAFF_CHANNELS)
TITLE_LENGTH = (5, 120)
DESCRIPTION_LENGTH = (20, 5000)
ADDRESS_MAX = 300
NAME_MAX = 200
# Vietnam from the mainland to the Trường Sa special zone of Khánh Hòa, with a margin.
LATITUDES = (8.0, 23.5)
LONGITUDES = (102.0, 118.0)
MOBILE_PREFIXES = ("03", "05", "07", "08", "09")
_PHONE_NOISE = re.compile(r"[\s.\-()]")


def normalize_phone(typed: str) -> str | None:
    """0xxxxxxxxx for a Vietnamese number typed with +84, spaces or dots; None if it is not one."""
    digits = _PHONE_NOISE.sub("", typed)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    # isdigit() alone takes the digits of every script ("٠٩٠٥…", "²"), which no phone dials.
    if not (digits.isascii() and digits.isdigit()) or not digits.startswith("0") or len(digits) not in (10, 11):
        return None
    return digits


def is_mobile(phone: str) -> bool:
    """Whether a number (as normalize_phone gives it) can receive text messages."""
    return phone.startswith(MOBILE_PREFIXES) and len(phone) == 10


def parse_coordinate(typed: str) -> float | None:
    # Vietnamese writes the decimal mark as a comma: 12,2388 is 12.2388.
    try:
        return float(typed.strip().replace(",", "."))
    except ValueError:
        return None


def latitude_in_vietnam(latitude: float) -> bool:
    return LATITUDES[0] <= latitude <= LATITUDES[1]


def longitude_in_vietnam(longitude: float) -> bool:
    return LONGITUDES[0] <= longitude <= LONGITUDES[1]


def length_fits(text: str, limits: tuple[int, int]) -> bool:
    return limits[0] <= len(text) <= limits[1]
