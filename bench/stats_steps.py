"""Real steps through the services on the seeded tickets: what the statistics job then applies.

Each step is what staff or a submitter do in the application (accept, start and ask, answer,
transfer, extend, rate...), on a different recent ticket, with the acting demo account; each
writes its events and StatChange rows and commits.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import Ticket, TicketEvent, User, utcnow
from feedback.services.handling.actions import (
    accept_ticket,
    add_note,
    extend_deadline,
    reject_ticket,
    request_information,
    resolve_ticket,
)
from feedback.services.handling.cooperation import transfer_ticket
from feedback.services.submitters.responses import provide_information, rate_ticket
from workflows import Role, Status

ANSWER = "Đơn vị đã kiểm tra và khắc phục xong. Trân trọng cảm ơn ông/bà."
# (action, weight) per status of the ticket stepped on.
MENU: dict[str, tuple[tuple[str, int], ...]] = {
    Status.SUBMITTED: (("accept", 9), ("reject", 1)),
    Status.ACCEPTED: (("ask", 3), ("resolve", 5), ("transfer", 1), ("extend", 1)),
    Status.IN_PROGRESS: (("resolve", 6), ("note", 2), ("extend", 1), ("transfer", 1)),
    Status.REOPENED: (("resolve", 1),),
    Status.WAITING_FOR_SUBMITTER: (("provide", 1),),
    Status.RESOLVED: (("rate", 1),),
}


def apply_steps(target_events: int, rng: random.Random) -> list[float]:
    """Step on recent tickets until `target_events` events are written; the time of each step (ms)."""
    staff = _Staff()
    first_event = db.session.scalar(select(func.max(TicketEvent.id))) or 0
    pool = list(db.session.execute(
        select(Ticket.id, Ticket.status)
        .where(Ticket.status.in_(list(MENU)))
        .order_by(Ticket.id.desc())
        .limit(target_events * 3)
    ))
    rng.shuffle(pool)
    timings: list[float] = []
    for number, (ticket_id, status) in enumerate(pool):
        actions, weights = zip(*MENU[status], strict=True)
        step = staff.step(rng.choices(actions, weights)[0], ticket_id, rng)
        if step is None:
            continue
        started = time.perf_counter()
        step()
        timings.append((time.perf_counter() - started) * 1000)
        db.session.remove()
        if (
            number % 20 == 0
            and (db.session.scalar(select(func.max(TicketEvent.id))) or 0) - first_event >= target_events
        ):
            break
    return timings


class _Staff:
    def __init__(self) -> None:
        users = list(db.session.scalars(select(User)))
        self.user_ids = {user.email: user.id for user in users}
        self.officers = {
            user.department_id: user.id
            for user in users
            if user.role == Role.DEPARTMENT_OFFICER.value and user.department_id is not None
        }
        self.heads = {
            user.department_id: user.id
            for user in users
            if user.role == Role.DEPARTMENT_HEAD.value and user.department_id is not None
        }
        self.handling = sorted(self.officers)

    def _user(self, user_id: int) -> User:
        return db.session.get_one(User, user_id)

    def step(self, action: str, ticket_id: int, rng: random.Random) -> Callable[[], object] | None:
        ticket = db.session.get_one(Ticket, ticket_id)
        department = ticket.department_id
        officer = self.officers.get(department)
        leader = self.user_ids["leader@example.org"]
        intake = self.user_ids["intake@example.org"]
        now = utcnow()
        if action == "accept":
            target = department if department is not None and department in self.officers else rng.choice(self.handling)
            return lambda: accept_ticket(self._user(intake), ticket_id, target, now=now)
        if action == "reject":
            return lambda: reject_ticket(self._user(intake), ticket_id, "Trùng với phản ánh đã gửi.", now=now)
        if officer is None:
            return None
        if action == "ask":
            return lambda: request_information(self._user(officer), ticket_id, "Xin cung cấp thêm ảnh.", now=now)
        if action == "resolve":
            return lambda: resolve_ticket(self._user(officer), ticket_id, ANSWER, now=now)
        if action == "note":
            return lambda: add_note(self._user(officer), ticket_id, "Đã giao tổ kiểm tra.", now=now)
        if action == "extend":
            if ticket.extension_days:
                return None
            decider = self.heads.get(department, leader)
            return lambda: extend_deadline(self._user(decider), ticket_id, 5, "Cần khảo sát hiện trường.", now=now)
        if action == "transfer":
            target = rng.choice([code for code in self.handling if code != department])
            return lambda: transfer_ticket(self._user(leader), ticket_id, target, "Thuộc lĩnh vực khác.", now=now)
        if action == "provide":
            return lambda: provide_information(db.session.get_one(Ticket, ticket_id), "Ảnh đính kèm.", [], now=now)
        if action == "rate":
            if ticket.rating is not None:
                return None
            level = rng.choices(("satisfied", "acceptable", "not_satisfied"), (70, 20, 10))[0]
            return lambda: rate_ticket(db.session.get_one(Ticket, ticket_id), level, "", now=now)
        raise ValueError(action)
