"""Reference data as the forms and pages need it."""

from __future__ import annotations

from sqlalchemy import select

from feedback.extensions import db
from feedback.i18n import localized
from feedback.models import Area, Category, Department


def active_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.active).order_by(Category.id)))


def category_choices() -> list[tuple[int, str]]:
    return [(c.id, localized(c, "name")) for c in active_categories()]


def area_choices() -> list[tuple[int, str]]:
    """The units that tickets are filed against: the leaves of the area tree."""
    parent = db.aliased(Area)
    has_children = select(parent.id).where(parent.parent_id == Area.id).exists()
    areas = db.session.scalars(select(Area).where(~has_children).order_by(Area.name))
    return [(a.id, a.name) for a in areas]


def handling_departments() -> list[Department]:
    return list(
        db.session.scalars(
            select(Department).where(Department.external.is_(False)).order_by(Department.id)
        )
    )
