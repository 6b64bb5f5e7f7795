"""Reference data as the forms and pages need it, from this process's cached copy (reference.py)."""

from __future__ import annotations

from feedback.i18n import localized
from feedback.services.reference import Place, Subject, Unit, current
from feedback.text import fold


def active_categories() -> list[Subject]:
    return list(current().subjects)


def category_choices() -> list[tuple[int, str]]:
    return [(c.id, localized(c, "name")) for c in active_categories()]


def filing_areas() -> list[Place]:
    """The units that tickets are filed against: the leaves of the area tree, by name."""
    return list(current().places)


_UNIT_PREFIXES = ("phuong ", "xa ", "dac khu ", "thi tran ")


def match_areas(typed: str) -> list[Place]:
    """The filing areas a typed name means, with or without accents or "Phường"/"Xã":
    one for a clear answer, several when the name is ambiguous, none when unknown."""
    query = fold(typed)
    if not query:
        return []
    places = current().places
    exact = [p for p in places if p.folded == query]
    if exact:
        return exact
    bare = _without_unit_prefix(query)
    return [p for p in places if _without_unit_prefix(p.folded) == bare]


def _without_unit_prefix(folded: str) -> str:
    for prefix in _UNIT_PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix):]
    return folded


def handling_departments() -> list[Unit]:
    """The departments tickets can go to: not the outside bodies."""
    return [unit for unit in current().units if not unit.external]


def areas_in_tree_order() -> list[Place]:
    """Every area, each followed by the areas below it, siblings by name: filters on any level."""
    return list(current().tree)
