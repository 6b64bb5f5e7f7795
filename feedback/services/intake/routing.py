"""Routing a submission with the rules stored in the database, and keeping those rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from feedback.extensions import db
from feedback.models import Area, Category, Department, RoutingRule, Ticket, User
from feedback.services.access import require_administrator
from feedback.services.errors import NotFoundError
from feedback.services.reference import current
from feedback.text import fold
from workflows import route


@dataclass(frozen=True)
class Routed:
    department_id: int
    department_code: str
    # The rule that decided, or None: no rule matched and intake has it.
    rule_id: int | None
    # The word of the rule found in the text, when the rule looks at the text.
    keyword: str | None = None


def route_submission(category_code: str, area_path: Sequence[str], text: str = "") -> Routed:
    """Where the stored rules send a submission on this subject, in this place, with this text."""
    reference = current()
    decision = route(
        reference.rules,
        category_code=category_code,
        area_path=list(area_path),
        intake_department_code=reference.intake_code,
        text=fold(text),
    )
    code = decision.department_code
    return Routed(reference.department_ids[code], code, decision.rule_id, decision.keyword)


@dataclass(frozen=True)
class RuleRecord:
    rule: RoutingRule
    routed: int
    # Tickets this rule sent to a department that did not keep them: transferred, or accepted
    # into another department by intake. A high share shows a rule to fix.
    moved: int

    @property
    def moved_share(self) -> float | None:
        return self.moved / self.routed if self.routed else None


def routing_rules() -> list[RuleRecord]:
    moved = or_(Ticket.transfer_count > 0, Ticket.department_id != RoutingRule.department_id)
    counts = select(
        RoutingRule.id,
        func.count(Ticket.id),
        func.count(Ticket.id).filter(moved),
    ).outerjoin(Ticket, and_(Ticket.routing_rule_id == RoutingRule.id, Ticket.accepted_at.is_not(None)))
    figures = {row[0]: (row[1], row[2]) for row in db.session.execute(counts.group_by(RoutingRule.id))}
    rules = db.session.scalars(
        select(RoutingRule)
        .options(joinedload(RoutingRule.department), joinedload(RoutingRule.category), joinedload(RoutingRule.area))
        .order_by(RoutingRule.active.desc(), RoutingRule.category_id, RoutingRule.id)
    ).all()
    return [RuleRecord(rule, *figures.get(rule.id, (0, 0))) for rule in rules]


# The length of RoutingRule.keywords.
MAX_KEYWORDS_LENGTH = 500


class RuleInUse(ValueError):
    """A rule that has routed tickets keeps its department, so that its figures stay true:
    switch it off and add a new rule instead."""


def save_rule(
    actor: User,
    rule_id: int | None,
    *,
    department_id: int,
    category_id: int | None,
    area_id: int | None,
    keywords: str,
    active: bool = True,
) -> RoutingRule:
    require_administrator(actor)
    rule = RoutingRule() if rule_id is None else db.session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFoundError("rule")
    department = db.session.get(Department, department_id)
    if department is None or department.external:
        raise NotFoundError("department")
    if category_id is not None and db.session.get(Category, category_id) is None:
        raise NotFoundError("category")
    if area_id is not None and db.session.get(Area, area_id) is None:
        raise NotFoundError("area")
    if rule.id is not None and rule.department_id != department_id and db.session.scalar(
        select(Ticket.id).where(Ticket.routing_rule_id == rule.id).limit(1)
    ) is not None:
        raise RuleInUse(rule.id)
    stored_keywords = ", ".join(part.strip() for part in keywords.split(",") if part.strip())
    if len(stored_keywords) > MAX_KEYWORDS_LENGTH:
        raise ValueError("keywords_too_long")
    rule.department_id = department_id
    rule.category_id = category_id
    rule.area_id = area_id
    rule.keywords = stored_keywords
    rule.active = active
    db.session.add(rule)
    db.session.commit()
    return rule
