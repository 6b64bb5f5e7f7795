"""The leaders' dashboard (DESIGN.md, "Indicators"): headline figures against the targets,
trends by month and week, the league table of departments and its drill-down to categories,
areas and the tickets themselves, hotspots, exports and a printable report.

Every figure is read from the rollups through feedback/services/statistics/reading.py; only the last
step of the drill-down lists tickets. The filters and the sort order travel in the query
string, so any view can be linked to, exported and printed as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Literal

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from feedback.ids import parse_id
from feedback.services.statistics.reading import (
    INDICATORS,
    ON_TIME_TARGET,
    SATISFACTION_TARGET,
    add_months,
    freshness,
    get_member,
    hotspots,
    members,
    month_start,
    overall,
    received_tickets,
    series,
    week_start,
)
from feedback.views.charts import Chart, trend_charts
from feedback.views.dashboard.export import export_response
from feedback.views.dashboard.levels import (
    DIMENSIONS,
    Level,
    Query,
    indicator_rows,
    level_for,
    member_name,
    read_query,
    sorted_rows,
)
from feedback.views.paging import page_numbers
from feedback.views.routes import Routes

routes = Routes()


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


@routes.get("/")
def overview() -> str:
    query = read_query()
    level = level_for(query)
    return _page(
        "dashboard/overview.html",
        query,
        level,
        previous=overall(query.filters.previous()),
        charts=_charts(query),
        hot_areas=_hotspot_rows(query, "area"),
        hot_categories=_hotspot_rows(query, "category"),
    )


@routes.get("/departments/<int:department_id>")
def department(department_id: int) -> str:
    query = read_query()
    return _page("dashboard/drill.html", query, level_for(query, department_id), tickets_link=query.link(
        ".tickets", department=department_id))


@routes.get("/departments/<int:department_id>/categories/<int:category_id>")
def category(department_id: int, category_id: int) -> str:
    query = read_query()
    return _page("dashboard/drill.html", query, level_for(query, department_id, category_id), tickets_link=query.link(
        ".tickets", department=department_id, category=category_id))


@routes.get("/tickets")
def tickets() -> str:
    query = read_query()
    slices = {name: value for name in DIMENSIONS if (value := request.args.get(name, type=parse_id)) is not None}
    named = {name: get_member(name, value) for name, value in slices.items()}
    trail = [(_("All departments"), query.link(".overview"))]
    if "department" in slices:
        trail.append((member_name(named["department"]), query.link(".department", department_id=slices["department"])))
        if "category" in slices:
            trail.append((member_name(named["category"]), query.link(
                ".category", department_id=slices["department"], category_id=slices["category"])))
    filters = replace(
        query.filters,
        department_id=slices.get("department", query.filters.department_id),
        category_id=slices.get("category", query.filters.category_id),
        area_id=slices.get("area", query.filters.area_id),
    )
    result = received_tickets(current_user, filters, request.args.get("page", 1, type=int))
    names = ", ".join(member_name(member) for member in named.values())
    return render_template(
        "dashboard/tickets.html",
        query=query,
        trail=trail,
        heading=_("Tickets received: %(what)s", what=names) if names else _("Tickets received"),
        slices=slices,
        here={**query.kept, **slices},
        result=result,
        numbers=page_numbers(result.page, result.pages),
    )


@routes.get("/export.<any(csv, xlsx):fmt>")
@routes.get("/departments/<int:department_id>/export.<any(csv, xlsx):fmt>")
@routes.get("/departments/<int:department_id>/categories/<int:category_id>/export.<any(csv, xlsx):fmt>")
def export(fmt: Literal["csv", "xlsx"], department_id: int | None = None, category_id: int | None = None) -> Response:
    query = read_query()
    return export_response(level_for(query, department_id, category_id), fmt)


@routes.get("/report")
def report() -> str:
    query = read_query()
    level = level_for(query)
    per_category = indicator_rows(query.filters, "category", lambda key: query.link(".tickets", category=key))
    return _page(
        "dashboard/report.html",
        query,
        level,
        previous=overall(query.filters.previous()),
        charts=_charts(query),
        per_category=sorted_rows(per_category, query.sort, query.descending),
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
        HotRow(member_name(named[spot.key]), named[spot.key].code, query.link(".tickets", **{by: spot.key}),
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
