from __future__ import annotations

import itertools

import pytest

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


# --- keyword rules ----------------------------------------------------------------------------


def by_text(rules: list[Rule], text: str, category: str = "water", path: list[str] = PATH) -> RoutingDecision:
    return route(
        rules, category_code=category, area_path=path, intake_department_code="TIEP-NHAN", text=text
    )


WATER = Rule(20, "SO-XD", category_code="water")
WATER_SUPPLY = Rule(30, "CTY-CAP-NUOC", category_code="water", keywords=("cap nuoc",))
ROADS_WORD = Rule(31, "SO-GTVT", keywords=("duong",))


@pytest.mark.parametrize(
    "text",
    [
        "cap nuoc",
        "nha may cap nuoc ngung hoat dong",
        "mat nuoc do cap nuoc bi vo",
        "xin hoi ve cap nuoc",
    ],
)
def test_keyword_matches_whole_words(text: str) -> None:
    decision = by_text([WATER_SUPPLY], text)
    assert decision == RoutingDecision("CTY-CAP-NUOC", 30, True, None, "cap nuoc")


@pytest.mark.parametrize(
    "text",
    [
        "nha toi bi mat nuoc",  # "nuoc" alone is not the phrase
        "cap nuocsach",  # the phrase inside a longer word
        "xcap nuoc",
        "nuoc cap",
        "cap  nuoc",  # the caller folds to single spaces; anything else is not the phrase
        "capnuoc",
    ],
)
def test_keyword_does_not_match_parts_of_words(text: str) -> None:
    assert by_text([WATER_SUPPLY], text) == RoutingDecision("TIEP-NHAN", None, False, None)


def test_duong_is_not_found_in_truong() -> None:
    assert by_text([ROADS_WORD], "truong hoc xuong cap").rule_id is None
    assert by_text([ROADS_WORD], "duongpho").rule_id is None
    assert by_text([ROADS_WORD], "o ga tren duong le loi") == RoutingDecision(
        "SO-GTVT", 31, False, None, "duong"
    )


def test_the_first_listed_keyword_that_matches_is_named() -> None:
    text = "rac thai ven song"
    assert by_text([Rule(1, "A", keywords=("khoi", "rac thai", "rac"))], text).keyword == "rac thai"
    assert by_text([Rule(1, "A", keywords=("rac", "rac thai"))], text).keyword == "rac"
    assert by_text([Rule(1, "A", keywords=("ven song", "khoi"))], text).keyword == "ven song"


def test_keyword_rule_beats_same_category_rule_without_keywords() -> None:
    text = "ong cap nuoc bi vo"
    for rules in ([WATER, WATER_SUPPLY], [WATER_SUPPLY, WATER]):
        assert by_text(rules, text) == RoutingDecision("CTY-CAP-NUOC", 30, True, None, "cap nuoc")


def test_keyword_beats_a_deeper_area() -> None:
    deep = Rule(2, "UBND-XA-NUOC", category_code="water", area_code="22333")
    province_keyword = Rule(9, "CTY-CAP-NUOC", category_code="water", area_code="56", keywords=("cap nuoc",))
    assert by_text([deep, province_keyword], "cap nuoc").rule_id == 9
    assert by_text([deep, province_keyword], "ngap nuoc").rule_id == 2


def test_category_beats_keyword() -> None:
    # A keyword rule for any category loses to a rule for the submission's category.
    assert by_text([ROADS_WORD, WATER], "duong ong nuoc bi vo") == RoutingDecision(
        "SO-XD", 20, True, None, None
    )
    assert by_text([ROADS_WORD], "duong ong nuoc bi vo").rule_id == 31


def test_keyword_rules_then_area_then_lower_id() -> None:
    shallow = Rule(5, "A", category_code="water", area_code="56", keywords=("cap nuoc",))
    deep = Rule(8, "B", category_code="water", area_code="568", keywords=("ngap",))
    twin = Rule(7, "C", category_code="water", area_code="568", keywords=("cap nuoc",))
    rules = [shallow, deep, twin]
    for ordering in itertools.permutations(rules):
        assert by_text(list(ordering), "cap nuoc ngap").rule_id == 7
        assert by_text(list(ordering), "cap nuoc").rule_id == 7
        assert by_text(list(ordering), "ngap").rule_id == 8
    assert by_text([shallow], "cap nuoc").keyword == "cap nuoc"


def test_a_keyword_rule_that_does_not_match_is_skipped() -> None:
    assert by_text([WATER_SUPPLY, WATER], "ngap nuoc") == RoutingDecision("SO-XD", 20, True, None, None)
    assert by_text([WATER_SUPPLY, CATCH_ALL], "ngap nuoc") == RoutingDecision("VP-UBND", 1, False, None, None)


def test_a_keyword_rule_still_needs_its_category_and_area() -> None:
    other_area = Rule(40, "X", category_code="water", area_code="99999", keywords=("cap nuoc",))
    other_category = Rule(41, "Y", category_code="roads", keywords=("cap nuoc",))
    assert by_text([other_area, other_category], "cap nuoc").rule_id is None


@pytest.mark.parametrize("rule", [WATER_SUPPLY, ROADS_WORD, Rule(50, "Z", keywords=("",))])
def test_empty_text_matches_no_keyword_rule(rule: Rule) -> None:
    assert by_text([rule], "") == RoutingDecision("TIEP-NHAN", None, False, None)
    assert route([rule], category_code="water", area_path=PATH, intake_department_code="TIEP-NHAN").rule_id is None
    # A rule without keywords does not look at the text at all.
    assert by_text([rule, WATER], "") == RoutingDecision("SO-XD", 20, True, None, None)


def test_an_empty_keyword_never_matches() -> None:
    assert by_text([Rule(50, "Z", keywords=("",))], "cap nuoc").rule_id is None
    assert by_text([Rule(51, "Z", keywords=("", "nuoc"))], "cap nuoc").keyword == "nuoc"
