"""Citizen accounts and their tickets made through the services, and signing in and reading pages as
a citizen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import select
from werkzeug.test import TestResponse

from feedback.extensions import db
from feedback.models import Area, Category, User
from feedback.services.accounts.citizens import register_citizen
from feedback.services.intake.submissions import Submission, submit_ticket

PASSWORD = "mật khẩu dài đủ"

PostForm = Callable[..., TestResponse]


@pytest.fixture
def make_citizen(app: Flask, database: None) -> Callable[[str], int]:
    def make(email: str) -> int:
        with app.app_context():
            return register_citizen(email, PASSWORD, "Trần Văn Minh").id

    return make


@pytest.fixture
def submit_as(app: Flask, database: None) -> Callable[[int, str], str]:
    """A ticket submitted through the service by this account; returns its code."""

    def submit(user_id: int, title: str) -> str:
        with app.app_context():
            receipt = submit_ticket(
                Submission(
                    kind="feedback",
                    category_id=db.session.scalar(select(Category.id).where(Category.code == "GTDB")),
                    area_id=db.session.scalar(select(Area.id).where(Area.name == "Phường Nha Trang")),
                    title=title,
                    description=f"{title}: sự việc kéo dài từ hôm qua, đề nghị kiểm tra.",
                    name="Trần Văn Minh",
                    email="minh@example.org",
                ),
                actor=db.session.get(User, user_id),
            )
            return receipt.ticket.code

    return submit


def english(client: FlaskClient) -> None:
    client.get("/language/en?next=/")


def in_vietnamese(app: Flask, message: str, **variables: Any) -> str:
    """The message as a Vietnamese page shows it, escaped as in the HTML."""
    with app.test_request_context(), force_locale("vi"):
        return str(escape(gettext(message, **variables)))


def sign_in(post_form: PostForm, email: str, password: str = PASSWORD) -> TestResponse:
    return post_form("/login", {"email": email, "password": password})


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)
