"""Accounts: staff, and citizens who chose to have one."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from feedback.extensions import Model
from feedback.models.org import Department
from feedback.models.types import UTCDateTime, utcnow
from workflows import Role

STAFF_ROLES = (
    Role.INTAKE_OFFICER,
    Role.DEPARTMENT_OFFICER,
    Role.DEPARTMENT_HEAD,
    Role.LEADER,
    Role.ADMINISTRATOR,
)
# A citizen account only submits and follows; in the workflow it acts as the submitter.
CITIZEN_ROLE = "citizen"


class User(UserMixin, Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(30), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(30))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Time-based one-time codes (RFC 6238): the shared secret, and when the user proved they had it.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Failed sign-ins in a row, and until when the account is locked after too many.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    department: Mapped[Department | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role != CITIZEN_ROLE

    @property
    def workflow_role(self) -> Role:
        return Role.SUBMITTER if self.role == CITIZEN_ROLE else Role(self.role)

    def set_password(self, password: str) -> None:
        # Werkzeug's default is scrypt, a memory-hard algorithm.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
