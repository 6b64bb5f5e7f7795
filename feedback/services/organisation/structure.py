"""The province's structure as administrators keep it: the area tree and the departments.

Every change raises `Invalid` (a ValueError) with a code and the name of the form field it is
about, so that the page can explain it next to that field in the reader's language.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import Area, Department, Ticket, User
from feedback.services.access import require_administrator
from feedback.services.errors import NotFoundError

# Letters, digits and single underscores: codes become parts of form field names
# (x__<category>__<field>), where a double underscore separates the parts.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*$")
MAX_CODE_LENGTH = 20


class Invalid(ValueError):
    """A change the rules refuse: `code` says which rule, `field` which input it is about."""

    def __init__(self, code: str, field: str) -> None:
        super().__init__(f"{field}: {code}")
        self.code = code
        self.field = field


def check_code(code: str, field: str = "code") -> str:
    code = code.strip()
    if not CODE_PATTERN.match(code) or len(code) > MAX_CODE_LENGTH:
        raise Invalid("bad_code", field)
    return code


# --- Areas ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AreaRow:
    area: Area
    depth: int
    tickets: int
    children: int

    @property
    def deletable(self) -> bool:
        return not self.tickets and not self.children


def area_rows() -> list[AreaRow]:
    """Every area in tree order (each followed by those inside it), with what keeps it from deletion."""
    areas = list(db.session.scalars(select(Area).order_by(Area.name)))
    counts = db.session.execute(select(Ticket.area_id, func.count()).group_by(Ticket.area_id))
    tickets: dict[int, int] = dict(counts.all())
    children: dict[int | None, list[Area]] = {}
    for area in areas:
        children.setdefault(area.parent_id, []).append(area)
    rows: list[AreaRow] = []
    stack = [(area, 0) for area in reversed(children.get(None, []))]
    while stack:
        area, depth = stack.pop()
        rows.append(AreaRow(area, depth, tickets.get(area.id, 0), len(children.get(area.id, []))))
        stack.extend((child, depth + 1) for child in reversed(children.get(area.id, [])))
    return rows


def area_row(area_id: int) -> AreaRow:
    area = get_area(area_id)
    tickets = db.session.scalar(select(func.count(Ticket.id)).where(Ticket.area_id == area.id)) or 0
    children = db.session.scalar(select(func.count(Area.id)).where(Area.parent_id == area.id)) or 0
    return AreaRow(area, len(area.path()) - 1, tickets, children)


def get_area(area_id: int) -> Area:
    area = db.session.get(Area, area_id)
    if area is None:
        raise NotFoundError("area")
    return area


def _unique_area_code(code: str, area_id: int | None) -> str:
    code = check_code(code)
    clash = db.session.scalar(select(Area.id).where(Area.code == code, Area.id != (area_id or 0)))
    if clash is not None:
        raise Invalid("duplicate_code", "code")
    return code


def add_area(actor: User, parent_id: int, code: str, name: str, kind: str) -> Area:
    """A new area inside another. Its parent stops being a place tickets are filed against:
    only the leaves of the tree are."""
    require_administrator(actor)
    parent = get_area(parent_id)
    area = Area(code=_unique_area_code(code, None), name=name.strip(), kind=kind, parent=parent)
    db.session.add(area)
    db.session.commit()
    return area


def edit_area(actor: User, area_id: int, code: str, name: str, kind: str) -> Area:
    require_administrator(actor)
    area = get_area(area_id)
    area.code = _unique_area_code(code, area.id)
    area.name, area.kind = name.strip(), kind
    db.session.commit()
    return area


def delete_area(actor: User, area_id: int) -> None:
    """Only an area nothing points at: tickets keep their place, and children their parent."""
    require_administrator(actor)
    area = get_area(area_id)
    if db.session.scalar(select(Ticket.id).where(Ticket.area_id == area.id).limit(1)) is not None:
        raise Invalid("area_has_tickets", "area")
    if db.session.scalar(select(Area.id).where(Area.parent_id == area.id).limit(1)) is not None:
        raise Invalid("area_has_children", "area")
    db.session.delete(area)
    db.session.commit()


@dataclass(frozen=True)
class ImportSummary:
    added: int
    updated: int
    unchanged: int


def import_areas(tree: dict[str, Any]) -> ImportSummary:
    """Upsert the tree of feedback/data/areas.json by code. Run from the server's command line,
    by whoever holds it, so there is no acting user to check. Areas missing from the file stay:
    tickets may point at them."""
    known = {area.code: area for area in db.session.scalars(select(Area))}
    counts: Counter[str] = Counter()

    def upsert(node: dict[str, Any], parent: Area | None) -> None:
        code = check_code(str(node["code"]))
        values = {"name": str(node["name"]).strip(), "kind": str(node["kind"]).strip(), "parent": parent}
        area = known.get(code)
        if area is None:
            area = known[code] = Area(code=code, **values)
            db.session.add(area)
            counts["added"] += 1
        elif any(getattr(area, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(area, key, value)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
        for child in node.get("children", []):
            upsert(child, area)

    upsert(tree, None)
    db.session.commit()
    return ImportSummary(counts["added"], counts["updated"], counts["unchanged"])


# --- Departments ----------------------------------------------------------------------------

def departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.kind, Department.code)))


def get_department(department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None:
        raise NotFoundError("department")
    return department


@dataclass(frozen=True)
class DepartmentValues:
    code: str
    name_vi: str
    name_en: str
    kind: str
    parent_id: int | None
    email: str | None
    is_intake: bool
    external: bool
    requires_approval: bool


def save_department(actor: User, department_id: int | None, values: DepartmentValues) -> Department:
    """Add (no id) or edit a department. Routing needs exactly one intake department: ticking
    the flag here moves it from the current one; unticking it on the only one is refused."""
    require_administrator(actor)
    department = get_department(department_id) if department_id is not None else Department()
    code = check_code(values.code)
    if db.session.scalar(select(Department.id).where(Department.code == code, Department.id != (department_id or 0))):
        raise Invalid("duplicate_code", "code")
    if values.parent_id is not None:
        _check_parent(department, get_department(values.parent_id))
    if department.is_intake and not values.is_intake:
        raise Invalid("last_intake", "is_intake")
    if values.is_intake and not department.is_intake:
        for other in db.session.scalars(select(Department).where(Department.is_intake)):
            other.is_intake = False
    department.code = code
    department.name_vi, department.name_en = values.name_vi.strip(), values.name_en.strip()
    department.kind, department.parent_id = values.kind, values.parent_id
    department.email = (values.email or "").strip().lower() or None
    department.is_intake, department.external = values.is_intake, values.external
    department.requires_approval = values.requires_approval
    db.session.add(department)
    db.session.commit()
    return department


def _check_parent(department: Department, parent: Department) -> None:
    # Walking up from the chosen parent must never meet the department itself.
    node: Department | None = parent
    while node is not None:
        if department.id is not None and node.id == department.id:
            raise Invalid("parent_cycle", "parent")
        node = db.session.get(Department, node.parent_id) if node.parent_id else None
