"""Routing a submission to a department with the rules stored in the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from feedback.extensions import db
from feedback.models import Area, Category, Department, RoutingRule
from workflows import Rule, route


@dataclass(frozen=True)
class Routed:
    department: Department
    rule: RoutingRule | None


def route_submission(category: Category, area: Area) -> Routed:
    stored = db.session.scalars(
        select(RoutingRule).options(
            joinedload(RoutingRule.department), joinedload(RoutingRule.category), joinedload(RoutingRule.area)
        )
    ).all()
    rules = [
        Rule(
            id=rule.id,
            department_code=rule.department.code,
            category_code=rule.category.code if rule.category else None,
            area_code=rule.area.code if rule.area else None,
        )
        for rule in stored
    ]
    decision = route(
        rules,
        category_code=category.code,
        area_path=[node.code for node in area.path()],
        intake_department_code=intake_department().code,
    )
    department = db.session.scalars(
        select(Department).where(Department.code == decision.department_code)
    ).one()
    rule = next((r for r in stored if r.id == decision.rule_id), None)
    return Routed(department, rule)


def intake_department() -> Department:
    return db.session.scalars(select(Department).where(Department.is_intake)).one()
