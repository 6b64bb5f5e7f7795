"""A history built through the real services in September and October 2026, and its figures worked
out by hand, which the statistics read back through feedback/services/statistics must equal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Area, Category, Department, Ticket, User
from feedback.services.handling import actions as handling
from feedback.services.handling import cooperation
from feedback.services.intake.submissions import Submission, submit_ticket
from feedback.services.submitters import responses as following
from workflows import TIMEZONE
from workflows.indicators import COUNTERS, Totals

NT, CR = "Phường Nha Trang", "Phường Cam Ranh"
SEP, OCT = date(2026, 9, 1), date(2026, 10, 1)


# Who: (category, area, channel, kind). GTDB goes to SXD (10 working days to answer), DIEN to
# SCT (3 working days). Every deadline is the end of a local day; 7 Sep-31 Oct 2026 has no holiday.
TICKETS = {
    "T1": ("GTDB", NT, "web", "feedback"),  # on time, satisfied
    "T2": ("GTDB", CR, "hotline", "feedback"),  # on time thanks to its extension, unrated
    "T3": ("DIEN", NT, "web", "recommendation"),  # late, acceptable
    "T4": ("GTDB", CR, "web", "feedback"),  # transferred to SCT, paused in time, not satisfied
    "T5": ("GTDB", NT, "web", "feedback"),  # not satisfied, reopened, answered again, satisfied
    "T6": ("DIEN", NT, "hotline", "feedback"),  # rejected in time
    "T7": ("GTDB", CR, "web", "feedback"),  # rejected late
    "T8": ("GTDB", NT, "hotline", "recommendation"),  # extended, late all the same, unrated
    "T9": ("DIEN", CR, "web", "recommendation"),  # waiting for its submitter, asked in time
    "T10": ("GTDB", NT, "web", "feedback"),  # never accepted, past its deadline to classify
    "T11": ("GTDB", CR, "web", "feedback"),  # accepted, open past its deadline
    "T12": ("DIEN", NT, "web", "feedback"),  # waiting for its submitter, asked too late
}

# (month, day, hour, ticket, action, argument), in time order; local times in 2026.
STEPS: list[tuple[int, int, int, str, str, Any]] = [
    (9, 7, 9, "T1", "submit", None),
    (9, 8, 9, "T2", "submit", None),
    (9, 8, 10, "T8", "submit", None),
    (9, 8, 11, "T1", "accept", "SXD"),  # due end of Tue 22 Sep
    (9, 9, 9, "T3", "submit", None),
    (9, 9, 10, "T2", "accept", "SXD"),  # due Wed 23 Sep
    (9, 9, 11, "T8", "accept", "SXD"),  # due Wed 23 Sep
    (9, 10, 9, "T4", "submit", None),
    (9, 10, 10, "T3", "accept", "SCT"),  # due Tue 15 Sep (11, 14, 15)
    (9, 11, 9, "T4", "accept", "SXD"),  # due Fri 25 Sep
    (9, 14, 9, "T5", "submit", None),
    (9, 14, 10, "T4", "transfer", "SCT"),  # keeps its deadline
    (9, 15, 9, "T1", "resolve", None),  # 6 working days after submission (8-11, 14, 15)
    (9, 15, 10, "T5", "accept", "SXD"),  # due Tue 29 Sep
    (9, 15, 11, "T4", "ask", None),
    (9, 16, 9, "T6", "submit", None),  # to classify by Fri 18 Sep
    (9, 16, 10, "T1", "rate", "satisfied"),
    (9, 17, 9, "T6", "reject", None),
    (9, 18, 9, "T3", "resolve", None),  # late; 7 working days (10, 11, 14-18)
    (9, 18, 10, "T4", "reply", None),  # 3 working days waited (16-18): due Wed 30 Sep
    (9, 19, 9, "T3", "rate", "acceptable"),
    (9, 21, 9, "T5", "resolve", None),
    (9, 21, 10, "T2", "extend", 2),  # due Fri 25 Sep
    (9, 21, 11, "T8", "extend", 2),  # due Fri 25 Sep
    (9, 22, 9, "T5", "rate", "not_satisfied"),
    (9, 23, 9, "T5", "reopen", None),  # a new round, due Wed 7 Oct
    (9, 25, 10, "T2", "resolve", None),  # 13 working days (9-11, 14-18, 21-25)
    (9, 29, 9, "T4", "resolve", None),  # 13 working days (11, 14-18, 21-25, 28, 29)
    (9, 30, 9, "T4", "rate", "not_satisfied"),  # may still reopen: stays resolved
    (10, 1, 9, "T7", "submit", None),  # to classify by Mon 5 Oct
    (10, 5, 9, "T5", "resolve", None),  # 15 working days (15-18, 21-25, 28-2, 5)
    (10, 5, 10, "T12", "submit", None),
    (10, 6, 9, "T5", "rate", "satisfied"),
    (10, 6, 10, "T12", "accept", "SCT"),  # due Fri 9 Oct
    (10, 7, 9, "T7", "reject", None),
    (10, 12, 9, "T11", "submit", None),
    (10, 13, 9, "T8", "resolve", None),  # 25 working days (9-11, 14-18, ..., 12, 13)
    (10, 13, 10, "T11", "accept", "SXD"),  # due Tue 27 Oct
    (10, 13, 11, "T12", "ask", None),
    (10, 19, 9, "T9", "submit", None),
    (10, 20, 9, "T9", "accept", "SCT"),  # due Fri 23 Oct
    (10, 21, 9, "T9", "ask", None),
    (10, 28, 9, "T10", "submit", None),  # to classify by Fri 30 Oct
]


def local(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TIMEZONE)


def _user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def _id(column: Any, value: str) -> int:
    """The id of the one row of the column's model where it has this value."""
    return db.session.scalars(select(column.class_.id).where(column == value)).one()


