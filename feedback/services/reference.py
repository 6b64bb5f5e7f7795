"""Reference data, cached in each process while the database's stamp stands: the active subjects,
the filing areas, the routing rules, the departments' codes, the deadline policies and the
working calendar. Every submission needs all of them; administrators change them rarely.

Database triggers give `reference_version.stamp` a new random value with any change to those
tables (migration 0009); one query per request reads it. A random stamp, not a counter: a change
rolled back must not leave a copy built from it looking current when the next change commits.
The copy holds plain frozen values, never ORM objects, so that no request's session can own it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Area, CalendarException, Category, DeadlinePolicyRecord, Department
from feedback.models import RoutingRule as RoutingRuleRecord
from feedback.text import fold
from workflows import Clock, DeadlinePolicy, Rule, Urgency, WorkingCalendar

T = TypeVar("T")
_EXTENSION = "reference"


@dataclass(frozen=True)
class Subject:
    """An active category as forms and the engine read it (the same names as Category's columns)."""

    id: int
    code: str
    name_vi: str
    name_en: str
    description_vi: str
    description_en: str
    urgency: str
    applies_to: str
    extra_fields: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Place:
    """A filing area: a leaf of the area tree, with the codes from the province down to it."""

    id: int
    code: str
    name: str
    folded: str
    path: tuple[str, ...]


@dataclass(frozen=True)
class Unit:
    """A department, as lists and choices show it; `external` for an outside body."""

    id: int
    code: str
    name_vi: str
    name_en: str
    external: bool


@dataclass(frozen=True)
class Reference:
    stamp: int
    subjects: tuple[Subject, ...]
    # The filing areas, by name; every area, the province and its leaves alike, by id.
    places: tuple[Place, ...]
    areas: Mapping[int, Place]
    # Every area, each followed by the areas below it, siblings by name: filters on any level.
    tree: tuple[Place, ...]
    units: tuple[Unit, ...]
    rules: tuple[Rule, ...]
    department_ids: Mapping[str, int]
    intake_code: str
    calendar: WorkingCalendar
    policies: Mapping[int | None, DeadlinePolicy]
    # What is built from this copy once and reused while it stands (form classes, page parts).
    derived: dict[Hashable, Any] = field(default_factory=dict, compare=False)

    def subject(self, category_id: int) -> Subject | None:
        return next((s for s in self.subjects if s.id == category_id), None)

    def policy(self, category_id: int | None) -> DeadlinePolicy:
        """The category's own policy, else the default row, else DESIGN.md's defaults."""
        return self.policies.get(category_id) or self.policies.get(None) or DeadlinePolicy()

    def clock(self, category_id: int, urgency: str) -> Clock:
        return Clock(self.calendar, self.policy(category_id), Urgency(urgency))

    def once(self, key: Hashable, build: Callable[[], T]) -> T:
        """`build()` the first time `key` is asked for with this copy; the same value afterwards."""
        if key not in self.derived:
            self.derived[key] = build()
        value: T = self.derived[key]
        return value


def current() -> Reference:
    """This process's copy, read again from the database when the stamp has changed.
    Checked once per request or job (the app context's `g`)."""
    cached: Reference | None = g.get("reference")
    if cached is not None:
        return cached
    holder = _holder(current_app)
    # Plain SQL: this runs on every request that needs the copy, the form's GET among them.
    stamp = db.session.connection().exec_driver_sql("SELECT stamp FROM reference_version WHERE id = 1").scalar()
    with holder.lock:
        reference = holder.reference
        if reference is None or reference.stamp != stamp:
            reference = holder.reference = _read(stamp or 0)
    g.reference = reference
    return reference


def as_policy(record: DeadlinePolicyRecord | None) -> DeadlinePolicy:
    if record is None:
        return DeadlinePolicy()
    return DeadlinePolicy(
        classify_days=record.classify_days,
        resolve_days={
            Urgency.URGENT: record.urgent_days,
            Urgency.SIMPLE: record.simple_days,
            Urgency.ORDINARY: record.ordinary_days,
            Urgency.COMPLEX: record.complex_days,
        },
        max_extension_days=record.max_extension_days,
        progress_update_every_days=record.progress_update_every_days,
        remind_before_days=record.remind_before_days,
        escalate_leader_after_days=record.escalate_leader_after_days,
    )


def keyword_list(keywords: str) -> tuple[str, ...]:
    """A rule's comma-separated keywords, folded as the text they are looked for in."""
    return tuple(word for word in (fold(part) for part in keywords.split(",")) if word)


@dataclass
class _Holder:
    lock: threading.Lock = field(default_factory=threading.Lock)
    reference: Reference | None = None


def _holder(app: Flask) -> _Holder:
    # One per app: the tests run several apps, on different databases, in one process.
    holder: _Holder = app.extensions.setdefault(_EXTENSION, _Holder())
    return holder


def _read(stamp: int) -> Reference:
    session = db.session
    areas = session.scalars(select(Area)).all()
    by_id = {area.id: area for area in areas}
    parents = {area.parent_id for area in areas if area.parent_id is not None}

    def path(area: Area) -> tuple[str, ...]:
        chain: list[str] = []
        node: Area | None = area
        while node is not None:
            chain.append(node.code)
            node = by_id.get(node.parent_id) if node.parent_id is not None else None
        return tuple(reversed(chain))

    every = {area.id: Place(area.id, area.code, area.name, fold(area.name), path(area)) for area in areas}
    places = tuple(sorted((every[area.id] for area in areas if area.id not in parents), key=lambda p: p.name))
    children: dict[int | None, list[Area]] = {}
    for area in sorted(areas, key=lambda a: a.name):
        children.setdefault(area.parent_id, []).append(area)
    tree: list[Place] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        node = stack.pop()
        tree.append(every[node.id])
        stack.extend(reversed(children.get(node.id, [])))
    categories = session.scalars(select(Category).order_by(Category.id)).all()
    codes = {category.id: category.code for category in categories}
    subjects = tuple(
        Subject(
            c.id, c.code, c.name_vi, c.name_en, c.description_vi, c.description_en, c.urgency, c.applies_to,
            tuple(c.extra_fields or ()),
        )
        for c in categories
        if c.active
    )
    departments = session.scalars(select(Department).order_by(Department.id)).all()
    department_codes = {row.id: row.code for row in departments}
    rules = tuple(
        Rule(
            id=rule.id,
            department_code=department_codes[rule.department_id],
            category_code=codes.get(rule.category_id) if rule.category_id is not None else None,
            area_code=by_id[rule.area_id].code if rule.area_id is not None else None,
            keywords=keyword_list(rule.keywords),
        )
        for rule in session.scalars(select(RoutingRuleRecord).where(RoutingRuleRecord.active))
    )
    exceptions = session.scalars(select(CalendarException)).all()
    return Reference(
        stamp=stamp,
        subjects=subjects,
        places=places,
        areas=every,
        tree=tuple(tree),
        units=tuple(Unit(d.id, d.code, d.name_vi, d.name_en, d.external) for d in departments),
        rules=rules,
        department_ids={row.code: row.id for row in departments},
        intake_code=next((row.code for row in departments if row.is_intake), ""),
        calendar=WorkingCalendar(
            extra_days_off=[row.day for row in exceptions if not row.working],
            extra_working_days=[row.day for row in exceptions if row.working],
        ),
        policies={record.category_id: as_policy(record) for record in session.scalars(select(DeadlinePolicyRecord))},
    )
