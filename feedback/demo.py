"""The demo province (Khánh Hòa after the July 2025 merger) and one account for each role.

The data files under feedback/data/ come from the project's reference data; areas.json is
built from the `vietnam-provinces` package by scripts/build_areas.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import AnswerTemplate, Area, Category, Department, RoutingRule, Ticket, User, utcnow
from feedback.services.handling.actions import accept_ticket, resolve_ticket
from feedback.services.intake.submissions import Submission, submit_ticket
from feedback.services.submitters.responses import rate_ticket
from workflows import Role

DATA = Path(__file__).parent / "data"
DEMO_PASSWORD = "demo-pakn-2026"
# The one-time-code secret of the demo accounts that must use codes (see the README): public,
# like the password, so that anyone trying the demo can add it to an authenticator app.
DEMO_TOTP_SECRET = "PAKNDEMOKHANHHOATOTPSECRETQRSTUV"
DEMO_TOTP_ACCOUNTS = ("leader@example.org", "admin@example.org")

# Rules narrower than a category's default, to show that the most specific rule wins.
LOCAL_RULES = (
    ("CTN", "Phường Nha Trang", "UBNDXA"),
    ("DDXD", "Đặc khu Trường Sa", "UBNDXA"),
)


# Standard answers staff start from: (category code or None for any subject, language, title, body).
ANSWER_TEMPLATES = (
    ("GTDB", "vi", "Đã sửa chữa mặt đường",
     ("Kính gửi ông/bà,\n\nSở Xây dựng đã tiếp nhận phản ánh và chỉ đạo đơn vị quản lý đường bộ kiểm tra, "
     "sửa chữa hư hỏng tại vị trí ông/bà nêu. Việc sửa chữa đã hoàn thành vào ngày ...\n\n"
     "Trân trọng cảm ơn ông/bà đã phản ánh.")),
    ("CTN", "vi", "Đã khơi thông cống thoát nước",
     ("Kính gửi ông/bà,\n\nĐơn vị thoát nước đã nạo vét, khơi thông tuyến cống tại khu vực ông/bà phản ánh. "
     "Sở Xây dựng sẽ tiếp tục theo dõi trong mùa mưa.\n\nTrân trọng cảm ơn ông/bà đã phản ánh.")),
    ("MTRT", "vi", "Đã thu gom rác thải",
     ("Kính gửi ông/bà,\n\nĐơn vị vệ sinh môi trường đã thu gom rác thải tại địa điểm ông/bà nêu và bố trí "
     "lịch thu gom thường xuyên.\n\nTrân trọng cảm ơn ông/bà đã phản ánh.")),
    (None, "vi", "Trả lời chung",
     ("Kính gửi ông/bà,\n\nCơ quan đã tiếp nhận và xem xét phản ánh, kiến nghị của ông/bà. Kết quả xử lý như sau: "
     "...\n\nTrân trọng cảm ơn ông/bà đã phản ánh.")),
    (None, "en", "General answer",
     ("Dear Sir or Madam,\n\nWe have received and examined your feedback. This is what was done: ...\n\n"
     "Thank you for writing to us.")),
)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: Role
    department_code: str | None


DEMO_ACCOUNTS = (
    DemoAccount("intake@example.org", Role.INTAKE_OFFICER, "TTPVHCC"),
    DemoAccount("officer.sxd@example.org", Role.DEPARTMENT_OFFICER, "SXD"),
    DemoAccount("head.sxd@example.org", Role.DEPARTMENT_HEAD, "SXD"),
    DemoAccount("leader@example.org", Role.LEADER, "VPUBND"),
    DemoAccount("admin@example.org", Role.ADMINISTRATOR, None),
)


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def is_seeded() -> bool:
    return bool(db.session.scalar(select(func.count(Department.id))))


def seed_demo() -> list[DemoAccount]:
    """Fill an empty database with the demo province; returns the accounts that were made."""
    areas = _seed_areas(_load("areas.json"))
    departments = _seed_departments(_load("departments.json"))
    categories = _seed_categories(_load("categories.json"), departments)
    for category_code, language, title, body in ANSWER_TEMPLATES:
        db.session.add(AnswerTemplate(
            category=categories[category_code] if category_code else None, language=language, title=title, body=body
        ))
    for code, area_name, department_code in LOCAL_RULES:
        db.session.add(
            RoutingRule(category=categories[code], area=areas[area_name], department=departments[department_code])
        )
    accounts = list(DEMO_ACCOUNTS) + [
        DemoAccount(f"officer.{code.lower()}@example.org", Role.DEPARTMENT_OFFICER, code)
        for code, department in departments.items()
        if department.kind in ("department", "commune") and not department.external and code != "SXD"
    ]
    for account in accounts:
        user = User(
            email=account.email,
            name=account.email.split("@")[0],
            role=account.role.value,
            department=departments[account.department_code] if account.department_code else None,
        )
        user.set_password(DEMO_PASSWORD)
        if account.email in DEMO_TOTP_ACCOUNTS:
            user.totp_secret = DEMO_TOTP_SECRET
            user.totp_confirmed_at = utcnow()
        db.session.add(user)
    db.session.commit()
    return accounts


def _seed_areas(tree: dict[str, Any]) -> dict[str, Area]:
    province = Area(code=tree["code"], name=tree["name"], kind=tree["kind"])
    db.session.add(province)
    by_name = {province.name: province}
    for child in tree["children"]:
        area = Area(code=child["code"], name=child["name"], kind=child["kind"], parent=province)
        db.session.add(area)
        by_name[area.name] = area
    return by_name


def _seed_departments(records: list[dict[str, Any]]) -> dict[str, Department]:
    departments: dict[str, Department] = {}
    for record in records:
        departments[record["code"]] = Department(
            code=record["code"],
            name_vi=record["name_vi"],
            name_en=record["name_en"],
            kind=record["kind"],
            email=record["email"],
            is_intake=record["is_intake"],
            external=record["external"],
        )
        db.session.add(departments[record["code"]])
    db.session.flush()
    for record in records:
        if record["parent_code"]:
            departments[record["code"]].parent_id = departments[record["parent_code"]].id
    return departments


def _seed_categories(
    records: list[dict[str, Any]], departments: dict[str, Department]
) -> dict[str, Category]:
    categories: dict[str, Category] = {}
    for record in records:
        category = Category(
            code=record["code"],
            name_vi=record["name_vi"],
            name_en=record["name_en"],
            description_vi=record["description_vi"],
            description_en=record["description_en"],
            urgency=record["urgency"],
            applies_to=record["applies_to"],
            external=record["external"],
            extra_fields=record.get("extra_fields", []),
        )
        db.session.add(category)
        categories[record["code"]] = category
        # Matters for an outside body (the police) go to intake, which forwards them.
        if not record["external"]:
            db.session.add(RoutingRule(category=category, department=departments[record["default_department_code"]]))
    return categories


def seed_sample_tickets(now: datetime) -> int:
    """Answered tickets from the sample data, spread over the past ten weeks, so that the
    dashboard has figures: some answered late, some rated not satisfied, some not rated.
    Everything goes through the services, so every ticket has its full event history."""
    feedback = [json.loads(line) for line in (DATA / "sample_feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    answers = [json.loads(line) for line in (DATA / "sample_answers.jsonl").read_text(encoding="utf-8").splitlines()]
    intake = db.session.scalars(select(User).where(User.role == Role.INTAKE_OFFICER.value)).first()
    officers = {
        user.department.code: user
        for user in db.session.scalars(select(User).where(User.role == Role.DEPARTMENT_OFFICER.value))
        if user.department
    }
    categories = {c.code: c.id for c in db.session.scalars(select(Category))}
    areas = {a.name: a.id for a in db.session.scalars(select(Area))}
    made = 0
    for n, answer in enumerate(answers):
        officer = officers.get(answer["department_code"])
        if intake is None or officer is None or officer.department_id is None:
            continue
        item = feedback[answer["feedback_index"]]
        submitted_at = now - timedelta(days=70 - n, hours=n % 7)
        receipt = submit_ticket(
            _sample_submission(item, categories, areas),
            actor=None,
            now=submitted_at,
        )
        ticket_id = receipt.ticket.id
        accepted_at = submitted_at + timedelta(days=1)
        accept_ticket(intake, ticket_id, officer.department_id, now=accepted_at)
        resolved_at = accepted_at + timedelta(days=18 if n % 7 == 0 else 2 + n % 5)
        resolve_ticket(officer, ticket_id, answer.get("answer_vi") or answer["answer_en"], now=resolved_at)
        if n % 6 != 5:
            level = ("satisfied", "satisfied", "acceptable", "satisfied", "not_satisfied")[n % 5]
            rate_ticket(db.session.get_one(Ticket, ticket_id), level, "", now=resolved_at + timedelta(days=1))
        made += 1
    # A dozen more still in hand, some of them late, so that the inboxes are not empty.
    answered = {answer["feedback_index"] for answer in answers}
    waiting = [i for i, item in enumerate(feedback) if item["expected"] == "accept" and i not in answered]
    for n, index in enumerate(waiting[:12]):
        item = feedback[index]
        receipt = submit_ticket(
            _sample_submission(item, categories, areas),
            actor=None,
            now=now - timedelta(days=3 * n, hours=n),
        )
        if intake is not None and n % 2:
            accept_ticket(intake, receipt.ticket.id, receipt.ticket.department_id, now=now - timedelta(days=3 * n - 1))
        made += 1
    return made


def _sample_submission(item: dict[str, Any], categories: dict[str, int], areas: dict[str, int]) -> Submission:
    return Submission(
        kind=item["kind"],
        category_id=categories[item["category_code"]],
        area_id=areas[item["area_hint"]],
        title=item["title"],
        description=item["description"],
        address=item["address"],
        language=item["language"],
        # Every fifth sample is private and every third anonymous, so the board shows both rules.
        is_public=len(item["title"]) % 5 != 0,
        is_anonymous=len(item["title"]) % 3 == 0,
        consent_version=current_app.config["PRIVACY_NOTICE_VERSION"],
    )
