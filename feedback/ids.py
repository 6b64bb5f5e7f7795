"""Row ids as addresses, query strings and forms carry them: ASCII digits, no larger than an id
column holds. A lookup by such an id finds a row or nothing; a larger one would fail in the
database (PostgreSQL: integer out of range; SQLite: an int too large to bind), a 500 for a typo."""

from __future__ import annotations

# PostgreSQL's integer, the type of every id column; SQLite's holds more.
LARGEST_ID = 2**31 - 1
_MOST_DIGITS = len(str(LARGEST_ID))


def is_possible_id(number: int) -> bool:
    return 0 < number <= LARGEST_ID


def read_id(text: str) -> int | None:
    """The id written in the text, or None. int() alone would read the digits of every script."""
    if not (text.isascii() and text.isdigit() and len(text) <= _MOST_DIGITS):
        return None
    number = int(text)
    return number if is_possible_id(number) else None


def parse_id(text: str) -> int:
    """read_id for `request.args.get(name, type=parse_id)`, which takes a ValueError as no value."""
    number = read_id(text)
    if number is None:
        raise ValueError(f"not an id: {text[:20]!r}")
    return number
