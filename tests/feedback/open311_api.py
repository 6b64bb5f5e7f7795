"""What the Open311 tests share: the API's address and formats, and the demo staff they act as."""

from __future__ import annotations

from sqlalchemy import select

from feedback.extensions import db
from feedback.models import User

V2 = "/open311/v2"
FORMATS = ("json", "xml")


def _user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()
