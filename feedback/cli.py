"""`flask` commands: seed the demo, serve with the embedded worker, run workers, make users."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from feedback.background.embedded import EmbeddedWorker
from feedback.background.queues import all_queues, is_embedded, redis_connection
from feedback.background.workers import AppWorker, make_worker
from feedback.demo import DEMO_PASSWORD, is_seeded, seed_demo, seed_sample_tickets
from feedback.extensions import db
from feedback.models import STAFF_ROLES, Department, utcnow
from feedback.services.accounts import create_user
from feedback.services.statistics import compile_department_stats
from workflows import Role


def init_app(app: Flask) -> None:
    for command in (seed_demo_command, serve_command, worker_command, create_user_command, stats_command):
        app.cli.add_command(command)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Fill an empty database with the demo province and its accounts."""
    if is_seeded():
        click.echo("The database already has data; the demo was not seeded again.")
        return
    accounts = seed_demo()
    tickets = seed_sample_tickets(utcnow())
    departments = compile_department_stats()
    click.echo(
        f"Seeded the demo province: {len(accounts)} staff accounts, {tickets} sample "
        f"tickets, statistics for {departments} departments."
    )


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the app; without REDIS_URL, with the in-process worker and scheduler."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if is_embedded(app):
        EmbeddedWorker(app).start()
        click.echo("Background jobs: embedded worker (no Redis server needed).")
    else:
        click.echo("Background jobs: run `flask worker` and one `rq cron` next to this server.")
    click.echo(f"Demo accounts (password {DEMO_PASSWORD}): intake@example.org, officer.sxd@example.org,")
    click.echo("  head.sxd@example.org, leader@example.org, admin@example.org, officer.<dept>@example.org")
    click.echo(f"Open http://{host}:{port}/")
    # `app.run` refuses to run under the flask command; the server it wraps does not.
    run_simple(host, port, app, threaded=True)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run an RQ worker (with the scheduler for delayed jobs and retries) using REDIS_URL."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if is_embedded(app):
        raise click.UsageError("Set REDIS_URL: without it, `flask serve` runs the worker in-process.")
    # A forked work horse must not reuse the parent's database connections.
    os.register_at_fork(after_in_child=lambda: db.engine.dispose(close=False))
    worker = make_worker(app, AppWorker)
    click.echo(f"Worker on {', '.join(q.name for q in all_queues(app))} at {redis_connection(app)}")
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


@click.command("compile-stats")
@with_appcontext
def stats_command() -> None:
    """Recompile the statistics rollups now, in this process."""
    count = compile_department_stats()
    click.echo(f"Compiled statistics for {count} departments.")
