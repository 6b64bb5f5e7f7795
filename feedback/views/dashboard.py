"""The leaders' dashboard (DESIGN.md, "Indicators"): headline figures against the targets,
trends by month and week, the league table of departments and its drill-down to categories,
areas and the tickets themselves, hotspots, exports and a printable report.

Every figure is read from the rollups through feedback/services/statistics.py; only the last
step of the drill-down lists tickets. The filters and the sort order travel in the query
string, so any view can be linked to, exported and printed as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from feedback.forms.statistics import StatFilterForm
from feedback.i18n import localized
from feedback.models import Area, Category, Department, utcnow
from feedback.services.statistics import (
    INDICATORS,
    ON_TIME_TARGET,
    SATISFACTION_TARGET,
    Dimension,
    StatFilters,
    add_months,
    breakdown,
    freshness,
    get_member,
    hotspots,
    may_read_dashboard,
    members,
    month_start,
    overall,
    received_tickets,
    require_dashboard,
    series,
    week_start,
)
from feedback.text import fold
from feedback.views.board import _page_numbers
from feedback.views.charts import Chart, trend_charts
from feedback.views.dashboard_export import export_response
from workflows import local_date
from workflows.indicators import Totals

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.add_app_template_global(may_read_dashboard)

DIMENSIONS: tuple[Dimension, ...] = ("department", "category", "area")
SORT_KEYS = frozenset({"name", *(indicator.key for indicator in INDICATORS)})
DEFAULT_SORT = "received"
_INDICATOR = {indicator.key: indicator for indicator in INDICATORS}


@bp.before_request
@login_required
def require_leaders() -> None:
    require_dashboard(current_user)


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
        return url_for(endpoint, **{**self.kept, **values})

    def here(self, **values: object) -> str:
        """This page with the same filters and order, but for the values given."""
        return url_for(request.endpoint or ".overview", **{**(request.view_args or {}), **self.kept, **values})

    def sort_link(self, key: str) -> str:
        """Sorting by a column: largest figures (or names from A) first; again reverses."""
        descending = not self.descending if key == self.sort else key != "name"
        return self.here(sort=key, order="desc" if descending else "asc")


def _query() -> Query:
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


def _sorted(rows: list[Row], sort: str, descending: bool) -> list[Row]:
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


def _rows(filters: StatFilters, by: Dimension, href: Callable[[int], str]) -> list[Row]:
    totals = breakdown(filters, by)
    return [
        Row(_name(member), member.code, href(member_id), totals[member_id])
        for member_id, member in members(by, totals).items()
    ]


def _name(member: Department | Category | Area) -> str:
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


def _level(query: Query, department_id: int | None = None, category_id: int | None = None) -> Level:
    trail = [(_("All departments"), query.link(".overview"))]
    if department_id is None:
        rows = _rows(query.filters, "department", lambda key: query.link(".department", department_id=key))
        return Level("department", query.filters, trail, _("Departments"), _("Department"),
                     _sorted(rows, query.sort, query.descending), overall(query.filters), {}, [])
    department = get_member("department", department_id)
    trail.append((_name(department), query.link(".department", department_id=department_id)))
    filters = replace(query.filters, department_id=department_id)
    if category_id is None:
        rows = _rows(filters, "category", lambda key: query.link(
            ".category", department_id=department_id, category_id=key))
        return Level("category", filters, trail, _("Subjects handled by %(name)s", name=_name(department)),
                     _("Subject"), _sorted(rows, query.sort, query.descending), overall(filters),
                     {"department_id": department_id}, [department.code])
    category = get_member("category", category_id)
    trail.append((_name(category), query.link(".category", department_id=department_id, category_id=category_id)))
    filters = replace(filters, category_id=category_id)
    rows = _rows(filters, "area", lambda key: query.link(
        ".tickets", department=department_id, category=category_id, area=key))
    return Level("area", filters, trail,
                 _("Places: %(subject)s, %(department)s", subject=_name(category), department=_name(department)),
                 _("Place"), _sorted(rows, query.sort, query.descending), overall(filters),
                 {"department_id": department_id, "category_id": category_id}, [department.code, category.code])


def _page(template: str, query: Query, level: Level, **context: object) -> str:
    return render_template(
        template,
        query=query,
        level=level,
        indicators=INDICATORS,
        freshness=freshness(),
        quick_periods=_quick_periods(query),
        satisfaction_target=SATISFACTION_TARGET,
        on_time_target=ON_TIME_TARGET,
        **context,
    )


@bp.get("/")
def overview() -> str:
    query = _query()
    level = _level(query)
    return _page(
        "dashboard/overview.html",
        query,
        level,
        previous=overall(query.filters.previous()),
        charts=_charts(query),
        hot_areas=_hotspot_rows(query, "area"),
        hot_categories=_hotspot_rows(query, "category"),
    )


@bp.get("/departments/<int:department_id>")
def department(department_id: int) -> str:
    query = _query()
    return _page("dashboard/drill.html", query, _level(query, department_id), tickets_link=query.link(
        ".tickets", department=department_id))


@bp.get("/departments/<int:department_id>/categories/<int:category_id>")
def category(department_id: int, category_id: int) -> str:
    query = _query()
    return _page("dashboard/drill.html", query, _level(query, department_id, category_id), tickets_link=query.link(
        ".tickets", department=department_id, category=category_id))


@bp.get("/tickets")
def tickets() -> str:
    query = _query()
    slices = {name: value for name in DIMENSIONS if (value := request.args.get(name, type=int)) is not None}
    named = {name: get_member(name, value) for name, value in slices.items()}
    trail = [(_("All departments"), query.link(".overview"))]
    if "department" in slices:
        trail.append((_name(named["department"]), query.link(".department", department_id=slices["department"])))
        if "category" in slices:
            trail.append((_name(named["category"]), query.link(
                ".category", department_id=slices["department"], category_id=slices["category"])))
    filters = replace(query.filters, **{f"{name}_id": value for name, value in slices.items()})
    result = received_tickets(current_user, filters, request.args.get("page", 1, type=int))
    names = ", ".join(_name(member) for member in named.values())
    return render_template(
        "dashboard/tickets.html",
        query=query,
        trail=trail,
        heading=_("Tickets received: %(what)s", what=names) if names else _("Tickets received"),
        slices=slices,
        here={**query.kept, **slices},
        result=result,
        numbers=_page_numbers(result.page, result.pages),
    )


@bp.get("/export.<any(csv, xlsx):fmt>")
@bp.get("/departments/<int:department_id>/export.<any(csv, xlsx):fmt>")
@bp.get("/departments/<int:department_id>/categories/<int:category_id>/export.<any(csv, xlsx):fmt>")
def export(fmt: Literal["csv", "xlsx"], department_id: int | None = None, category_id: int | None = None) -> Response:
    query = _query()
    return export_response(_level(query, department_id, category_id), fmt)


@bp.get("/report")
def report() -> str:
    query = _query()
    level = _level(query)
    per_category = _rows(query.filters, "category", lambda key: query.link(".tickets", category=key))
    return _page(
        "dashboard/report.html",
        query,
        level,
        previous=overall(query.filters.previous()),
        charts=_charts(query),
        per_category=_sorted(per_category, query.sort, query.descending),
    )


def _charts(query: Query) -> list[Chart]:
    """By month: the twelve months ending with the period's last; by week: the thirteen weeks
    ending with the period's last day (or today, for a period not over yet)."""
    filters = query.filters
    months = series(filters, "m", add_months(filters.last, -11), filters.last)
    last_week = week_start(min(filters.last_day, query.today))
    weeks = series(filters, "w", last_week - timedelta(weeks=12), last_week)
    return trend_charts(months, weeks)


