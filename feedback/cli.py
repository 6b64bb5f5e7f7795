"""`flask` commands: seed the demo, serve with the embedded worker, run workers, make users."""

from __future__ import annotations

import json
from typing import TextIO

import click
import pyotp
from flask import Flask, current_app
from flask.cli import with_appcontext

from feedback.background.embedded import EmbeddedWorker
from feedback.background.queues import QUEUE_NAMES, is_embedded, redis_connection
from feedback.background.workers import AppSimpleWorker, make_worker
from feedback.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, is_seeded, seed_demo, seed_sample_tickets
from feedback.extensions import db
from feedback.jobs import update_statistics
from feedback.models import STAFF_ROLES, Department, Ticket, User, utcnow
from feedback.services.accounts.security import clock, find_account
from feedback.services.accounts.staff import (
    MIN_PASSWORD_LENGTH,
    UserFilters,
    create_user,
    deactivate_user,
    find_user,
    set_user_password,
    staff_users,
)
from feedback.services.organisation.structure import Invalid, import_areas
from feedback.services.statistics import rollups
from feedback.services.statistics.rebuild import RebuildBusy, run_rebuild
from feedback.serving import make_server
from workflows import Role


def init_app(app: Flask) -> None:
    for command in (
        seed_demo_command, serve_command, worker_command, create_user_command, stats_command, demo_code_command
    ):
        app.cli.add_command(command)
    for command in (import_areas_command, set_password_command, deactivate_user_command, list_users_command):
        app.cli.add_command(command)


