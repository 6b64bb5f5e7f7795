"""The `flask` commands that import areas and administer staff accounts from a shell."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from feedback.models import Area, User
from tests.conftest import id_of
from tests.feedback.admin_org_forms import PASSWORD, row

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
