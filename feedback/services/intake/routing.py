"""Routing a submission with the rules stored in the database, and keeping those rules."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from feedback.extensions import db
from feedback.models import Area, Category, Department, RoutingRule, Ticket, User
from feedback.services.access import require_administrator
from feedback.services.errors import NotFoundError
from feedback.text import fold
from workflows import Rule, route


@dataclass(frozen=True)
class Routed:
    department: Department
    rule: RoutingRule | None
    # The word of the rule found in the text, when the rule looks at the text.
    keyword: str | None = None


def route_submission(category: Category, area: Area, text: str = "") -> Routed:
    stored = db.session.scalars(
        select(RoutingRule)
        .where(RoutingRule.active)
        .options(
            joinedload(RoutingRule.department), joinedload(RoutingRule.category), joinedload(RoutingRule.area)
        )
    ).all()
    rules = [
        Rule(
            id=rule.id,
            department_code=rule.department.code,
            category_code=rule.category.code if rule.category else None,
            area_code=rule.area.code if rule.area else None,
            keywords=keyword_list(rule.keywords),
        )
        for rule in stored
    ]
    decision = route(
        rules,
        category_code=category.code,
        area_path=[node.code for node in area.path()],
        intake_department_code=intake_department().code,
        text=fold(text),
    )
    department = db.session.scalars(
        select(Department).where(Department.code == decision.department_code)
    ).one()
    rule = next((r for r in stored if r.id == decision.rule_id), None)
    return Routed(department, rule, decision.keyword)


def keyword_list(keywords: str) -> tuple[str, ...]:
    """The rule's comma-separated keywords, folded as the text they are looked for in."""
    return tuple(word for word in (fold(part) for part in keywords.split(",")) if word)


def intake_department() -> Department:
    return db.session.scalars(select(Department).where(Department.is_intake)).one()


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
