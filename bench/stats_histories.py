"""Ticket histories for the statistics benchmark, lived through the workflow engine.

Each ticket goes through `workflows.case` on the demo province's routing rules, calendar and
deadline policies (submit, accept or reject, transfer, assign, start, ask the submitter and
wait, extend, progress update, escalation by the sweep, resolve, rate, reopen, close), and is
made into rows as the services store it: the columns from its final Case, one `ticket_event` per
step whose payload carries `changes(before, after)`, and its ratings. No step is later than `now`,
so recent tickets are still open."""

from __future__ import annotations

import json
import random
from bisect import bisect
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from bench.stats_province import LOCAL, Province, Subject
from feedback.codes import ALPHABET, format_code
from feedback.codes import _check_symbol as check_symbol
from feedback.models import Ticket
from feedback.services.intake.rules import STAFF_CHANNELS
from workflows import Action, Case, Clock, Role, case, changes
from workflows.ladder import ESCALATION_OF, ladder

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
CHANNEL_WEIGHTS = {"web": 62, "hotline": 14, "walk_in": 9, "email": 7, "letter": 4, "api": 4}
# Local hour of submission: daytime, with a lunch dip and an evening tail of web submissions.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 9, 14, 14, 13, 10, 6, 9, 12, 12, 11, 9, 7, 6, 5, 4, 3, 2)
REJECTED = 0.04
REJECTED_EXTERNAL = 0.6  # matters for the police: forwarded, and rejected here
LATE_SCREENING = 0.03
FORGOTTEN = 0.004  # accepted, then never answered: the overdue backlog time reveals
TRANSFERRED, TRANSFERRED_TWICE = 0.05, 0.15
ASSIGNED = 0.7
STARTED = 0.9
ASKED, NEVER_ANSWERED = 0.07, 0.05
EXTENDED_WHEN_TIGHT = 0.45
RATED = 0.62
# Cumulative weights of satisfied, acceptable, not satisfied: on time, and late.
RATING_WEIGHTS = {False: (74, 92, 100), True: (45, 70, 100)}
REOPENED = 0.5  # of the not satisfied who may reopen
LEVELS = ("satisfied", "acceptable", "not_satisfied")

TICKET_COLUMNS = tuple(column.name for column in Ticket.__table__.columns)
EVENT_COLUMNS = ("id", "ticket_id", "action", "from_status", "to_status", "actor_id", "actor_role",
                 "reason", "payload", "is_public", "created_at")
RATING_COLUMNS = ("id", "ticket_id", "level", "comment", "superseded", "created_at")


class _Later(Exception):
    """The next step would come after now: the ticket stays as it is."""


