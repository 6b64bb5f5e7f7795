"""The administrators' "try it": for a category, a place, a text and a moment of submission,
where the engine would send the submission, by which rule, and every deadline that follows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feedback.extensions import db
from feedback.models import Department, RoutingRule
from feedback.services.deadlines.policies import clock_for
from feedback.services.intake.routing import route_submission
from feedback.services.reference import Place, Subject
from workflows import Clock, Role, Step, case, ladder, next_progress_update


@dataclass(frozen=True)
class RoutedTo:
    """Where the rules send it, as the page shows it: the department and the rule themselves."""

    department: Department
    rule: RoutingRule | None
    keyword: str | None


@dataclass(frozen=True)
class Forecast:
    routed: RoutedTo
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


def forecast(category: Subject, place: Place, submitted_at: datetime, text: str = "") -> Forecast:
    routed = route_submission(category.code, place.path, text)
    clock = clock_for(category)
    opened = case.open_case(routed.department_code, submitted_at, clock)
    soonest = case.accept(opened, Role.INTAKE_OFFICER, submitted_at, clock)
    latest = case.accept(opened, Role.INTAKE_OFFICER, opened.classify_due, clock)
    max_days = clock.policy.max_extension_days
    extended = (
        case.extend(latest, Role.DEPARTMENT_HEAD, max_days, "forecast", clock).resolve_due if max_days else None
    )
    department = db.session.get(Department, routed.department_id)
    assert department is not None, routed.department_code
    rule = db.session.get(RoutingRule, routed.rule_id) if routed.rule_id is not None else None
    return Forecast(
        routed=RoutedTo(department, rule, routed.keyword),
        clock=clock,
        submitted_at=submitted_at,
        classify_due=opened.classify_due,
        resolve_due_soonest=soonest.resolve_due or soonest.due,
        resolve_due_latest=latest.resolve_due or latest.due,
        extended_due=extended,
        first_progress_update=next_progress_update(soonest, clock),
        ladder=ladder(soonest, clock),
    )
