"""Administration of the province's structure, staff accounts and answer templates, through
HTTP with real forms and CSRF, and the `flask` commands that do the same from a shell."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import AnswerTemplate, Area, Category, Department, User, utcnow
from feedback.services.handling.actions import accept_ticket
from tests.conftest import id_of

ADMIN = "admin@example.org"
PASSWORD = "mat-khau-moi-2026"
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
Post = Callable[..., Any]


def pages(app: Flask) -> list[str]:
    ids = {
        "area": id_of(app, Area, name="Phường Nha Trang"),
        "department": id_of(app, Department, code="SXD"),
        "category": id_of(app, Category, code="GTDB"),
        "user": id_of(app, User, email="officer.sxd@example.org"),
    }
    return [url.format(**ids) for url in PAGES]


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


def field_form(**changes: Any) -> dict[str, Any]:
    return {"code": "pole_number", "label_vi": "Số hiệu cột đèn", "label_en": "Lamp post number",
            "datatype": "string", "values": "", **changes}


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


# --- Staff accounts -------------------------------------------------------------------------

def new_user_form(**changes: Any) -> dict[str, Any]:
    return {"email": "Can.Bo.Moi@example.org", "name": "Cán bộ Mới", "role": "department_officer",
            "department": "", "password": PASSWORD, **changes}


def test_a_new_officer_signs_in_to_their_departments_inbox(
    app: Flask, client: FlaskClient, admin: None, english: None, post_form: Post,
    login: Callable[..., Any], logout: Callable[[], None], make_ticket: Callable[..., int],
) -> None:
    construction = id_of(app, Department, code="SXD")
    response = post_form("/admin/users/new", new_user_form())
    assert response.status_code == 422
    assert has_message(response, "Choose the department of this officer or head.")
    response = post_form("/admin/users/new", new_user_form(department=construction, password="short"))
    assert response.status_code == 422
    assert has_message(response, "The password must have at least 10 characters.")

    response = post_form("/admin/users/new", new_user_form(department=construction))
    assert response.status_code == 302
    response = post_form("/admin/users/new", new_user_form(department=construction))
    assert has_message(response, "An account with this email address already exists.")
    logout()

    ticket = make_ticket("GTDB", title="Cột đèn nghiêng trước chợ")
    with app.app_context():
        intake = db.session.scalars(select(User).where(User.email == "intake@example.org")).one()
        accept_ticket(intake, ticket, construction)
    login("can.bo.moi@example.org", PASSWORD)
    inbox = text_of(client.get("/staff/"))
    assert "Cán bộ Mới" in inbox and "Department of Construction" in inbox
    assert f"/staff/tickets/{ticket}" in inbox


def test_administrators_have_no_department(app: Flask, admin: None, english: None, post_form: Post) -> None:
    response = post_form("/admin/users/new", new_user_form(role="administrator",
                                                           department=id_of(app, Department, code="SXD")))
    assert response.status_code == 422
    assert has_message(response, "Administrators belong to no department: leave it empty.")
    assert post_form("/admin/users/new", new_user_form(role="administrator")).status_code == 302
    assert row(app, User, email="can.bo.moi@example.org").role == "administrator"


def test_roles_departments_and_state_are_edited(
    app: Flask, client: FlaskClient, admin: None, english: None, post_form: Post, login: Callable[..., Any],
    logout: Callable[[], None],
) -> None:
    officer = id_of(app, User, email="officer.sxd@example.org")
    health = id_of(app, Department, code="SYT")
    response = post_form(f"/admin/users/{officer}", {"role": "department_head", "department": health, "active": "y"})
    assert response.status_code == 302
    edited = row(app, User, id=officer)
    assert (edited.role, edited.department_id, edited.active) == ("department_head", health, True)

    post_form(f"/admin/users/{officer}", {"role": "department_head", "department": health})
    assert not row(app, User, id=officer).active
    logout()
    response = post_form("/login", {"email": "officer.sxd@example.org", "password": "demo-pakn-2026"})
    assert response.status_code == 422


@pytest.mark.parametrize(("values", "message"), [
    ({"role": "leader", "department": "", "active": "y"}, "You cannot take away your own administrator role."),
    ({"role": "administrator", "department": ""}, "You cannot switch off your own account."),
])
def test_an_administrator_keeps_their_own_access(
    app: Flask, admin: None, english: None, post_form: Post, values: dict[str, str], message: str
) -> None:
    me = id_of(app, User, email=ADMIN)
    response = post_form(f"/admin/users/{me}", values)
    assert response.status_code == 422
    assert has_message(response, message)
    mine = row(app, User, id=me)
    assert (mine.role, mine.active) == ("administrator", True)


def test_password_reset_unlock_and_two_factor_reset(
    app: Flask, client: FlaskClient, admin: None, english: None, post_form: Post,
    login: Callable[..., Any], logout: Callable[[], None],
) -> None:
    officer = id_of(app, User, email="officer.sxd@example.org")
    with app.app_context():
        user = db.session.get(User, officer)
        user.failed_logins, user.locked_until = 7, utcnow() + timedelta(minutes=15)
        user.totp_secret, user.totp_confirmed_at = "JBSWY3DPEHPK3PXP", utcnow()
        db.session.commit()
    page = f"/admin/users/{officer}"
    assert "locked until" in text_of(client.get(page))

    assert post_form(f"{page}/unlock", {}, page=page).status_code == 302
    unlocked = row(app, User, id=officer)
    assert (unlocked.failed_logins, unlocked.locked_until) == (0, None)
    assert unlocked.totp_secret is not None

    assert post_form(f"{page}/reset-two-factor", {}, page=page).status_code == 302
    reset = row(app, User, id=officer)
    assert (reset.totp_secret, reset.totp_confirmed_at) == (None, None)

    response = post_form(f"{page}/password", {"password": "ngan"}, page=page)
    assert response.status_code == 422
    assert has_message(response, "The password must have at least 10 characters.")
    assert post_form(f"{page}/password", {"password": PASSWORD}, page=page).status_code == 302
    logout()
    login("officer.sxd@example.org", PASSWORD)


def test_accounts_are_filtered_and_searched(app: Flask, client: FlaskClient, admin: None, english: None) -> None:
    everyone = text_of(client.get("/admin/users"))
    assert 'data-user="leader@example.org"' in everyone and 'data-user="officer.sxd@example.org"' in everyone

    heads = text_of(client.get("/admin/users?role=department_head"))
    assert 'data-user="head.sxd@example.org"' in heads and 'data-user="officer.sxd@example.org"' not in heads

    construction = id_of(app, Department, code="SXD")
    in_sxd = text_of(client.get(f"/admin/users?department={construction}"))
    assert 'data-user="head.sxd@example.org"' in in_sxd and 'data-user="leader@example.org"' not in in_sxd

    found = text_of(client.get("/admin/users?q=LEADER"))
    assert 'data-user="leader@example.org"' in found and 'data-user="head.sxd@example.org"' not in found

    assert 'data-user=' not in text_of(client.get("/admin/users?active=no"))
    assert client.get("/admin/users?role=nobody").status_code == 422


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


# --- Commands -------------------------------------------------------------------------------

def test_import_areas_adds_and_updates_by_code(app: Flask, database: None, tmp_path: Path) -> None:
    tree = {"code": "56", "name": "Tỉnh Khánh Hòa", "kind": "tỉnh", "children": [
        {"code": "22366", "name": "Phường Nha Trang (mới)", "kind": "phường"},
        {"code": "99100", "name": "Xã Mới", "kind": "xã",
         "children": [{"code": "99101", "name": "Thôn Một", "kind": "thôn"}]},
    ]}
    file = tmp_path / "areas.json"
    file.write_text(json.dumps(tree, ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-areas", str(file)])
    assert result.exit_code == 0, result.output
    assert "Areas: 2 added, 1 updated, 1 unchanged." in result.output
    assert row(app, Area, code="22366").name == "Phường Nha Trang (mới)"
    assert row(app, Area, code="99101").parent_id == id_of(app, Area, code="99100")

    again = app.test_cli_runner().invoke(args=["import-areas", str(file)])
    assert "Areas: 0 added, 0 updated, 4 unchanged." in again.output

    file.write_text("{not json", encoding="utf-8")
    broken = app.test_cli_runner().invoke(args=["import-areas", str(file)])
    assert broken.exit_code != 0 and "is not JSON" in broken.output


def test_set_password_asks_twice(app: Flask, client: FlaskClient, login: Callable[..., Any]) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["set-password", "leader@example.org"], input=f"{PASSWORD}\nsomething-else\n"
                                                                             f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Changed the password of leader@example.org." in result.output
    assert PASSWORD not in result.output
    login("leader@example.org", PASSWORD)

    short = runner.invoke(args=["set-password", "leader@example.org"], input="short\nshort\n")
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    unknown = runner.invoke(args=["set-password", "nobody@example.org"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert unknown.exit_code != 0 and "no account with email nobody@example.org" in unknown.output


def test_deactivate_and_list_users(app: Flask, database: None) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["deactivate-user", "Officer.SXD@example.org"])
    assert result.exit_code == 0 and "Switched off officer.sxd@example.org." in result.output
    assert not row(app, User, email="officer.sxd@example.org").active
    assert "already switched off" in runner.invoke(args=["deactivate-user", "officer.sxd@example.org"]).output

    listed = runner.invoke(args=["list-users", "--role", "department_officer"]).output.splitlines()
    assert "officer.sxd@example.org\tdepartment_officer\tSXD\tinactive" in listed
    assert all("\tdepartment_officer\t" in line for line in listed)
    assert "admin@example.org\tadministrator\t-\tactive" in runner.invoke(args=["list-users"]).output
