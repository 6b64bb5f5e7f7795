"""Open data: the indicators per month, department and category, and the published tickets,
for anyone to download as CSV or JSON (issue 7, "Open statistics").

The files read the same in every language (codes, with names in Vietnamese and in English), so
a shared cache may keep them. The aggregates are read from the rollups, as the statistics page
is; the published tickets are read in pages of EXPORT_BATCH ids and written out page by page,
so that a province's million tickets never sit in memory at once.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.sql import ColumnElement

from feedback.extensions import db
from feedback.models import Area, Category, Department, Rating, StatRollup, Ticket
from feedback.services.statistics import files
from feedback.services.statistics.reading import (
    FLOWS,
    INDICATORS,
    POSITIONS,
    Freshness,
    Point,
    StatFilters,
    add_months,
    breakdown,
    freshness,
    handling_sums,
    overall,
    series,
    sums,
    where_rollups,
)
from feedback.services.submitters.board import is_published
from workflows import TIMEZONE
from workflows.indicators import COUNTERS, Totals

# Tickets read per query: keyset pages over ids, each written out before the next is read.
EXPORT_BATCH = 1000
RATES = tuple(indicator for indicator in INDICATORS if indicator.form != "count")
RATE_DIGITS = 4

AGGREGATE_COLUMNS = (
    "period", "period_start", "period_end", "channel", "kind",
    "department_code", "department_name_vi", "department_name_en",
    "category_code", "category_name_vi", "category_name_en",
    *COUNTERS,
    *(indicator.key for indicator in RATES),
)
TICKET_COLUMNS = (
    "code", "kind", "channel",
    "category_code", "category_name_vi", "category_name_en",
    "area_code", "area_name",
    "department_code", "department_name_vi", "department_name_en",
    "status", "submitted_at", "accepted_at", "deadline", "answered_at", "on_time", "rating",
    "title", "answer",
)
LICENCE = "Free to reuse for any purpose, with attribution to the source."


@dataclass(frozen=True)
class PublicStatistics:
    total: Totals
    months: list[Point]
    departments: list[tuple[Department, Totals]]
    categories: list[tuple[Category, Totals]]
    freshness: Freshness


def public_statistics(filters: StatFilters) -> PublicStatistics:
    """What the public statistics page shows: the period's totals, month by month, and per
    department and per category (those with activity or open work), the busiest first."""
    per_department = breakdown(filters, "department")
    per_category = breakdown(filters, "category")

    def ranked(models: Iterable[Any], totals: Mapping[int, Totals]) -> list[Any]:
        pairs = [(model, totals[model.id]) for model in models]
        return sorted(pairs, key=lambda pair: (-pair[1].counts["received"], pair[0].code))

    departments = db.session.scalars(select(Department).where(Department.id.in_(per_department)))
    categories = db.session.scalars(select(Category).where(Category.id.in_(per_category)))
    return PublicStatistics(
        total=overall(filters),
        months=series(filters, "m", filters.first, filters.last),
        departments=ranked(departments, per_department),
        categories=ranked(categories, per_category),
        freshness=freshness(),
    )


@dataclass(frozen=True)
class Aggregate:
    """The totals of one department (None: all) and one category (None: all) over the months
    from `first` to `last`."""

    first: date
    last: date
    department: Department | None
    category: Category | None
    totals: Totals


def aggregates(filters: StatFilters) -> list[Aggregate]:
    """The period's totals (overall, per department, per category, per department and category),
    then each month's per department and category: every pair with activity or open work.

    Its size follows the rollups' cube, not the number of tickets: it is built whole, then written."""
    departments = {d.id: d for d in db.session.scalars(select(Department).order_by(Department.code))}
    categories = {c.id: c for c in db.session.scalars(select(Category).order_by(Category.code))}
    months = _monthly(filters)
    per_pair: dict[tuple[int, int], Totals] = {}
    for (month, department_id, category_id), totals in months.items():
        pair = per_pair.setdefault((department_id, category_id), Totals())
        pair.counts.update({name: totals.counts[name] for name in FLOWS})
        pair.handling.update(totals.handling)
        if month == filters.last:
            pair.counts.update({name: totals.counts[name] for name in POSITIONS})

    def whole(department_id: int | None, category_id: int | None, totals: Totals) -> Aggregate:
        return Aggregate(
            filters.first,
            filters.last,
            departments.get(department_id) if department_id is not None else None,
            categories.get(category_id) if category_id is not None else None,
            totals,
        )

    def code(model: Department | Category | None) -> str:
        return model.code if model is not None else ""

    def order(row: Aggregate) -> tuple[date, str, str]:
        return row.first, code(row.department), code(row.category)

    # The same figures as the page's, from the same functions.
    rows = [whole(None, None, overall(filters))]
    rows += sorted((whole(key, None, t) for key, t in breakdown(filters, "department").items()), key=order)
    rows += sorted((whole(None, key, t) for key, t in breakdown(filters, "category").items()), key=order)
    rows += sorted((whole(d, c, t) for (d, c), t in per_pair.items()), key=order)
    rows += sorted(
        (Aggregate(month, month, departments.get(d), categories.get(c), t) for (month, d, c), t in months.items()),
        key=order,
    )
    return rows


