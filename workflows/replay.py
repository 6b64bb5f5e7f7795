"""A case's history as data: each step's event stores the fields it changed (`changes`), and
replaying a ticket's events rebuilds its case exactly (`replay_case`), even after the calendar
or the policy has been edited since."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .case import CASE_FIELDS, AnswerState, Case, Escalation
from .states import EventFact, Status, replay

# The record of a step: which fields changed, as JSON-ready values.
Changes = dict[str, Any]


def changes(before: Case | None, after: Case) -> Changes:
    def encode(value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    return {
        name: encode(getattr(after, name))
        for name in CASE_FIELDS
        if before is None or getattr(before, name) != getattr(after, name)
    }


def _decode(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "status":
        return Status(value)
    if name == "escalation":
        return Escalation(value)
    if name == "answer_state":
        return AnswerState(value)
    if isinstance(value, str) and name.endswith(("_at", "_due")):
        return datetime.fromisoformat(value)
    return value


@dataclass(frozen=True)
class RecordedEvent:
    fact: EventFact
    changes: Mapping[str, Any]


def replay_case(events: Iterable[RecordedEvent]) -> Case:
    """Rebuild a case from its stored events; raises ReplayError on a history the table
    cannot produce, and ValueError when the first event does not describe a whole case."""
    recorded = list(events)
    status = replay(event.fact for event in recorded)
    if set(recorded[0].changes) != set(CASE_FIELDS):
        raise ValueError("incomplete_first_event")
    fields: dict[str, Any] = {}
    for event in recorded:
        if event.changes.get("status", event.fact.to_status) != event.fact.to_status:
            raise ValueError("changes_disagree_with_statuses")
        fields.update({name: _decode(name, value) for name, value in event.changes.items()})
    case = Case(**fields)
    if case.status != status:
        raise ValueError("changes_disagree_with_statuses")
    return case