def submit(name: str, now: datetime, category: str | None = None, area: str | None = None) -> int:
    """As make_ticket, with the ticket's channel and kind."""
    code, place, channel, kind = TICKETS.get(name, (category, area, "web", "feedback"))
    receipt = submit_ticket(
        Submission(
            kind=kind, channel=channel, title=f"Phản ánh {name}",
            category_id=_id(Category.code, code), area_id=_id(Area.name, place),
            description="Sự việc kéo dài nhiều ngày, đề nghị cơ quan chức năng kiểm tra.",
        ),
        actor=None, now=now,
    )
    return receipt.ticket.id


def act(action: str, ticket_id: int, argument: Any, now: datetime, decider: str = "head.sxd@example.org") -> None:
    ticket = db.session.get_one(Ticket, ticket_id)
    officer = _user(f"officer.{ticket.department.code.lower()}@example.org")
    intake = _user("intake@example.org")
    match action:
        case "accept":
            handling.accept_ticket(intake, ticket_id, _id(Department.code, argument), now=now)
        case "reject":
            handling.reject_ticket(intake, ticket_id, "Không thuộc phạm vi tiếp nhận", now=now)
        case "transfer":
            department_id = _id(Department.code, argument)
            cooperation.transfer_ticket(_user(decider), ticket_id, department_id, "Thuộc lĩnh vực khác", now=now)
        case "extend":
            handling.extend_deadline(_user(decider), ticket_id, argument, "Cần khảo sát thêm", now=now)
        case "ask":
            handling.request_information(officer, ticket_id, "Xin bổ sung ảnh hiện trường", now=now)
        case "reply":
            following.provide_information(ticket, "Ảnh đã gửi kèm", [], now=now)
        case "resolve":
            handling.resolve_ticket(officer, ticket_id, "Đã xử lý xong theo phản ánh.", now=now)
        case "rate":
            following.rate_ticket(ticket, argument, "", now=now)
        case "reopen":
            following.reopen_ticket(ticket, "Vẫn chưa sửa xong", now=now)
        case _:
            raise ValueError(action)


def build_history(after_step: Callable[[datetime], None] = lambda now: None) -> None:
    ids: dict[str, int] = {}
    for month, day, hour, name, action, argument in STEPS:
        now = local(month, day, hour)
        if action == "submit":
            ids[name] = submit(name, now)
        else:
            act(action, ids[name], argument, now)
        after_step(now)


def figures(totals: Totals) -> dict[str, Any]:
    return {name: totals.counts[name] for name in COUNTERS} | {"handling": dict(totals.handling)}


def zero(**counts: Any) -> dict[str, Any]:
    return dict.fromkeys(COUNTERS, 0) | {"handling": {}} | counts


# September 2026. Flows: received T1-T6, T8; accepted T1-T5, T8; rejected T6; answered for good
# T1-T4 (T5's last answer is in October), on time T1, T2 (extended), T4 (paused); answered once
# T1-T5, T5 reopened; transferred T4; rated T1 satisfied, T3 acceptable, T4 not satisfied (T5's
# first rating was superseded); national_ok T1 and T2 (unrated; T3 late, T4 not satisfied).
# Positions at the end of 30 Sep: open T5 (reopened) and T8, overdue T8 (due 25 Sep).
SEPTEMBER = zero(
    received=7,
    accepted=6,
    rejected=1,
    resolved=4,
    on_time=3,
    backlog=2,
    overdue=1,
    answered=5,
    reopened=1,
    transfers=1,
    rated=3,
    satisfied=1,
    acceptable=1,
    not_satisfied=1,
    national_ok=2,
    handling={6: 1, 7: 1, 13: 2},
)
# October: received T7, T9-T12; accepted T9, T11, T12; rejected T7; answered for good T5 (on
# time, satisfied) and T8 (late, first answer, unrated). Open at the end of 31 Oct: T9-T12;
# overdue T10 (from 31 Oct), T11 (from 28 Oct), T12 (asked after its deadline); T9 was asked in time.
OCTOBER = zero(
    received=5,
    accepted=3,
    rejected=1,
    resolved=2,
    on_time=1,
    backlog=4,
    overdue=3,
    answered=1,
    rated=1,
    satisfied=1,
    national_ok=1,
    handling={15: 1, 25: 1},
)
