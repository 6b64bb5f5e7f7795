"""Conditions that pick tickets by subject, place (with every place below it), status, kind and
words typed without diacritics: the public board and the staff inbox filter with the same ones."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, select

from feedback.models import Area, Ticket
from feedback.text import search_terms
from workflows import Status

STATUS_GROUPS = {
    "open": (Status.ACCEPTED, Status.IN_PROGRESS, Status.WAITING_FOR_SUBMITTER, Status.REOPENED),
    "answered": (Status.RESOLVED, Status.CLOSED),
}
# A query longer than this many words is refining nothing and only costs LIKE scans.
MAX_QUERY_TERMS = 10


@dataclass(frozen=True)
class TicketFilters:
    category_id: int | None = None
    area_id: int | None = None
    # A status code, or a key of STATUS_GROUPS.
    status: str | None = None
    kind: str | None = None
    query: str = ""


def filter_conditions(filters: TicketFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.category_id is not None:
        conditions.append(Ticket.category_id == filters.category_id)
    if filters.area_id is not None:
        conditions.append(Ticket.area_id.in_(area_subtree(filters.area_id)))
    if filters.status in STATUS_GROUPS:
        conditions.append(Ticket.status.in_([status.value for status in STATUS_GROUPS[filters.status]]))
    elif filters.status:
        conditions.append(Ticket.status == filters.status)
    if filters.kind:
        conditions.append(Ticket.kind == filters.kind)
    for term in search_terms(filters.query)[:MAX_QUERY_TERMS]:
        conditions.append(Ticket.search_text.like(f"%{escape_like(term)}%", escape="\\"))
    return conditions


def area_subtree(area_id: int) -> Select[int]:
    """The area and every area below it, at any depth."""
    tree = select(Area.id).where(Area.id == area_id).cte("area_subtree", recursive=True)
    tree = tree.union_all(select(Area.id).where(Area.parent_id == tree.c.id))
    return select(tree.c.id)


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