def aggregate_pages(filters: StatFilters) -> Iterator[list[dict[str, Any]]]:
    records = [aggregate_record(row, filters) for row in aggregates(filters)]
    for start in range(0, len(records), EXPORT_BATCH):
        yield records[start : start + EXPORT_BATCH]


def _monthly(filters: StatFilters) -> dict[tuple[date, int, int], Totals]:
    """Each month's totals per department and category, the open work at each month's end
    included; months with neither activity nor open work are left out."""
    where = where_rollups(filters, "dc", "m")
    pair = (StatRollup.department_id, StatRollup.category_id)
    # The open work at the period's start: every change before it.
    positions: dict[tuple[int, int], list[int]] = {
        (d, c): [backlog, overdue]
        for d, c, backlog, overdue in db.session.execute(
            select(*pair, *sums(POSITIONS))
            .where(*where, StatRollup.period < filters.first)
            .group_by(*pair)
        )
    }
    flows: dict[tuple[date, int, int], dict[str, int]] = {}
    for d, c, month, *values in db.session.execute(
        select(*pair, StatRollup.period, *sums(COUNTERS))
        .where(*where, StatRollup.period >= filters.first, StatRollup.period <= filters.last)
        .group_by(*pair, StatRollup.period)
    ):
        flows[(month, d, c)] = dict(zip(COUNTERS, values, strict=True))
    handling: defaultdict[tuple[date, int, int], Counter[int]] = defaultdict(Counter)
    in_period = [StatRollup.period >= filters.first, StatRollup.period <= filters.last]
    for (d, c, month), days, answers in handling_sums([*pair, StatRollup.period], [*where, *in_period]):
        handling[(month, d, c)][days] += answers

    months: dict[tuple[date, int, int], Totals] = {}
    for d, c in sorted(set(positions) | {(d, c) for _, d, c in flows}):
        position = positions.get((d, c), [0, 0])
        month = filters.first
        while month <= filters.last:
            counts = flows.get((month, d, c), {})
            position = [position[0] + counts.get("backlog", 0), position[1] + counts.get("overdue", 0)]
            if any(counts.get(name) for name in FLOWS) or any(position):
                counted = {name: counts.get(name, 0) for name in FLOWS}
                totals = Totals.of({**counted, **dict(zip(POSITIONS, position, strict=True))})
                totals.handling.update(handling.get((month, d, c), {}))
                months[(month, d, c)] = totals
            month = add_months(month, 1)
    return months


