"""Staff accounts as administrators keep them: add, change role or department, switch off,
reset the password or the second factor, unlock.

Refusals are `Invalid` errors (see organisation.py) naming the rule and the form field. The
functions without an acting user serve the `flask` commands, run by whoever holds the server.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from feedback.extensions import db
from feedback.models import STAFF_ROLES, Department, User
from feedback.services.access import require_administrator
from feedback.services.errors import NotFoundError
from feedback.services.organisation.structure import Invalid, get_department
from workflows import Role

MIN_PASSWORD_LENGTH = 10
# Their work is a department's tickets: without one their inbox would be empty.
DEPARTMENT_ROLES = (Role.DEPARTMENT_OFFICER, Role.DEPARTMENT_HEAD)


def create_user(email: str, name: str, password: str, role: Role, department: Department | None) -> User:
    if role not in STAFF_ROLES:
        raise ValueError(f"{role} is not a staff role")
    user = User(email=email.strip().lower(), name=name, role=role.value, department=department)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


@dataclass(frozen=True)
class UserFilters:
    role: str | None = None
    department_id: int | None = None
    active: bool | None = None
    search: str = ""


def staff_users(filters: UserFilters) -> list[User]:
    query = select(User).where(User.role.in_([role.value for role in STAFF_ROLES]))
    if filters.role:
        query = query.where(User.role == filters.role)
    if filters.department_id is not None:
        query = query.where(User.department_id == filters.department_id)
    if filters.active is not None:
        query = query.where(User.active.is_(filters.active))
    typed = filters.search.strip().lower()
    if typed:
        pattern = f"%{typed}%"
        query = query.where(or_(func.lower(User.email).like(pattern), func.lower(User.name).like(pattern)))
    return list(db.session.scalars(query.order_by(User.email)))


def get_staff_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.is_staff:
        raise NotFoundError("staff account")
    return user


def find_user(email: str) -> User | None:
    return db.session.scalars(select(User).where(func.lower(User.email) == email.strip().lower())).one_or_none()


def _checked_department(role: Role, department_id: int | None) -> int | None:
    if role == Role.ADMINISTRATOR and department_id is not None:
        raise Invalid("no_department_for_administrator", "department")
    if role in DEPARTMENT_ROLES and department_id is None:
        raise Invalid("department_required", "department")
    if department_id is not None:
        get_department(department_id)
    return department_id


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("short_password", "password")


def add_staff_user(
    actor: User, email: str, name: str, role: Role, department_id: int | None, password: str
) -> User:
    require_administrator(actor)
    if find_user(email) is not None:
        raise Invalid("duplicate_email", "email")
    if role not in STAFF_ROLES:
        raise Invalid("bad_choice", "role")
    _checked_department(role, department_id)
    _check_password(password)
    department = get_department(department_id) if department_id is not None else None
    return create_user(email, name.strip(), password, role, department)


def edit_staff_user(actor: User, user_id: int, role: Role, department_id: int | None, active: bool) -> User:
    """An administrator cannot demote or switch off themselves: the province could be left
    without anyone able to undo it."""
    require_administrator(actor)
    user = get_staff_user(user_id)
    if role not in STAFF_ROLES:
        raise Invalid("bad_choice", "role")
    if user.id == actor.id and role != Role.ADMINISTRATOR:
        raise Invalid("demote_self", "role")
    if user.id == actor.id and not active:
        raise Invalid("deactivate_self", "active")
    user.department_id = _checked_department(role, department_id)
    user.role, user.active = role.value, active
    db.session.commit()
    return user


def set_user_password(user: User, password: str) -> None:
    _check_password(password)
    user.set_password(password)
    db.session.commit()


def reset_user_password(actor: User, user_id: int, password: str) -> User:
    require_administrator(actor)
    user = get_staff_user(user_id)
    set_user_password(user, password)
    return user


def unlock_user(actor: User, user_id: int) -> User:
    """After too many failed sign-ins, once the person is known to be who they say."""
    require_administrator(actor)
    user = get_staff_user(user_id)
    user.failed_logins, user.locked_until = 0, None
    db.session.commit()
    return user


def reset_two_factor(actor: User, user_id: int) -> User:
    """For a lost phone: the person sets up a new authenticator at their next sign-in."""
    require_administrator(actor)
    user = get_staff_user(user_id)
    user.totp_secret, user.totp_confirmed_at = None, None
    db.session.commit()
    return user


def deactivate_user(user: User) -> bool:
    """False when the account was already switched off."""
    if not user.active:
        return False
    user.active = False
    db.session.commit()
    return True
