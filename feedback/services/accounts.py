"""Staff accounts: creating them and checking passwords."""

from __future__ import annotations

from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import STAFF_ROLES, Department, User
from workflows import Role


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalars(select(User).where(func.lower(User.email) == email.strip().lower())).one_or_none()
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


def create_user(
    email: str, name: str, password: str, role: Role, department: Department | None
) -> User:
    if role not in STAFF_ROLES:
        raise ValueError(f"{role} is not a staff role")
    user = User(email=email.strip().lower(), name=name, role=role.value, department=department)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user
