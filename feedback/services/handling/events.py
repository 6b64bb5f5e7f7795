"""A ticket's workflow state lives in its columns and in its events alike: every step of the
engine is written to both here, so that replaying the events gives the columns back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Department, Ticket, TicketEvent, User
from feedback.services.deadlines.due import set_next_due
from feedback.services.notifications.messages import notify_event
from feedback.services.reference import current
from feedback.services.statistics.rollups import mark_changed
from workflows import Action, AnswerState, Case, Escalation, RecordedEvent, Role, Status, changes
from workflows.states import EventFact

# Case field → Ticket column, where the names differ.
_COLUMNS = {"transfers": "transfer_count", "reopenings": "reopen_count", "assignee": "assignee_id"}


def case_of(ticket: Ticket) -> Case:
    return Case(
        status=Status(ticket.status),
        department=ticket.department.code,
        submitted_at=ticket.submitted_at,
        classify_due=ticket.classify_due,
        accepted_at=ticket.accepted_at,
        resolve_due=ticket.resolve_due,
        resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at,
        paused_at=ticket.paused_at,
        transfers=ticket.transfer_count,
        extension_days=ticket.extension_days,
        reopenings=ticket.reopen_count,
        progress_at=ticket.progress_at,
        escalation=Escalation(ticket.escalation),
        decision_requested=ticket.decision_requested,
        assignee=ticket.assignee_id,
        answer_state=AnswerState(ticket.answer_state),
    )


def store_case(ticket: Ticket, case: Case) -> None:
    for name, value in vars(case).items():
        if name == "department":
            if ticket.id is None and ticket.department_id == current().department_ids.get(value):
                # A new ticket made with its department's id (submit_ticket): nothing to load.
                continue
            if ticket.department is None or ticket.department.code != value:
                # A new ticket is not complete until this loop ends; it must not be flushed yet.
                with db.session.no_autoflush:
                    ticket.department = db.session.scalars(
                        select(Department).where(Department.code == value)
                    ).one()
        else:
            setattr(
                ticket,
                _COLUMNS.get(name, name),
                value.value if name in ("status", "escalation", "answer_state") else value,
            )


def apply_step(
    ticket: Ticket,
    action: Action,
    after: Case,
    *,
    actor: User | None,
    now: datetime,
    role: Role | None = None,
    reason: str | None = None,
    payload: dict[str, Any] | None = None,
    is_public: bool = True,
) -> TicketEvent:
    """Store the engine's new case on the ticket and record the step with what it changed."""
    before = None if action == Action.SUBMIT else case_of(ticket)
    store_case(ticket, after)
    set_next_due(ticket, after, now, settled=False, action=action)
    event = TicketEvent(
        ticket=ticket,
        action=action.value,
        from_status=before.status.value if before else None,
        to_status=after.status.value,
        actor_id=actor.id if actor else None,
        actor_role=(role or (actor.workflow_role if actor else Role.SUBMITTER)).value,
        reason=reason,
        payload={**(payload or {}), "changes": changes(before, after)},
        is_public=is_public,
        created_at=now,
    )
    db.session.add(event)
    notify_event(ticket, event)
    mark_changed(ticket)
    return event


def recorded_events(ticket: Ticket) -> list[RecordedEvent]:
    return [
        RecordedEvent(
            EventFact(Action(e.action), Status(e.from_status) if e.from_status else None, Status(e.to_status)),
            e.payload.get("changes", {}),
        )
        for e in ticket.events
    ]