class Histories:
    """Makes tickets one after another and collects their rows, ready to load."""

    def __init__(self, province: Province, now: datetime) -> None:
        self.province = province
        self.now = now
        # Rows without their ids (events and ratings are numbered when loaded).
        self._opened: Case | None = None
        self.tickets: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.ratings: list[list[Any]] = []
        self._hours = list(accumulate(HOUR_WEIGHTS))
        self._channels = list(CHANNEL_WEIGHTS)
        self._channel_weights = list(accumulate(CHANNEL_WEIGHTS.values()))

    def take(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[list[Any]]]:
        rows = self.tickets, self.events, self.ratings
        self.tickets, self.events, self.ratings = [], [], []
        return rows

    def make(self, ticket_id: int, day: date, rng: random.Random) -> None:
        province = self.province
        subject = province.subjects[_pick(province.subject_weights, rng)]
        area = province.areas[_pick(province.area_weights, rng)]
        department, rule = province.routes[(subject.id, area)]
        channel = self._channels[_pick(self._channel_weights, rng)]
        hour = _pick(self._hours, rng)
        submitted = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), UTC) - LOCAL
        submitted = min(submitted, self.now - timedelta(seconds=rng.randrange(1, 3600)))
        self._ticket, self._opened, self._at = ticket_id, None, submitted
        self._answer: tuple[str, str] | None = None
        staff_entry = channel in STAFF_CHANNELS
        try:
            self._step(Action.SUBMIT, case.open_case(department, submitted, subject.clock), submitted,
                       province.intake if staff_entry else None,
                       Role.INTAKE_OFFICER if staff_entry else Role.SUBMITTER,
                       payload={"department": department, "rule": rule, "keyword": None, "channel": channel})
            self._live(subject, department, rng)
        except _Later:
            pass
        self.tickets.append(self._row(subject, area, channel, rule, rng))

    # A ticket's life -----------------------------------------------------------------

    @property
    def _case(self) -> Case:
        """The ticket's case after its last step: every step but the submission has one."""
        assert self._opened is not None
        return self._opened

    def _live(self, subject: Subject, routed: str, rng: random.Random) -> None:
        province, clock = self.province, subject.clock
        late = rng.random() < LATE_SCREENING
        at = self._office(self._at + DAY * (rng.uniform(3, 8) if late else rng.expovariate(2)), rng)
        if rng.random() < (REJECTED_EXTERNAL if subject.code == "ANTT" else REJECTED):
            reason = "Nội dung không thuộc thẩm quyền giải quyết; đã hướng dẫn gửi cơ quan có thẩm quyền."
            self._step(Action.REJECT, case.reject(self._case, Role.INTAKE_OFFICER, at, reason), at,
                       province.intake, Role.INTAKE_OFFICER, reason=reason)
            return
        # Intake's own department and outside bodies do not handle work: intake picks one that does.
        department = routed if routed in province.officers else rng.choice(list(province.officers))
        payload = {"department": department}
        if department != routed:
            payload["routed_department"] = routed
        self._step(Action.ACCEPT, case.accept(self._case, Role.INTAKE_OFFICER, at, clock, department), at,
                   province.intake, Role.INTAKE_OFFICER, payload=payload)
        if rng.random() < FORGOTTEN:
            self._escalate(self.now, clock)
            return
        if rng.random() < TRANSFERRED:
            for _ in range(2 if rng.random() < TRANSFERRED_TWICE else 1):
                target = rng.choice([code for code in province.officers if code != self._case.department])
                at = self._office(self._at + DAY * rng.uniform(0.2, 3), rng)
                reason = "Nội dung thuộc lĩnh vực của đơn vị khác."
                self._step(Action.TRANSFER, case.transfer(self._case, Role.INTAKE_OFFICER, target, reason), at,
                           province.intake, Role.INTAKE_OFFICER, reason=reason,
                           payload={"from": self._case.department, "to": target})
        self._round(clock, rng)

    def _round(self, clock: Clock, rng: random.Random) -> None:
        """From accepted (or reopened) to the answer and what the submitter makes of it."""
        province = self.province
        round_start = self._at
        officer = province.officers[self._case.department]
        if rng.random() < ASSIGNED and self._case.assignee != officer:
            at = self._office(self._at + HOUR * rng.uniform(0.5, 20), rng)
            self._step(Action.ASSIGN, case.assign(self._case, Role.DEPARTMENT_OFFICER, officer, officer), at,
                       officer, Role.DEPARTMENT_OFFICER, payload={"assignee": officer}, public=False)
        if rng.random() < STARTED:
            at = self._office(self._at + DAY * rng.uniform(0, 1.5), rng)
            started = case.start(self._case, Role.DEPARTMENT_OFFICER)
            self._step(Action.START, started, at, officer, Role.DEPARTMENT_OFFICER)
            if rng.random() < ASKED:
                at = self._office(self._at + DAY * rng.uniform(0.3, 3), rng)
                question = "Đề nghị ông/bà cung cấp thêm hình ảnh và vị trí cụ thể."
                self._step(
                    Action.REQUEST_INFO,
                    case.request_info(self._case, Role.DEPARTMENT_OFFICER, at, question),
                    at,
                    officer,
                    Role.DEPARTMENT_OFFICER,
                    reason=question,
                )
                if rng.random() < NEVER_ANSWERED:
                    return
                at = self._at + DAY * rng.uniform(0.5, 8)
                self._step(
                    Action.PROVIDE_INFO,
                    case.provide_info(self._case, at, clock),
                    at,
                    None,
                    Role.SUBMITTER,
                    payload={"text": "Tôi gửi bổ sung vị trí và hình ảnh."},
                )
        due = self._case.resolve_due
        assert due is not None
        # The share of the allowed time the answer takes: median about half, one in eight late.
        target = round_start + (due - round_start) * rng.lognormvariate(-0.65, 0.55)
        if target > due - DAY and rng.random() < EXTENDED_WHEN_TIGHT and not self._case.extension_days:
            at = self._office(max(self._at + HOUR, due - DAY * rng.uniform(1, 3)), rng)
            head = province.heads.get(self._case.department)
            reason = "Cần phối hợp với đơn vị liên quan để kiểm tra hiện trường."
            days = rng.randint(3, clock.policy.max_extension_days)
            self._step(
                Action.EXTEND,
                case.extend(self._case, Role.DEPARTMENT_HEAD if head else Role.LEADER, days, reason, clock, at),
                at,
                head or province.leader,
                Role.DEPARTMENT_HEAD if head else Role.LEADER,
                reason=reason,
                payload={"days": days, "previous_due": due.isoformat()},
            )
        if target - self._at > DAY * 9:
            at = self._office(self._at + DAY * 7, rng)
            note = "Đơn vị đang phối hợp kiểm tra, sẽ trả lời trong thời hạn."
            self._step(
                Action.PROGRESS_UPDATE,
                case.progress_update(self._case, Role.DEPARTMENT_OFFICER, at, note),
                at,
                officer,
                Role.DEPARTMENT_OFFICER,
                reason=note,
            )
        at = self._office(max(target, self._at + HOUR / 2), rng)
        self._escalate(at, clock)
        self._answer = rng.choice(province.answers.get(self._case.department) or province.answers[""])
        self._step(
            Action.RESOLVE,
            case.resolve(self._case, Role.DEPARTMENT_OFFICER, at),
            at,
            officer,
            Role.DEPARTMENT_OFFICER,
            payload={"answer": self._answer[0]},
        )
        self._after_answer(clock, rng)

    def _after_answer(self, clock: Clock, rng: random.Random) -> None:
        resolved, due = self._case.resolved_at, self._case.resolve_due
        assert resolved is not None and due is not None
        closing = self.province.calendar.add_working_days(resolved, self.province.auto_close_days)
        rating = None
        if rng.random() < RATED:
            at = min(self._at + HOUR * rng.expovariate(1 / 30), closing - HOUR)
            level = LEVELS[_pick(RATING_WEIGHTS[resolved > due], rng)]
            self._step(Action.RATE, case.rate(self._case), at, None, Role.SUBMITTER, payload={"rating": level})
            rating = [self._ticket, level, "", False, at]
            self.ratings.append(rating)
            if level != "not_satisfied" or not case.may_reopen(self._case):
                self._step(
                    Action.CLOSE,
                    case.close(self._case, Role.SUBMITTER, at),
                    at,
                    None,
                    Role.SUBMITTER,
                    payload={"rating": level},
                )
                return
            if rng.random() < REOPENED:
                at = min(self._at + DAY * rng.uniform(0.2, 4), closing - HOUR)
                reason = "Vấn đề chưa được giải quyết triệt để."
                self._step(
                    Action.REOPEN, case.reopen(self._case, at, reason, clock), at, None, Role.SUBMITTER, reason=reason
                )
                rating[3] = True
                self._round(clock, rng)
                return
        # The follow-up sweep closes what the submitter left.
        at = closing + timedelta(minutes=rng.uniform(1, 50))
        self._step(
            Action.CLOSE,
            case.close(self._case, Role.SYSTEM, at),
            at,
            None,
            Role.SYSTEM,
            payload={"why": "not_rated" if rating is None else "not_reopened"},
        )

    def _escalate(self, until: datetime, clock: Clock) -> None:
        """What the deadline sweep records before `until`: the head, then the leader."""
        for rung in ladder(self._case, clock):
            level = ESCALATION_OF.get(rung.rung)
            if level is None or rung.at >= until:
                continue
            at = rung.at + timedelta(minutes=3)
            due = self._case.due
            self._step(
                Action.ESCALATE,
                case.escalate(self._case, Role.SYSTEM, level),
                at,
                None,
                Role.SYSTEM,
                payload={"level": level.value, "why": "overdue", "due": due.isoformat()},
                public=False,
            )

    # Rows ------------------------------------------------------------------------------

    def _step(
        self,
        action: Action,
        after: Case,
        at: datetime,
        actor: int | None,
        role: Role,
        *,
        reason: str | None = None,
        payload: dict[str, Any] | None = None,
        public: bool = True,
    ) -> None:
        if at > self.now:
            raise _Later
        before = self._opened
        at = max(at, self._at)
        self.events.append(
            (
                self._ticket,
                action.value,
                before.status.value if before else None,
                after.status.value,
                actor,
                role.value,
                reason,
                json.dumps({**(payload or {}), "changes": changes(before, after)}),
                public,
                at,
            )
        )
        self._opened, self._at = after, at

    def _office(self, moment: datetime, rng: random.Random) -> datetime:
        """The moment, or the next opening of the office (7:30–17:00 local on working days)."""
        local = moment + LOCAL
        day, minutes = local.date(), local.hour * 60 + local.minute
        calendar = self.province.calendar
        if calendar.is_working_day(day) and 450 <= minutes < 1020:
            return moment
        if minutes >= 1020 or not calendar.is_working_day(day):
            day = calendar.shift_working_days(day, 1)
        return datetime.combine(day, time(7, 30), UTC) - LOCAL + timedelta(minutes=rng.uniform(0, 120))

    def _row(self, subject: Subject, area: int, channel: str, rule: int | None, rng: random.Random) -> tuple[Any, ...]:
        final = self._opened
        assert final is not None
        sample = rng.choice(subject.samples)
        number = self._ticket
        answer, folded_answer = self._answer or (None, "")
        email = f"person{number}@example.org" if rng.random() < 0.55 else ""
        values = {
            "id": number,
            "code": ticket_code(number),
            "secret_hash": "0" * 64,
            "kind": "recommendation" if rng.random() < 0.1 else "feedback",
            "channel": channel,
            "language": "vi" if rng.random() < 0.97 else "en",
            "status": final.status.value,
            "category_id": subject.id,
            "area_id": area,
            "address": sample.address,
            "title": sample.title,
            "description": sample.description,
            "latitude": None,
            "longitude": None,
            "attributes": "{}",
            "submitter_type": "business" if rng.random() < 0.06 else "citizen",
            "submitter_name": f"Người gửi {number}" if rng.random() < 0.8 else "",
            "submitter_email": email,
            "submitter_phone": f"09{number % 10**8:08d}" if rng.random() < 0.45 else "",
            "business_name": "",
            "tax_code": "",
            "notify_by": "email" if email else "none",
            "submitter_id": None,
            "is_public": rng.random() < 0.8,
            "is_anonymous": rng.random() < 0.1,
            "consent_at": final.submitted_at,
            "consent_version": self.province.consent_version,
            "search_text": f"{sample.folded} {folded_answer}".strip(),
            "fingerprint": sample.fingerprint,
            "department_id": self.province.department_ids[final.department],
            "routing_rule_id": rule,
            "assignee_id": final.assignee,
            "submitted_at": final.submitted_at,
            "classify_due": final.classify_due,
            "accepted_at": final.accepted_at,
            "resolve_due": final.resolve_due,
            "resolved_at": final.resolved_at,
            "closed_at": final.closed_at,
            "paused_at": final.paused_at,
            "transfer_count": final.transfers,
            "extension_days": final.extension_days,
            "reopen_count": final.reopenings,
            "progress_at": final.progress_at,
            "escalation": final.escalation.value,
            "decision_requested": final.decision_requested,
            "draft_answer": None,
            "answer_state": final.answer_state.value,
            "answer": answer,
            "media_url": "",
            # Set for the pending tickets once they are loaded, as migration 0010 sets it (stats_seed.after_load).
            "next_due_at": None,
        }
        return tuple(values[name] for name in TICKET_COLUMNS)


def _pick(cumulative: Sequence[float], rng: random.Random) -> int:
    return bisect(cumulative, rng.random() * cumulative[-1])


def ticket_code(number: int) -> str:
    """A valid tracking code, distinct per ticket number (a bijection of 40-bit numbers)."""
    value = (number * 0x9E3779B1 + 0x5DEECE66D) % 32**8
    body = "".join(ALPHABET[(value >> (5 * place)) & 31] for place in range(8))
    return format_code(body + check_symbol(body))