@dataclass(frozen=True)
class HotRow:
    label: str
    key: str
    href: str
    received: int
    previous: int
    rise: int
    rise_rate: float | None


def _hotspot_rows(query: Query, by: Literal["area", "category"]) -> list[HotRow]:
    spots = hotspots(query.filters, by)
    named = members(by, [spot.key for spot in spots])
    return [
        HotRow(_name(named[spot.key]), named[spot.key].code, query.link(".tickets", **{by: spot.key}),
               spot.received, spot.previous, spot.rise, spot.rise_rate)
        for spot in spots
        if spot.key in named
    ]


def _quick_periods(query: Query) -> list[tuple[str, str, bool]]:
    """Links to the periods reports are made for: (label, link, whether it is the one shown)."""
    this_month = month_start(query.today)
    quarter = this_month.replace(month=(this_month.month - 1) // 3 * 3 + 1)
    january = this_month.replace(month=1)
    periods = [
        (_("This month"), this_month, this_month),
        (_("Last month"), add_months(this_month, -1), add_months(this_month, -1)),
        (_("This quarter"), quarter, this_month),
        (_("This year"), january, this_month),
        (_("Last year"), add_months(january, -12), add_months(january, -1)),
    ]
    return [
        (label, query.here(first=f"{first:%Y-%m}", last=f"{last:%Y-%m}"),
         (first, last) == (query.filters.first, query.filters.last))
        for label, first, last in periods
    ]
