"""Random sequences of real staff and submitter actions, through the services and the database:
whatever happens, the invariants hold, and (checked after the test) replaying each ticket's
events gives back its stored state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import uuid4

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from feedback.demo import DEMO_PASSWORD
from feedback.extensions import db
from feedback.models import Department, Ticket, User
from feedback.services.deadlines.automatic import sweep
from feedback.services.deadlines.due import after_answer, clock_of
from feedback.services.deadlines.escalation import escalate_late_tickets
from feedback.services.errors import AccessDenied, NotFoundError
from feedback.services.handling import actions as handling
from feedback.services.handling import cooperation
from feedback.services.handling.events import case_of, recorded_events
from feedback.services.submitters import responses as following
from workflows import TERMINAL, Action, IllegalTransition, Role, Status, next_look, replay_case

ACTIONS = (
    "accept", "reject", "request_info", "provide_info", "extend", "transfer", "progress",
    "resolve", "rate_satisfied", "rate_unhappy", "reopen", "sweep", "contribute", "full_sweep",
)
ACTORS = ("intake@example.org", "officer.sxd@example.org", "head.sxd@example.org",
          "head.sct@example.org", "leader@example.org")

steps = st.lists(
    # Mostly the person whose job the action is, so that walks get far; sometimes anyone.
    st.tuples(st.sampled_from(ACTIONS), st.sampled_from(("fitting",) * 4 + ACTORS), st.integers(0, 24 * 9),
              st.sampled_from(["SXD", "SCT", "SNNMT"]), st.integers(0, 12)),
    min_size=1, max_size=25,
)


def _head_of_sct(app: Flask) -> None:
    with app.app_context():
        if db.session.scalar(select(User.id).where(User.email == "head.sct@example.org")) is None:
            user = User(email="head.sct@example.org", name="head.sct", role=Role.DEPARTMENT_HEAD.value,
                        department_id=db.session.scalar(select(Department.id).where(Department.code == "SCT")))
            user.set_password(DEMO_PASSWORD)
            db.session.add(user)
            db.session.commit()


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(walk=steps)
def test_random_walks_keep_the_invariants(
    app: Flask, make_ticket: Callable[..., int], walk: list[tuple[str, str, int, str, int]]
) -> None:
    _head_of_sct(app)
    # A title of its own each time: the same text twice within minutes is one submission.
    ticket_id = make_ticket("GTDB", title=f"Ổ gà {uuid4().hex}")
    with app.app_context():
        ticket = db.session.get_one(Ticket, ticket_id)
        now = ticket.submitted_at
        terminal_state = None
        swept_at = None
        for action, email, hours, department_code, days in walk:
            now += timedelta(hours=hours)
            if email == "fitting":
                email = _fitting(action, ticket.department.code)
            actor = db.session.scalars(select(User).where(User.email == email)).one()
            department = db.session.scalar(select(Department.id).where(Department.code == department_code))
            before = case_of(ticket)
            try:
                _run(action, actor, ticket, department, days, now)
            except (IllegalTransition, NotFoundError, AccessDenied, ValueError):
                db.session.rollback()
                assert case_of(ticket) == before, "a refused action changes nothing"
            db.session.expire_all()
            ticket = db.session.get_one(Ticket, ticket_id)
            swept_at = now if action == "full_sweep" else swept_at
            assert ticket.next_due_at == due_from_history(ticket, swept_at), "the due index follows the history"
            state = case_of(ticket)
            assert state.classify_due > state.submitted_at
            assert state.resolve_due is None or state.resolve_due > state.submitted_at
            assert (state.paused_at is not None) == (state.status == Status.WAITING_FOR_SUBMITTER)
            if terminal_state is not None:
                assert state == terminal_state, "terminal statuses stay terminal, and nothing moves"
            elif state.status in TERMINAL:
                terminal_state = state


def due_from_history(ticket: Ticket, swept_at: datetime | None) -> datetime | None:
    """The instant the sweep must next look at the ticket, from its events alone (and the last
    full sweep, which leaves no event when it has nothing to do): after a step, what fell due by
    its time and may be undone counts; after a sweep, only what comes later."""
    events = list(ticket.events)
    case = replay_case(recorded_events(ticket))
    answers = [e.action for e in events if e.action in (Action.RESOLVE, Action.RATE, Action.REOPEN)]
    rated = bool(answers) and answers[-1] == Action.RATE
    settled = swept_at is not None and swept_at >= events[-1].created_at
    at = swept_at if settled and swept_at is not None else events[-1].created_at
    return next_look(case, clock_of(ticket), after_answer(), rated=rated, now=at, settled=settled)


def _fitting(action: str, department_code: str) -> str:
    if action == "accept" or action == "reject":
        return "intake@example.org"
    if action in ("extend", "transfer"):
        return (
            f"head.{department_code.lower()}@example.org" if department_code in ("SXD", "SCT") else "leader@example.org"
        )
    return f"officer.{department_code.lower()}@example.org"


def _run(action: str, actor: User, ticket: Ticket, department: int, days: int, now: object) -> None:
    reason = "Lý do cụ thể cho bước này"
    match action:
        case "accept":
            handling.accept_ticket(actor, ticket.id, department, now=now)
        case "reject":
            handling.reject_ticket(actor, ticket.id, reason, now=now)
        case "request_info":
            handling.request_information(actor, ticket.id, "Xin bổ sung ảnh hiện trường", now=now)
        case "provide_info":
            following.provide_information(ticket, "Ảnh đã gửi kèm", [], now=now)
        case "extend":
            handling.extend_deadline(actor, ticket.id, days, reason, now=now)
        case "transfer":
            cooperation.transfer_ticket(actor, ticket.id, department, reason, now=now)
        case "progress":
            handling.post_progress_update(actor, ticket.id, "Đang kiểm tra hiện trường", now=now)
        case "resolve":
            handling.resolve_ticket(actor, ticket.id, "Đã sửa chữa xong mặt đường theo phản ánh.", now=now)
        case "rate_satisfied":
            following.rate_ticket(ticket, "satisfied", "", now=now)
        case "rate_unhappy":
            following.rate_ticket(ticket, "not_satisfied", "Chưa sửa xong", now=now)
        case "reopen":
            following.reopen_ticket(ticket, "Ổ gà vẫn còn", now=now)
        case "sweep":
            escalate_late_tickets(now)
        case "full_sweep":
            sweep(now)
        case "contribute":
            cooperation.request_contribution(actor, ticket.id, department, "Đề nghị cho ý kiến", max(days, 1), now=now)
