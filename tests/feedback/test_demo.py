"""The demo seed: sample tickets with full histories, and the figures they give."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback.demo import seed_sample_tickets
from feedback.extensions import db
from feedback.models import Rating, Ticket, utcnow
from feedback.services.statistics import rollups


def test_sample_tickets_give_a_dashboard_with_late_and_unhappy_cases(
    app: Flask, client: FlaskClient, login: Callable[[str], object]
) -> None:
    with app.app_context():
        made = seed_sample_tickets(utcnow())
        assert made == db.session.scalar(select(func.count(Ticket.id))) > 50
        statuses = db.session.scalars(select(Ticket.status)).all()
        assert {"submitted", "accepted", "resolved", "closed"} <= set(statuses)
        ratings = db.session.scalars(select(Rating.level)).all()
        assert 0 < ratings.count("not_satisfied") < len(ratings) < made
        assert rollups.rebuild().rows >= 5
    login("leader@example.org")
    page = client.get("/dashboard/").get_data(as_text=True)
    start = page.index('data-testid="league"')
    league = page[start : page.index("</tbody>", start)]
    assert league.count("<tr data-key=") >= 5
    assert "rate-low" in league and "rate-ok" in league