@click.command("seed-demo")
@click.option(
    "--in-production", is_flag=True, help="Seed a production database anyway (a load test's, never a province's)."
)
@with_appcontext
def seed_demo_command(in_production: bool) -> None:
    """Fill an empty database with the demo province and its accounts."""
    if current_app.config["APP_ENV"] == "production" and not in_production:
        # The demo's staff accounts share one published password: a door left open.
        raise click.ClickException(
            "APP_ENV=production: the demo's accounts share a published password and must not exist "
            "in a province's database. Create staff with create-user (or pass --in-production for a load test)."
        )
    if is_seeded():
        click.echo("The database already has data; the demo was not seeded again.")
        return
    accounts = seed_demo()
    tickets = seed_sample_tickets(utcnow())
    statistics = rollups.rebuild()
    click.echo(
        f"Seeded the demo province: {len(accounts)} staff accounts, {tickets} sample "
        f"tickets, {statistics.rows} rows of statistics."
    )


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the app; without REDIS_URL, with the in-process worker and scheduler."""
    # Flask types current_app as the Flask it stands for, which hides the proxy's own method.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if is_embedded(app):
        EmbeddedWorker(app).start()
        click.echo("Background jobs: embedded worker (no Redis server needed).")
    else:
        click.echo("Background jobs: run `flask worker` and one `rq cron` next to this server.")
    click.echo(f"Demo accounts (password {DEMO_PASSWORD}): intake@example.org, officer.sxd@example.org,")
    click.echo("  head.sxd@example.org, leader@example.org, admin@example.org, officer.<dept>@example.org")
    click.echo(f"Open http://{host}:{port}/")
    make_server(app, host, port).run()


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option(
    "--queue", "queues", multiple=True, type=click.Choice(QUEUE_NAMES),
    help="Listen on this queue only (repeatable; default: all). One queue per worker is safer: "
    "a worker killed while waiting on several queues can lose the job it was taking.",
)
@with_appcontext
def worker_command(burst: bool, queues: tuple[str, ...]) -> None:
    """Run an RQ worker (with the scheduler for delayed jobs and retries) using REDIS_URL."""
    # Flask types current_app as the Flask it stands for, which hides the proxy's own method.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if is_embedded(app):
        raise click.UsageError("Set REDIS_URL: without it, `flask serve` runs the worker in-process.")
    # Jobs run in the worker's own process: they are short, idempotent database work, and a
    # work horse forked for each cost more CPU than the job itself (bench/README.md). The
    # supervisor restarts a worker that dies; RQ retries what it held.
    worker = make_worker(app, AppSimpleWorker, queues or QUEUE_NAMES)
    click.echo(f"Worker on {', '.join(q.name for q in worker.queues)} at {redis_connection(app)}")
    worker.work(burst=burst, with_scheduler=True)


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in STAFF_ROLES]))
@click.option("--department", "department_code", help="Department code, e.g. SXD")
@click.password_option()
@with_appcontext
def create_user_command(email: str, name: str, role: str, department_code: str | None, password: str) -> None:
    """Create a staff account."""
    department = None
    if department_code:
        department = db.session.scalar(db.select(Department).where(Department.code == department_code))
        if department is None:
            raise click.BadParameter(f"no department with code {department_code}", param_hint="--department")
    user = create_user(email, name, password, Role(role), department)
    click.echo(f"Created {user.email} ({role}).")


@click.group("statistics")
def stats_command() -> None:
    """Compile the statistics rollups."""


@stats_command.command("rebuild")
@with_appcontext
def rebuild_statistics_command() -> None:
    """Compile every rollup again from the tickets, showing progress."""
    total = db.session.scalar(db.select(db.func.count(Ticket.id))) or 0
    with click.progressbar(length=total, label="Tickets", show_pos=True, show_percent=True) as bar:
        try:
            result = run_rebuild(progress=bar.update, wait_seconds=120)
        except RebuildBusy:
            raise click.ClickException(
                "The statistics job has held its lock for two minutes; try again later."
            ) from None
    click.echo(f"Compiled {result.rows} rows from {result.tickets} tickets.")


@stats_command.command("update")
@with_appcontext
def update_statistics_command() -> None:
    """Apply the changes waiting for the statistics job now, in this process."""
    count = update_statistics()
    click.echo(
        "The statistics job is running elsewhere; nothing was done."
        if count is None
        else f"Recomputed {count} tickets."
    )


@click.command("demo-code")
@click.argument("email")
@with_appcontext
def demo_code_command(email: str) -> None:
    """Print the current one-time code of a demo account (those with the demo secret only)."""
    user = find_account(email)
    # Only the published demo secret: the command must not become a way round a real account's codes.
    if user is None or user.totp_secret != DEMO_TOTP_SECRET:
        raise click.UsageError(f"{email} is not a demo account with the demo one-time-code secret.")
    click.echo(pyotp.TOTP(DEMO_TOTP_SECRET).at(clock()))


@click.command("import-areas")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@with_appcontext
def import_areas_command(file: TextIO) -> None:
    """Add or update the area tree from a JSON file shaped like feedback/data/areas.json, by code."""
    try:
        tree = json.load(file)
        summary = import_areas(tree)
    except json.JSONDecodeError as error:
        raise click.ClickException(f"{file.name} is not JSON: {error}") from None
    except (KeyError, TypeError) as error:
        raise click.ClickException(f"{file.name} is not an area tree: missing {error}") from None
    except Invalid:
        raise click.ClickException("an area code may have only letters, digits and underscores") from None
    click.echo(f"Areas: {summary.added} added, {summary.updated} updated, {summary.unchanged} unchanged.")


def _account(email: str) -> User:
    user = find_user(email)
    if user is None:
        raise click.BadParameter(f"no account with email {email}", param_hint="EMAIL")
    return user


@click.command("set-password")
@click.argument("email")
@click.password_option(prompt="New password")
@with_appcontext
def set_password_command(email: str, password: str) -> None:
    """Set an account's password (asked twice, not shown)."""
    user = _account(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(f"use at least {MIN_PASSWORD_LENGTH} characters", param_hint="password")
    set_user_password(user, password)
    click.echo(f"Changed the password of {user.email}.")


@click.command("deactivate-user")
@click.argument("email")
@with_appcontext
def deactivate_user_command(email: str) -> None:
    """Switch an account off: it can no longer sign in; its history stays."""
    user = _account(email)
    if deactivate_user(user):
        click.echo(f"Switched off {user.email}.")
    else:
        click.echo(f"{user.email} was already switched off.")


@click.command("list-users")
@click.option("--role", type=click.Choice([r.value for r in STAFF_ROLES]))
@with_appcontext
def list_users_command(role: str | None) -> None:
    """List the staff accounts: email, role, department, state."""
    for user in staff_users(UserFilters(role=role)):
        department = user.department.code if user.department else "-"
        state = "active" if user.active else "inactive"
        click.echo(f"{user.email}\t{user.role}\t{department}\t{state}")
