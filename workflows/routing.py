from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: int
    department_code: str
    category_code: str | None = None
    area_code: str | None = None
    # Words that must appear in the submission's text, already folded (no case, no accents) by
    # the caller: any one of them matches. Empty: the rule does not look at the text.
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoutingDecision:
    """Where a submission goes, and why: the rule that won, or none (the intake department)."""

    department_code: str
    rule_id: int | None
    matched_category: bool
    area_code: str | None
    keyword: str | None = None


_ANY_AREA_DEPTH = -1


def route(
    rules: Iterable[Rule],
    *,
    category_code: str,
    area_path: Sequence[str],
    intake_department_code: str,
    text: str = "",
) -> RoutingDecision:
    """The most specific matching rule wins: a rule for the category beats one for any category,
    then a rule whose keyword is in the text beats one without keywords, then the deeper area
    beats the shallower one; on a tie the older rule (lower id) wins."""
    # Later entries overwrite earlier ones, so a code repeated in the path
    # counts at its deepest position.
    depth = {code: index for index, code in enumerate(area_path)}
    words = f" {text} "
    best: Rule | None = None
    best_keyword: str | None = None
    best_key: tuple[bool, bool, int, int] | None = None
    for rule in rules:
        if rule.category_code is not None and rule.category_code != category_code:
            continue
        if rule.area_code is None:
            rule_depth = _ANY_AREA_DEPTH
        elif rule.area_code in depth:
            rule_depth = depth[rule.area_code]
        else:
            continue
        keyword = _matching_keyword(rule.keywords, words)
        if rule.keywords and keyword is None:
            continue
        key = (rule.category_code is not None, keyword is not None, rule_depth, -rule.id)
        if best_key is None or key > best_key:
            best, best_key, best_keyword = rule, key, keyword
    if best is None:
        return RoutingDecision(intake_department_code, None, False, None)
    return RoutingDecision(
        best.department_code, best.id, best.category_code is not None, best.area_code, best_keyword
    )


def _matching_keyword(keywords: tuple[str, ...], padded_text: str) -> str | None:
    # Whole words only: "duong" must not match inside "truong".
    return next((word for word in keywords if word and f" {word} " in padded_text), None)
