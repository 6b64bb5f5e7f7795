from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: int
    department_code: str
    category_code: str | None = None
    area_code: str | None = None


@dataclass(frozen=True)
class RoutingDecision:
    department_code: str
    rule_id: int | None
    matched_category: bool
    area_code: str | None


_ANY_AREA_DEPTH = -1


def route(
    rules: Iterable[Rule],
    *,
    category_code: str,
    area_path: Sequence[str],
    intake_department_code: str,
) -> RoutingDecision:
    # Later entries overwrite earlier ones, so a code repeated in the path
    # counts at its deepest position.
    depth = {code: index for index, code in enumerate(area_path)}
    best: Rule | None = None
    best_key: tuple[bool, int, int] | None = None
    for rule in rules:
        if rule.category_code is not None and rule.category_code != category_code:
            continue
        if rule.area_code is None:
            rule_depth = _ANY_AREA_DEPTH
        elif rule.area_code in depth:
            rule_depth = depth[rule.area_code]
        else:
            continue
        # Lowest id wins ties so the outcome does not depend on query order.
        key = (rule.category_code is not None, rule_depth, -rule.id)
        if best_key is None or key > best_key:
            best, best_key = rule, key
    if best is None:
        return RoutingDecision(intake_department_code, None, False, None)
    return RoutingDecision(
        best.department_code, best.id, best.category_code is not None, best.area_code
    )
