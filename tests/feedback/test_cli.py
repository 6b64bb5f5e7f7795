"""The `flask` commands an administrator runs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
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


def test_seed_demo_refuses_a_production_database(app: Flask, database: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "APP_ENV", "production")
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "published password" in result.output
    # A load test's database, deliberately: then it goes on (here, to find it already seeded).
    result = app.test_cli_runner().invoke(args=["seed-demo", "--in-production"])
    assert result.exit_code == 0 and "already has data" in result.output
