"""The administrators' "try it": for a category, a place, a text and a moment of submission,
where the engine would send the submission, by which rule, and every deadline that follows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feedback.models import Area, Category
from feedback.services.deadlines.policies import clock_for
from feedback.services.intake.routing import Routed, route_submission
from workflows import Clock, Role, Step, case, ladder, next_progress_update


@dataclass(frozen=True)
class Forecast:
    routed: Routed
    clock: Clock
    submitted_at: datetime
    classify_due: datetime
    # Accepted at once, or only at the last moment intake is allowed.
    resolve_due_soonest: datetime
    resolve_due_latest: datetime
    # The latest deadline the one extension can give, from the latest acceptance.
    extended_due: datetime | None
    first_progress_update: datetime | None
    ladder: list[Step]


def forecast(category: Category, area: Area, submitted_at: datetime, text: str = "") -> Forecast:
    routed = route_submission(category, area, text)
    clock = clock_for(category)
    opened = case.open_case(routed.department.code, submitted_at, clock)
    soonest = case.accept(opened, Role.INTAKE_OFFICER, submitted_at, clock)
    latest = case.accept(opened, Role.INTAKE_OFFICER, opened.classify_due, clock)
    max_days = clock.policy.max_extension_days
    extended = (
        case.extend(latest, Role.DEPARTMENT_HEAD, max_days, "forecast", clock).resolve_due if max_days else None
    )
    return Forecast(
        routed=routed,
        clock=clock,
        submitted_at=submitted_at,
        classify_due=opened.classify_due,
        resolve_due_soonest=soonest.resolve_due or soonest.due,
        resolve_due_latest=latest.resolve_due or latest.due,
        extended_due=extended,
        first_progress_update=next_progress_update(soonest, clock),
        ladder=ladder(soonest, clock),
    )
