"""Only administrators reach the administration pages, through HTTP with real forms and CSRF."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from feedback.models import Area, Category, Department, User
from tests.conftest import id_of
from tests.feedback.admin_org_forms import Post, department_form, row, text_of

PAGES = (
    "/admin/areas",
    "/admin/areas/new",
    "/admin/areas/{area}",
    "/admin/departments",
    "/admin/departments/new",
    "/admin/departments/{department}",
    "/admin/categories",
    "/admin/categories/new",
    "/admin/categories/{category}",
    "/admin/categories/{category}/fields",
    "/admin/categories/{category}/fields/new",
    "/admin/categories/{category}/fields/road_type",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/{user}",
    "/admin/answer-templates",
    "/admin/answer-templates/new",
)


def pages(app: Flask) -> list[str]:
    ids = {
        "area": id_of(app, Area, name="Phường Nha Trang"),
        "department": id_of(app, Department, code="SXD"),
        "category": id_of(app, Category, code="GTDB"),
        "user": id_of(app, User, email="officer.sxd@example.org"),
    }
    return [url.format(**ids) for url in PAGES]


# --- Access ---------------------------------------------------------------------------------

@pytest.mark.parametrize("email", ["officer.sxd@example.org", "leader@example.org"])
def test_only_administrators_reach_the_pages(
    app: Flask, client: FlaskClient, login: Callable[[str], Any], post_form: Post, email: str
) -> None:
    login(email)
    for url in pages(app):
        assert client.get(url).status_code == 403, url
    # A valid CSRF token from a page they may see changes nothing either.
    response = post_form("/admin/departments/new", department_form(), page="/admin/try")
    assert response.status_code == 403
    assert row(app, Department, code="SDL") is None


def test_the_pages_open_for_an_administrator(app: Flask, client: FlaskClient, admin: None, english: None) -> None:
    for url in pages(app):
        assert client.get(url).status_code == 200, url
    index = text_of(client.get("/admin/"))
    for url in ("/admin/areas", "/admin/departments", "/admin/categories", "/admin/users", "/admin/answer-templates"):
        assert f'href="{url}"' in index
