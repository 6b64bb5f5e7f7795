"""Open statistics: the indicators for anyone, without signing in, and the open data files
(the aggregates and the published tickets, as CSV and JSON) to reuse them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from feedback.forms.statistics import StatFilterForm
from feedback.i18n import localized
from feedback.models import utcnow
from feedback.services.statistics import open_data
from feedback.services.statistics.reading import (
    INDICATORS,
    ON_TIME_TARGET,
    SATISFACTION_TARGET,
    StatFilters,
    freshness,
    month_start,
)
from feedback.views.charts import month_ticks, rates_chart, volume_chart
from workflows import local_date
from workflows.indicators import Totals

bp = Blueprint("open_data", __name__, url_prefix="/statistics")

# The rollups move every minute: a copy a few minutes old is fine to serve from a cache.
CACHE_SECONDS = 300
# Two tables for each breakdown, each narrow enough for a desktop's page: every indicator is in one.
FLOW = ("received", "accepted", "rejected", "resolved", "backlog", "overdue", "on_time_rate", "on_time_rate_national")
GROUPS = (
    (_l("Received, answered and on time"), tuple(i for i in INDICATORS if i.key in FLOW)),
    (_l("Handling time and satisfaction"), tuple(i for i in INDICATORS if i.key not in FLOW)),
)
DATASETS = {"indicators": open_data.AGGREGATE_COLUMNS, "published-tickets": open_data.TICKET_COLUMNS}
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@dataclass(frozen=True)
class Row:
    """A row of templates/_indicators.html's indicator_table."""

    label: str
    key: str
    totals: Totals
    href: str | None = None


def _filters() -> tuple[StatFilterForm, StatFilters]:
    form = StatFilterForm(request.args)
    form.validate()
    return form, form.filters(month_start(local_date(utcnow())))


def _query(filters: StatFilters) -> dict[str, str]:
    """The query arguments that ask for these filters (for the download links)."""
    arguments = {"first": filters.first.strftime("%Y-%m"), "last": filters.last.strftime("%Y-%m")}
    if filters.channel:
        arguments["channel"] = filters.channel
    if filters.kind:
        arguments["kind"] = filters.kind
    return arguments


@bp.get("")
def statistics() -> str:
    form, filters = _filters()
    return _page(form, filters)


def _page(form: StatFilterForm, filters: StatFilters) -> str:
    figures = open_data.public_statistics(filters)
    months, ticks = figures.months, month_ticks(figures.months)
    return render_template(
        "public/statistics.html",
        form=form,
        filters=filters,
        figures=figures,
        indicators=INDICATORS,
        groups=GROUPS,
        charts=[
            volume_chart("months-volume", _("Received and answered by month"), _("Month"), months, ticks),
            rates_chart("months-rates", _("Satisfaction and on-time rates by month"), _("Month"), months, ticks),
        ],
        departments=[Row(localized(d, "name"), d.code, totals) for d, totals in figures.departments],
        categories=[Row(localized(c, "name"), c.code, totals) for c, totals in figures.categories],
        target=SATISFACTION_TARGET,
        on_time_target=ON_TIME_TARGET,
        query=_query(filters),
    )


@bp.get("/open-data")
def about() -> str:
    return render_template("public/open_data.html")


@bp.get("/<any(indicators, 'published-tickets'):dataset>.<any(csv, json):extension>")
def download(dataset: str, extension: str) -> Response | tuple[str, int]:
    form, filters = _filters()
    if form.errors:
        # A link the page made is always valid: this one was written by hand.
        return _page(form, filters), 400
    pages = open_data.aggregate_pages(filters) if dataset == "indicators" else open_data.published_ticket_pages(filters)
    columns = DATASETS[dataset]
    if extension == "csv":
        chunks = open_data.csv_chunks(columns, pages)
    else:
        chunks = open_data.json_chunks(_meta(dataset, filters, columns), pages)
    response = Response(stream_with_context(chunks), content_type=MEDIA_TYPES[extension])
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(dataset, filters, extension)}"'
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


def _filename(dataset: str, filters: StatFilters, extension: str) -> str:
    parts = [dataset, filters.first.strftime("%Y-%m"), filters.last.strftime("%Y-%m")]
    parts += [value for value in (filters.channel, filters.kind) if value]
    return "_".join(parts) + "." + extension


def _meta(dataset: str, filters: StatFilters, columns: tuple[str, ...]) -> dict[str, Any]:
    meta = {
        "dataset": dataset,
        "source": url_for(".statistics", _external=True),
        "documentation": url_for(".about", _external=True),
        "licence": open_data.LICENCE,
        "period_start": filters.first.isoformat(),
        "period_end": open_data.last_day(filters.last).isoformat(),
        "channel": filters.channel,
        "kind": filters.kind,
        "generated_at": open_data.iso_moment(utcnow()),
        "columns": list(columns),
    }
    if dataset == "indicators":
        # As of the last statistics run; the published tickets are read as they are now.
        meta["statistics_compiled_at"] = open_data.iso_moment(freshness().updated_at)
    return meta
