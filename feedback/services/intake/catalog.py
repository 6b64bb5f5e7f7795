"""Reference data as the forms and pages need it."""

from __future__ import annotations

from sqlalchemy import select

from feedback.extensions import db
from feedback.i18n import localized
from feedback.models import Area, Category, Department
from feedback.text import fold


def active_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.active).order_by(Category.id)))


def category_choices() -> list[tuple[int, str]]:
    return [(c.id, localized(c, "name")) for c in active_categories()]


def filing_areas() -> list[Area]:
    """The units that tickets are filed against: the leaves of the area tree."""
    parent = db.aliased(Area)
    has_children = select(parent.id).where(parent.parent_id == Area.id).exists()
    return list(db.session.scalars(select(Area).where(~has_children).order_by(Area.name)))


_UNIT_PREFIXES = ("phuong ", "xa ", "dac khu ", "thi tran ")


def match_areas(typed: str) -> list[Area]:
    """The filing areas a typed name means, with or without accents or "Phường"/"Xã":
    one for a clear answer, several when the name is ambiguous, none when unknown."""
    query = fold(typed)
    if not query:
        return []
    areas = filing_areas()
    exact = [a for a in areas if fold(a.name) == query]
    if exact:
        return exact
    return [a for a in areas if _without_unit_prefix(fold(a.name)) == _without_unit_prefix(query)]


def _without_unit_prefix(folded: str) -> str:
    for prefix in _UNIT_PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix):]
    return folded


def handling_departments() -> list[Department]:
    return list(
        db.session.scalars(
            select(Department).where(Department.external.is_(False)).order_by(Department.id)
        )
    )
