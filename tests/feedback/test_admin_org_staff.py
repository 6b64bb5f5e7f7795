"""Administering staff accounts through HTTP: new officers, roles and state, passwords, locks, search."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Department, User, utcnow
from feedback.services.handling.actions import accept_ticket
from tests.conftest import id_of
from tests.feedback.admin_org_forms import PASSWORD, Post, has_message, row, text_of

ADMIN = "admin@example.org"


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
