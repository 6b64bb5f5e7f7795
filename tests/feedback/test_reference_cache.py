"""Each process keeps the reference data (subjects, areas, rules, departments, policies, the
calendar) and the empty form made from them while the database's stamp stands: any change to
those tables, by any path, must change the stamp, and the next page must show the change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from feedback.extensions import db
from feedback.models import Category, ReferenceVersion
from tests.conftest import id_of

REFERENCE_TABLES = ("category", "area", "department", "routing_rule", "deadline_policy", "calendar_exception")


def stamp() -> int:
    return db.session.scalar(select(ReferenceVersion.stamp))


@pytest.mark.parametrize("table", REFERENCE_TABLES)
def test_any_change_to_a_reference_table_changes_the_stamp(app: Flask, database: None, table: str) -> None:
    with app.app_context():
        if table == "calendar_exception":
            before = stamp()
            db.session.execute(text("INSERT INTO calendar_exception (day, working, note) VALUES (:day, :w, '')"),
                               {"day": date(2031, 1, 2), "w": False})
            inserted = stamp()
            db.session.execute(text("DELETE FROM calendar_exception WHERE day = :day"), {"day": date(2031, 1, 2)})
            assert len({before, inserted, stamp()}) == 3
        else:
            before = stamp()
            # SQL as an operator would type it: no application code runs, only the database's triggers.
            db.session.execute(text(f"UPDATE {table} SET id = id WHERE id = (SELECT min(id) FROM {table})"))
            assert stamp() != before
        db.session.rollback()


def test_a_subject_edited_by_an_administrator_shows_on_the_next_form(
    app: Flask, client: FlaskClient, admin: None, english: None, post_form: Callable[..., Any]
) -> None:
    before = client.get("/submit").get_data(as_text=True)
    category_id = id_of(app, Category, code="GTDB")
    with app.app_context():
        category = db.session.get(Category, category_id)
        values = {
            "code": category.code, "name_vi": category.name_vi, "name_en": "Roads, bridges and street lights",
            "description_vi": category.description_vi, "description_en": category.description_en,
            "urgency": category.urgency, "applies_to": category.applies_to, "active": "y",
        }
    option = f'<option value="{category_id}">Roads, bridges and street lights</option>'
    assert option not in before
    assert post_form(f"/admin/categories/{category_id}", values).status_code == 302
    after = client.get("/submit").get_data(as_text=True)
    assert option in after
    # Switched off, it leaves the form, its extra fields with it.
    assert f'data-category="{category_id}"' in after
    assert post_form(f"/admin/categories/{category_id}", {**values, "active": ""}).status_code == 302
    off = client.get("/submit").get_data(as_text=True)
    assert f'<option value="{category_id}">' not in off
    assert f'data-category="{category_id}"' not in off
