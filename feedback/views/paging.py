"""Page links for the lists that come in pages (the public board, the inbox, the dashboard's tickets)."""

from __future__ import annotations

from itertools import pairwise


def page_numbers(page: int, pages: int) -> list[int | None]:
    """The first, the last and the pages around the current one; None where pages are skipped."""
    shown = sorted({1, pages, *range(max(1, page - 1), min(pages, page + 1) + 1)})
    numbers: list[int | None] = []
    for previous, number in pairwise([0, *shown]):
        if number - previous > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers
