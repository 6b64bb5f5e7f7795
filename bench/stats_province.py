"""The seeded demo province as the statistics benchmark's seed reads it (its subjects with their
clocks and sample texts, its wards and routes, staff, sample answers and calendar), and the days
on which the seeded tickets are submitted."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from feedback.demo import DEMO_ACCOUNTS
from feedback.extensions import db
from feedback.models import Area, Category, Department, User
from feedback.services.intake.routing import route_submission
from feedback.services.reference import current
from feedback.text import fingerprint, fold
from workflows import Clock, Role, WorkingCalendar

DATA = Path(__file__).resolve().parents[1] / "feedback" / "data"
LOCAL = timedelta(hours=7)
YEARS = 3

# Shares of the work (relative weights): roads, rubbish and drains lead, as in the province.
SUBJECT_WEIGHTS = {
    "GTDB": 18, "MTRT": 14, "CTN": 10, "TTDT": 8, "DIEN": 7, "DDXD": 6, "TTHC": 6, "YTE": 5,
    "ASXH": 4, "DVCTT": 4, "GDDT": 4, "DLGC": 3, "ATTP": 3, "MTKD": 3, "KHAC": 3, "ANTT": 2,
}
WEEKDAY_WEIGHTS = (1.25, 1.15, 1.1, 1.05, 1.0, 0.45, 0.3)


@dataclass(frozen=True)
class Sample:
    title: str
    description: str
    address: str
    folded: str
    fingerprint: str


@dataclass(frozen=True)
class Subject:
    id: int
    code: str
    clock: Clock
    samples: tuple[Sample, ...]


@dataclass(frozen=True)
class Province:
    """What the histories need of the seeded demo province."""

    subjects: list[Subject]
    subject_weights: list[float]
    areas: list[int]
    area_weights: list[float]
    routes: dict[tuple[int, int], tuple[str, int | None]]
    department_ids: dict[str, int]
    officers: dict[str, int]
    intake: int
    leader: int
    heads: dict[str, int]
    answers: dict[str, list[tuple[str, str]]]
    calendar: WorkingCalendar
    auto_close_days: int
    consent_version: str


def load_province() -> Province:
    lines = [json.loads(line) for line in (DATA / "sample_feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    users = {user.email: user for user in db.session.scalars(select(User))}
    departments = {d.id: d.code for d in db.session.scalars(select(Department))}
    officers = {
        departments[user.department_id]: user.id
        for user in users.values()
        if user.role == Role.DEPARTMENT_OFFICER.value and user.department_id
    }
    reference = current()
    subjects = []
    categories = list(db.session.scalars(select(Category).order_by(Category.id)))
    areas = list(db.session.scalars(select(Area).where(Area.parent_id.is_not(None)).order_by(Area.id)))
    routes: dict[tuple[int, int], tuple[str, int | None]] = {}
    for category in categories:
        samples = tuple(
            Sample(item["title"], item["description"], item["address"],
                   fold(f"{item['title']} {item['description']} {item['address']}"),
                   fingerprint(item["title"], item["description"]))
            for item in lines
            if item["category_code"] == category.code
        ) or tuple(Sample(item["title"], item["description"], "", fold(f"{item['title']} {item['description']}"),
                          fingerprint(item["title"], item["description"])) for item in lines[:5])
        subjects.append(Subject(category.id, category.code, reference.clock(category.id, category.urgency), samples))
        for area in areas:
            routed = route_submission(category.code, reference.areas[area.id].path)
            routes[(category.id, area.id)] = (routed.department_code, routed.rule_id)
    answers: dict[str, list[tuple[str, str]]] = {}
    for line in (DATA / "sample_answers.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        answer = item.get("answer_vi") or item["answer_en"]
        answers.setdefault(item["department_code"], []).append((answer, fold(answer)))
    answers[""] = [pair for pairs in answers.values() for pair in pairs]
    heads = {
        account.department_code: users[account.email].id
        for account in DEMO_ACCOUNTS
        if account.role == Role.DEPARTMENT_HEAD and account.department_code
    }
    return Province(
        subjects=subjects,
        subject_weights=list(accumulate(SUBJECT_WEIGHTS.get(s.code, 1) for s in subjects)),
        areas=[area.id for area in areas],
        # Wards of the cities hold more people than island and mountain communes.
        area_weights=list(accumulate(1 / (index + 4) for index in range(len(areas)))),
        routes=routes,
        department_ids={code: id_ for id_, code in departments.items()},
        officers=officers,
        intake=users["intake@example.org"].id,
        leader=users["leader@example.org"].id,
        heads=heads,
        answers=answers,
        calendar=reference.calendar,
        auto_close_days=current_app.config["AUTO_CLOSE_DAYS"],
        consent_version=current_app.config["PRIVACY_NOTICE_VERSION"],
    )


def submission_days(count: int, now: datetime, rng: random.Random, calendar: WorkingCalendar) -> list[date]:
    """The local day each ticket is submitted on, sorted (ticket ids follow submission order):
    three years growing by a third a year, weekday peaks, fewer on holidays, more in the rainy
    season (October to December)."""
    today = (now + LOCAL).date()
    days = [today - timedelta(days=offset) for offset in range(YEARS * 365, -1, -1)]
    weights = []
    for index, day in enumerate(days):
        weight = WEEKDAY_WEIGHTS[day.weekday()] * (1 + index / 365 / 3)
        if day.weekday() < 5 and not calendar.is_working_day(day):
            weight *= 0.4
        if day.month >= 10:
            weight *= 1.2
        weights.append(weight)
    return sorted(rng.choices(days, weights, k=count))
