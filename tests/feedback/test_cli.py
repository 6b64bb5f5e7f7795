"""The `flask` commands an administrator runs."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from feedback.demo import DEMO_PASSWORD


def test_create_user_then_sign_in(
    app: Flask, client: FlaskClient, post_form: Callable[..., object], login: Callable[..., object]
) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "Chuyen.Vien@Example.org", "--name", "Chuyên viên Y tế",
              "--role", "department_officer", "--department", "SYT", "--password", "mat-khau-dai-2026"],
    )
    assert result.exit_code == 0, result.output
    assert "chuyen.vien@example.org" in result.output
    login("chuyen.vien@example.org", "mat-khau-dai-2026")
    assert "Chuyên viên Y tế" in client.get("/staff/").get_data(as_text=True)


def test_create_user_refuses_an_unknown_department(app: Flask, database: None) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-user", "x@example.org", "--name", "X", "--role", "leader",
              "--department", "NOPE", "--password", DEMO_PASSWORD],
    )
    assert result.exit_code != 0
    assert "no department with code NOPE" in result.output


def test_seed_demo_leaves_an_existing_database_alone(app: Flask, database: None) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert "already has data" in result.output
