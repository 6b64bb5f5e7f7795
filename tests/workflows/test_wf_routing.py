from __future__ import annotations

import itertools

from workflows import RoutingDecision, Rule, route

PATH = ["56", "568", "22333"]
CATCH_ALL = Rule(1, "VP-UBND")
ANY_CATEGORY_DEEP = Rule(2, "UBND-XA", area_code="22333")
CATEGORY_PROVINCE = Rule(3, "SO-GTVT", category_code="roads", area_code="56")
CATEGORY_DEEP = Rule(4, "PHONG-QLDT", category_code="roads", area_code="22333")
CATEGORY_ANYWHERE = Rule(5, "SO-GTVT-ALL", category_code="roads")


def decide(rules: list[Rule], category: str = "roads", path: list[str] = PATH) -> RoutingDecision:
    return route(rules, category_code=category, area_path=path, intake_department_code="TIEP-NHAN")


def test_specificity_ladder() -> None:
    ladder = [CATEGORY_DEEP, CATEGORY_PROVINCE, CATEGORY_ANYWHERE, ANY_CATEGORY_DEEP, CATCH_ALL]
    for winner_index, winner in enumerate(ladder):
        candidates = ladder[winner_index:]
        # Input order must not matter.
        for ordering in itertools.permutations(candidates):
            decision = decide(list(ordering))
            assert decision.rule_id == winner.id
            assert decision.department_code == winner.department_code


def test_decision_fields() -> None:
    assert decide([CATEGORY_DEEP, CATCH_ALL]) == RoutingDecision(
        "PHONG-QLDT", 4, True, "22333"
    )
    assert decide([ANY_CATEGORY_DEEP, CATCH_ALL]) == RoutingDecision(
        "UBND-XA", 2, False, "22333"
    )
    assert decide([CATCH_ALL]) == RoutingDecision("VP-UBND", 1, False, None)


def test_category_beats_deeper_area() -> None:
    assert decide([ANY_CATEGORY_DEEP, CATEGORY_PROVINCE]).rule_id == 3


def test_other_category_and_other_area_do_not_match() -> None:
    rules = [
        Rule(1, "A", category_code="water"),
        Rule(2, "B", area_code="99999"),
        Rule(3, "C", category_code="roads", area_code="99999"),
    ]
    assert decide(rules) == RoutingDecision("TIEP-NHAN", None, False, None)


def test_tie_broken_by_lowest_id() -> None:
    rules = [Rule(9, "LATE", "roads", "568"), Rule(7, "EARLY", "roads", "568")]
    assert decide(rules).department_code == "EARLY"
    assert decide(list(reversed(rules))).department_code == "EARLY"


def test_fallback_to_intake() -> None:
    assert decide([]) == RoutingDecision("TIEP-NHAN", None, False, None)
    assert decide([CATEGORY_DEEP], path=["56"]) == RoutingDecision("TIEP-NHAN", None, False, None)


def test_accepts_a_generator() -> None:
    assert decide(r for r in [CATCH_ALL, CATEGORY_PROVINCE]).rule_id == 3  # type: ignore[arg-type]