def last_day(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def aggregate_record(row: Aggregate, filters: StatFilters) -> dict[str, Any]:
    month = row.first.strftime("%Y-%m")
    return {
        # A whole period reads as an ISO 8601 interval of months: 2026-01/2026-12.
        "period": month if row.first == row.last else f"{month}/{row.last.strftime('%Y-%m')}",
        "period_start": row.first.isoformat(),
        "period_end": last_day(row.last).isoformat(),
        "channel": filters.channel or "",
        "kind": filters.kind or "",
        **_named("department", row.department),
        **_named("category", row.category),
        **{name: row.totals.counts[name] for name in COUNTERS},
        **{indicator.key: _rounded(indicator.value(row.totals)) for indicator in RATES},
    }


def _named(prefix: str, model: Department | Category | None) -> dict[str, str]:
    return {
        f"{prefix}_code": model.code if model else "",
        f"{prefix}_name_vi": model.name_vi if model else "",
        f"{prefix}_name_en": model.name_en if model else "",
    }


def _rounded(value: int | float | None) -> int | float | None:
    return round(value, RATE_DIGITS) if isinstance(value, float) else value


def published_ticket_pages(filters: StatFilters) -> Iterator[list[dict[str, Any]]]:
    """The published tickets received in the filters' months, in pages of EXPORT_BATCH, by id.

    Only what the public board shows of a ticket, less what a person may have written about
    themselves (the description, the address): never the submitter's details, files or
    rating comment. The columns are selected one by one so that nothing else is read."""
    rating = (
        select(Rating.level)
        .where(Rating.ticket_id == Ticket.id, Rating.superseded.is_(False))
        .order_by(Rating.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            Ticket.id,
            Ticket.code,
            Ticket.kind,
            Ticket.channel,
            Category.code.label("category_code"),
            Category.name_vi.label("category_name_vi"),
            Category.name_en.label("category_name_en"),
            Area.code.label("area_code"),
            Area.name.label("area_name"),
            Department.code.label("department_code"),
            Department.name_vi.label("department_name_vi"),
            Department.name_en.label("department_name_en"),
            Ticket.status,
            Ticket.submitted_at,
            Ticket.accepted_at,
            Ticket.deadline.label("deadline"),
            Ticket.resolved_at,
            Ticket.resolve_due,
            rating.label("rating"),
            Ticket.title,
            Ticket.answer,
        )
        .join(Category, Category.id == Ticket.category_id)
        .join(Area, Area.id == Ticket.area_id)
        .join(Department, Department.id == Ticket.department_id)
        .where(is_published(), *_received_in(filters))
        .order_by(Ticket.id)
    )
    after, batch = 0, EXPORT_BATCH
    while True:
        rows = db.session.execute(query.where(Ticket.id > after).limit(batch)).all()
        if rows:
            yield [_ticket_record(row) for row in rows]
        if len(rows) < batch:
            return
        after = rows[-1].id


def _received_in(filters: StatFilters) -> list[ColumnElement[bool]]:
    start = datetime.combine(filters.first, time(), tzinfo=TIMEZONE)
    end = datetime.combine(add_months(filters.last, 1), time(), tzinfo=TIMEZONE)
    conditions = [Ticket.submitted_at >= start, Ticket.submitted_at < end]
    if filters.channel:
        conditions.append(Ticket.channel == filters.channel)
    if filters.kind:
        conditions.append(Ticket.kind == filters.kind)
    return conditions


def _ticket_record(row: Any) -> dict[str, Any]:
    return {
        "code": row.code,
        "kind": row.kind,
        "channel": row.channel,
        "category_code": row.category_code,
        "category_name_vi": row.category_name_vi,
        "category_name_en": row.category_name_en,
        "area_code": row.area_code,
        "area_name": row.area_name,
        "department_code": row.department_code,
        "department_name_vi": row.department_name_vi,
        "department_name_en": row.department_name_en,
        "status": row.status,
        "submitted_at": iso_moment(row.submitted_at),
        "accepted_at": iso_moment(row.accepted_at),
        "deadline": iso_moment(row.deadline),
        "answered_at": iso_moment(row.resolved_at),
        # As the on-time rate judges an answer: against the deadline as it stands now.
        "on_time": row.resolved_at <= row.resolve_due if row.resolved_at and row.resolve_due else None,
        "rating": row.rating,
        "title": row.title,
        "answer": row.answer,
    }


def iso_moment(value: datetime | None) -> str | None:
    # Local time with its offset: unambiguous, and the day people know it by.
    return value.astimezone(TIMEZONE).isoformat(timespec="seconds") if value else None


def csv_chunks(columns: Sequence[str], pages: Iterable[Iterable[Mapping[str, Any]]]) -> Iterator[str]:
    """The records as CSV rows in the order of `columns`, one chunk per page."""
    return files.csv_chunks(columns, ([[record[name] for name in columns] for record in page] for page in pages))


def json_chunks(meta: Mapping[str, Any], pages: Iterable[Iterable[Mapping[str, Any]]]) -> Iterator[str]:
    """One JSON document, {"meta": {...}, "data": [...]}, written as it is read."""
    yield '{"meta": ' + json.dumps(meta, ensure_ascii=False) + ', "data": ['
    separator = "\n"
    for page in pages:
        lines = [json.dumps(record, ensure_ascii=False) for record in page]
        if lines:
            yield separator + ",\n".join(lines)
            separator = ",\n"
    yield "\n]}\n"
