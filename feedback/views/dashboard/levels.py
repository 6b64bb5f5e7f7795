"""The dashboard's query string and the levels of its drill-down (departments, then a
department's subjects, then a subject's places), each a table of indicators read from the rollups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from flask import request, url_for
from flask_babel import gettext as _

from feedback.forms.statistics import StatFilterForm
from feedback.i18n import localized
from feedback.models import Area, Category, Department, utcnow
from feedback.services.statistics.reading import (
    INDICATORS,
    Dimension,
    StatFilters,
    breakdown,
    get_member,
    members,
    month_start,
    overall,
)
from feedback.text import fold
from workflows import local_date
from workflows.indicators import Totals

DIMENSIONS: tuple[Dimension, ...] = ("department", "category", "area")
SORT_KEYS = frozenset({"name", *(indicator.key for indicator in INDICATORS)})
DEFAULT_SORT = "received"
_INDICATOR = {indicator.key: indicator for indicator in INDICATORS}


@dataclass(frozen=True)
class Query:
    """What the query string asks for: the filters (with their form, for the errors), the
    sort order, and the arguments that keep both in every link of the page."""

    form: StatFilterForm
    filters: StatFilters
    sort: str
    descending: bool
    kept: dict[str, str]
    today: date

    def link(self, endpoint: str, **values: object) -> str:
        # Any, as url_for types its values: mypy would match a typed ** against _external and _anchor too.
        arguments: dict[str, Any] = {**self.kept, **values}
        return url_for(endpoint, **arguments)

    def here(self, **values: object) -> str:
        """This page with the same filters and order, but for the values given."""
        return url_for(request.endpoint or ".overview", **{**(request.view_args or {}), **self.kept, **values})

    def sort_link(self, key: str) -> str:
        """Sorting by a column: largest figures (or names from A) first; again reverses."""
        descending = not self.descending if key == self.sort else key != "name"
        return self.here(sort=key, order="desc" if descending else "asc")


def read_query() -> Query:
    form = StatFilterForm(request.args)
    form.validate()
    today = local_date(utcnow())
    filters = form.filters(month_start(today))
    # The form shows the months the figures are for, unless it shows what was typed wrong.
    if not (form.first.errors or form.last.errors):
        form.first.data, form.last.data = f"{filters.first:%Y-%m}", f"{filters.last:%Y-%m}"
    sort = request.args.get("sort", DEFAULT_SORT)
    if sort not in SORT_KEYS:
        sort = DEFAULT_SORT
    order = request.args.get("order")
    descending = order == "desc" if order in ("asc", "desc") else sort != "name"
    kept = {"first": f"{filters.first:%Y-%m}", "last": f"{filters.last:%Y-%m}"}
    for name in ("channel", "kind"):
        if getattr(filters, name):
            kept[name] = getattr(filters, name)
    if sort != DEFAULT_SORT or not descending:
        kept |= {"sort": sort, "order": "desc" if descending else "asc"}
    return Query(form, filters, sort, descending, kept, today)


def sorted_rows(rows: list[Row], sort: str, descending: bool) -> list[Row]:
    """Rows in the asked order; rows without the figure (no rated answer, say) always last."""
    by_name = sorted(rows, key=lambda row: fold(row.label))
    if sort == "name":
        return by_name[::-1] if descending else by_name
    indicator = _INDICATOR[sort]
    known = [row for row in by_name if indicator.value(row.totals) is not None]
    known.sort(key=lambda row: indicator.value(row.totals) or 0, reverse=descending)
    return known + [row for row in by_name if indicator.value(row.totals) is None]


@dataclass(frozen=True)
class Row:
    label: str
    key: str
    href: str | None
    totals: Totals


def indicator_rows(filters: StatFilters, by: Dimension, href: Callable[[int], str]) -> list[Row]:
    totals = breakdown(filters, by)
    return [
        Row(member_name(member), member.code, href(member_id), totals[member_id])
        for member_id, member in members(by, totals).items()
    ]


def member_name(member: Department | Category | Area) -> str:
    # Places have one name, the official Vietnamese one.
    return member.name if isinstance(member, Area) else localized(member, "name")


@dataclass(frozen=True)
class Level:
    """One table of the drill-down and where it stands: the trail of links back up to the
    league table, the rows of the table and the total of the slice."""

    by: Dimension
    filters: StatFilters
    trail: list[tuple[str, str]]
    title: str
    first_header: str
    rows: list[Row]
    total: Totals
    # The department and category drilled into: their ids for the links, codes for file names.
    ids: dict[str, int]
    codes: list[str]


def level_for(query: Query, department_id: int | None = None, category_id: int | None = None) -> Level:
    trail = [(_("All departments"), query.link(".overview"))]
    if department_id is None:
        rows = indicator_rows(query.filters, "department", lambda key: query.link(".department", department_id=key))
        return Level("department", query.filters, trail, _("Departments"), _("Department"),
                     sorted_rows(rows, query.sort, query.descending), overall(query.filters), {}, [])
    department = get_member("department", department_id)
    trail.append((member_name(department), query.link(".department", department_id=department_id)))
    filters = replace(query.filters, department_id=department_id)
    if category_id is None:
        rows = indicator_rows(filters, "category", lambda key: query.link(
            ".category", department_id=department_id, category_id=key))
        return Level("category", filters, trail, _("Subjects handled by %(name)s", name=member_name(department)),
                     _("Subject"), sorted_rows(rows, query.sort, query.descending), overall(filters),
                     {"department_id": department_id}, [department.code])
    category = get_member("category", category_id)
    trail.append((member_name(category), query.link(".category", department_id=department_id, category_id=category_id)))
    filters = replace(filters, category_id=category_id)
    rows = indicator_rows(filters, "area", lambda key: query.link(
        ".tickets", department=department_id, category=category_id, area=key))
    return Level(
        "area",
        filters,
        trail,
        _("Places: %(subject)s, %(department)s", subject=member_name(category), department=member_name(department)),
        _("Place"),
        sorted_rows(rows, query.sort, query.descending),
        overall(filters),
        {"department_id": department_id, "category_id": category_id},
        [department.code, category.code],
    )
