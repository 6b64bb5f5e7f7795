"""Forms and read-backs for the administration of the province's structure and staff: what a page
says, the row a form changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from markupsafe import escape
from sqlalchemy import select

from feedback.extensions import db

PASSWORD = "mat-khau-moi-2026"
Post = Callable[..., Any]


def text_of(response: Any) -> str:
    return response.get_data(as_text=True)


def has_message(response: Any, message: str) -> bool:
    return str(escape(message)) in text_of(response)


def row(app: Flask, model: Any, **where: Any) -> Any:
    with app.app_context():
        found = db.session.scalars(select(model).filter_by(**where)).one_or_none()
        if found is not None:
            db.session.expunge(found)
        return found


def department_form(**changes: Any) -> dict[str, Any]:
    return {"code": "SDL", "name_vi": "Sở Du lịch", "name_en": "Department of Tourism", "kind": "department",
            "parent": "", "email": "pakn.sdl@example.org", **changes}
