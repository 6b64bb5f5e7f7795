"""Administering areas, departments, subjects and their extra questions, and answer templates, through HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import AnswerTemplate, Area, Category, Department
from tests.conftest import id_of
from tests.feedback.admin_org_forms import Post, department_form, has_message, row, text_of


def field_form(**changes: Any) -> dict[str, Any]:
    return {"code": "pole_number", "label_vi": "Số hiệu cột đèn", "label_en": "Lamp post number",
            "datatype": "string", "values": "", **changes}


# --- Areas ----------------------------------------------------------------------------------

def test_areas_are_added_renamed_and_deleted(
    app: Flask, client: FlaskClient, admin: None, english: None, post_form: Post
) -> None:
    province = id_of(app, Area, code="56")
    tree = text_of(client.get("/admin/areas"))
    # Tree order: the province first, its wards after it, indented.
    assert tree.index('data-area="56"') < tree.index('data-area="22366"')
    assert "org-depth-1" in tree

    response = post_form("/admin/areas/new", {"parent": province, "name": "Xã Thử Nghiệm", "code": "99001",
                                              "kind": "xã"})
    assert response.status_code == 302
    added = row(app, Area, code="99001")
    assert added.parent_id == province and added.kind == "xã"

    response = post_form(f"/admin/areas/{added.id}", {"name": "Xã Thử Nghiệm Mới", "code": "99002", "kind": "xã"})
    assert response.status_code == 302
    assert row(app, Area, id=added.id).name == "Xã Thử Nghiệm Mới"
    assert row(app, Area, id=added.id).code == "99002"

    response = post_form(f"/admin/areas/{added.id}/delete", {}, page=f"/admin/areas/{added.id}")
    assert response.status_code == 302
    assert row(app, Area, id=added.id) is None


def test_area_codes_are_unique_and_well_formed(app: Flask, admin: None, english: None, post_form: Post) -> None:
    ward = id_of(app, Area, name="Phường Nha Trang")
    response = post_form(f"/admin/areas/{ward}", {"name": "Phường Nha Trang", "code": "22333", "kind": "phường"})
    assert response.status_code == 422
    assert has_message(response, "This code is already used. Choose another.")
    response = post_form(f"/admin/areas/{ward}", {"name": "Phường Nha Trang", "code": "22 366", "kind": "phường"})
    assert response.status_code == 422
    assert has_message(response, "Use only letters without accents, digits and underscores")
    assert row(app, Area, id=ward).code == "22366"


def test_an_area_with_tickets_or_children_stays(
    app: Flask, client: FlaskClient, admin: None, english: None, post_form: Post, make_ticket: Callable[..., int]
) -> None:
    make_ticket("GTDB", area="Phường Nha Trang")
    ward = id_of(app, Area, name="Phường Nha Trang")
    # The page offers no deletion; a forged request is refused all the same.
    assert "/delete" not in text_of(client.get(f"/admin/areas/{ward}"))
    response = post_form(f"/admin/areas/{ward}/delete", {}, page="/admin/areas")
    assert response.status_code == 302
    assert has_message(client.get(f"/admin/areas/{ward}"), "This area has tickets filed against it, so it stays.")
    assert row(app, Area, id=ward) is not None

    province = id_of(app, Area, code="56")
    post_form(f"/admin/areas/{province}/delete", {}, page="/admin/areas")
    assert has_message(client.get(f"/admin/areas/{province}"), "This area has areas inside it.")
    assert row(app, Area, id=province) is not None


# --- Departments ----------------------------------------------------------------------------

def test_departments_are_added_and_edited(app: Flask, admin: None, english: None, post_form: Post) -> None:
    parent = id_of(app, Department, code="VPUBND")
    response = post_form("/admin/departments/new", department_form(parent=parent))
    assert response.status_code == 302
    added = row(app, Department, code="SDL")
    assert (added.name_en, added.parent_id, added.requires_approval) == ("Department of Tourism", parent, False)

    response = post_form(f"/admin/departments/{added.id}",
                         department_form(name_en="Department of Culture and Tourism", requires_approval="y",
                                         external=""))
    assert response.status_code == 302
    edited = row(app, Department, id=added.id)
    assert edited.name_en == "Department of Culture and Tourism" and edited.requires_approval


def test_department_codes_are_unique(app: Flask, admin: None, english: None, post_form: Post) -> None:
    response = post_form("/admin/departments/new", department_form(code="SXD"))
    assert response.status_code == 422
    assert has_message(response, "This code is already used. Choose another.")


def test_exactly_one_intake_department_remains(app: Flask, admin: None, english: None, post_form: Post) -> None:
    intake = row(app, Department, code="TTPVHCC")
    values = {"code": intake.code, "name_vi": intake.name_vi, "name_en": intake.name_en, "kind": intake.kind,
              "parent": intake.parent_id, "email": intake.email}
    response = post_form(f"/admin/departments/{intake.id}", values)
    assert response.status_code == 422
    assert has_message(response, "There must be one intake department.")
    assert row(app, Department, id=intake.id).is_intake

    # Ticking it elsewhere moves it.
    office = row(app, Department, code="VPUBND")
    response = post_form(f"/admin/departments/{office.id}", {
        "code": office.code, "name_vi": office.name_vi, "name_en": office.name_en, "kind": office.kind,
        "parent": "", "email": office.email, "is_intake": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Department.code).where(Department.is_intake)).all() == ["VPUBND"]


# --- Subjects and their extra questions -----------------------------------------------------

def test_subjects_are_added_and_edited(app: Flask, client: FlaskClient, admin: None, english: None,
                                       post_form: Post) -> None:
    values = {"code": "CXDT", "name_vi": "Cây xanh đô thị", "name_en": "Urban trees", "description_vi": "Cây đổ",
              "description_en": "Fallen trees", "urgency": "simple", "applies_to": "both", "active": "y"}
    assert post_form("/admin/categories/new", values).status_code == 302
    added = row(app, Category, code="CXDT")
    assert (added.urgency, added.active, added.extra_fields) == ("simple", True, [])
    assert "Urban trees" in text_of(client.get("/submit"))

    response = post_form(f"/admin/categories/{added.id}", {**values, "urgency": "urgent", "active": ""})
    assert response.status_code == 302
    assert (row(app, Category, id=added.id).urgency, row(app, Category, id=added.id).active) == ("urgent", False)
    assert "was saved" in text_of(client.get("/admin/categories"))
    assert "Urban trees" not in text_of(client.get("/submit"))

    response = post_form("/admin/categories/new", {**values, "code": "GTDB"})
    assert response.status_code == 422
    assert has_message(response, "This code is already used. Choose another.")


def test_an_extra_question_appears_on_the_submission_form(
    app: Flask, client: FlaskClient, admin: None, english: None, post_form: Post
) -> None:
    category = id_of(app, Category, code="GTDB")
    response = post_form(f"/admin/categories/{category}/fields/new", field_form(required="y"))
    assert response.status_code == 302
    spec = row(app, Category, id=category).extra_fields[-1]
    assert spec == {"code": "pole_number", "label_vi": "Số hiệu cột đèn", "label_en": "Lamp post number",
                    "datatype": "string", "required": True}
    form = text_of(client.get("/submit"))
    assert 'name="x__GTDB__pole_number"' in form and "Lamp post number" in form


def test_a_list_question_takes_its_choices_one_a_line(
    app: Flask, client: FlaskClient, admin: None, english: None, post_form: Post
) -> None:
    category = id_of(app, Category, code="GTDB")
    lines = "den_led | Đèn LED | LED lamp\n\nden_cao_ap | Đèn cao áp | Sodium lamp\n"
    response = post_form(f"/admin/categories/{category}/fields/new",
                         field_form(code="lamp_kind", datatype="singlevaluelist", values=lines))
    assert response.status_code == 302
    spec = row(app, Category, id=category).extra_fields[-1]
    assert spec["values"] == [{"key": "den_led", "name_vi": "Đèn LED", "name_en": "LED lamp"},
                              {"key": "den_cao_ap", "name_vi": "Đèn cao áp", "name_en": "Sodium lamp"}]
    form = text_of(client.get("/submit"))
    assert 'name="x__GTDB__lamp_kind"' in form and "Sodium lamp" in form
    # The edit page gives the lines back as they were typed.
    edit_page = text_of(client.get(f"/admin/categories/{category}/fields/lamp_kind"))
    assert "den_cao_ap | Đèn cao áp | Sodium lamp" in edit_page


@pytest.mark.parametrize(("values", "message"), [
    (field_form(datatype="multivaluelist"), "A list needs at least one choice: write one a line."),
    (field_form(code="road_type"), "This code is already used. Choose another."),
    (field_form(code="pole number"), "Use only letters without accents, digits and underscores"),
    (field_form(datatype="singlevaluelist", values="a | A"), "Line 1: write key | Vietnamese name | English name."),
    (field_form(datatype="singlevaluelist", values="a | A | A\na | B | B"), "Each choice needs its own key"),
])
def test_extra_questions_are_checked(
    app: Flask, admin: None, english: None, post_form: Post, values: dict[str, str], message: str
) -> None:
    category = id_of(app, Category, code="GTDB")
    before = row(app, Category, id=category).extra_fields
    response = post_form(f"/admin/categories/{category}/fields/new", values)
    assert response.status_code == 422
    assert has_message(response, message)
    assert row(app, Category, id=category).extra_fields == before


def test_extra_questions_are_edited_moved_and_removed(
    app: Flask, client: FlaskClient, admin: None, english: None, post_form: Post
) -> None:
    category = id_of(app, Category, code="GTDB")
    codes = lambda: [spec["code"] for spec in row(app, Category, id=category).extra_fields]  # noqa: E731
    assert codes()[:2] == ["road_type", "issue_type"]
    page = f"/admin/categories/{category}/fields"

    post_form(f"{page}/issue_type/move", {"direction": "up"}, page=page)
    assert codes()[:2] == ["issue_type", "road_type"]
    post_form(f"{page}/issue_type/move", {"direction": "down"}, page=page)
    assert codes()[:2] == ["road_type", "issue_type"]

    response = post_form(f"{page}/road_type", field_form(code="road_kind", label_en="Kind of road",
                                                         datatype="singlevaluelist", values="ql | Quốc lộ | Highway"))
    assert response.status_code == 302
    assert codes()[0] == "road_kind"
    assert 'name="x__GTDB__road_kind"' in text_of(client.get("/submit"))

    post_form(f"{page}/road_kind/remove", {}, page=page)
    assert "road_kind" not in codes()
    assert 'name="x__GTDB__road_kind"' not in text_of(client.get("/submit"))


# --- Answer templates -----------------------------------------------------------------------

def test_answer_templates_are_added_edited_and_switched_off(
    app: Flask, client: FlaskClient, admin: None, english: None, post_form: Post
) -> None:
    category = id_of(app, Category, code="GTDB")
    body = "Kính gửi ông/bà, Sở Xây dựng đã tiếp nhận và sẽ kiểm tra hiện trường trong tuần."
    response = post_form("/admin/answer-templates/new", {"category": category, "language": "vi",
                                                          "title": "Đã tiếp nhận", "body": body, "active": "y"})
    assert response.status_code == 302
    template = row(app, AnswerTemplate, title="Đã tiếp nhận")
    assert (template.category_id, template.language, template.active) == (category, "vi", True)

    response = post_form(f"/admin/answer-templates/{template.id}",
                         {"category": "", "language": "en", "title": "Received", "body": body, "active": "y"})
    assert response.status_code == 302
    edited = row(app, AnswerTemplate, id=template.id)
    assert (edited.category_id, edited.language, edited.title) == (None, "en", "Received")

    response = post_form("/admin/answer-templates/new", {"category": "", "language": "vi", "title": "",
                                                          "body": "ngắn"})
    assert response.status_code == 422
    assert has_message(response, "The answer must be 20 to 10,000 characters long.")

    assert post_form(f"/admin/answer-templates/{template.id}/switch-off", {},
                     page="/admin/answer-templates").status_code == 302
    assert not row(app, AnswerTemplate, id=template.id).active
