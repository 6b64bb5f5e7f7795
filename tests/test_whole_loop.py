"""The product's loop, end to end, through HTTP requests and a real RQ worker."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import EVERY, Category, Department, StatRollup, Ticket

ANSWER = (
    "Sở Xây dựng đã kiểm tra và vá ổ gà trên đường Trần Phú ngày 20/11. "
    "Đề nghị người dân tiếp tục phản ánh nếu mặt đường hư hỏng trở lại."
)


def ids(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            "roads": db.session.scalar(select(Category.id).where(Category.code == "GTDB")),
            "construction": db.session.scalar(select(Department.id).where(Department.code == "SXD")),
        }


def test_citizen_to_dashboard(
    app: Flask,
    client: FlaskClient,
    post_form: Callable[..., object],
    login: Callable[[str], object],
    logout: Callable[[], None],
    run_worker: Callable[[], bool],
) -> None:
    known = ids(app)

    # A citizen submits feedback without an account.
    response = post_form(
        "/submit",
        {
            "kind": "feedback",
            "category": known["roads"],
            "area": "Phường Nha Trang",
            "x__GTDB__road_type": "do_thi",
            "address": "Đường Trần Phú, gần Quảng trường 2/4",
            "title": "Ổ gà lớn trên đường Trần Phú",
            "description": "Mặt đường có ổ gà sâu khoảng 20 cm, xe máy đi ban đêm rất dễ ngã.",
            "name": "Nguyễn Văn An",
            "email": "an@example.org",
            "submitter_type": "citizen",
            "notify_by": "email",
            "visibility": "public",
            "consent": "y",
        },
    )
    assert response.status_code == 302
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'data-testid="tracking-link">([^<]+)<', confirmation).group(1)
    code = re.search(r'data-testid="tracking-code">([^<]+)<', confirmation).group(1)
    assert code in link
    with app.app_context():
        ticket = db.session.scalars(select(Ticket).where(Ticket.code == code)).one()
        ticket_id = ticket.id
        # The routing rule for roads sends it to the Department of Construction.
        assert ticket.department_id == known["construction"]
        assert ticket.status == "submitted"
        assert ticket.classify_due > ticket.submitted_at

    # The intake officer finds it, sees why it was routed there, and accepts it.
    login("intake@example.org")
    assert code in client.get("/staff/").get_data(as_text=True)
    page = client.get(f"/staff/tickets/{ticket_id}").get_data(as_text=True)
    assert 'data-testid="routing-reason"' in page
    response = post_form(
        f"/staff/tickets/{ticket_id}/accept",
        {"department": known["construction"]},
        page=f"/staff/tickets/{ticket_id}",
    )
    assert response.status_code == 302
    logout()

    # A department officer of that department answers it.
    login("officer.sxd@example.org")
    assert code in client.get("/staff/").get_data(as_text=True)
    response = post_form(
        f"/staff/tickets/{ticket_id}/resolve", {"answer": ANSWER}, page=f"/staff/tickets/{ticket_id}"
    )
    assert response.status_code == 302
    logout()

    # The citizen opens the private link, reads the answer and rates it.
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get(f"/{path}").get_data(as_text=True)
    assert "Trần Phú ngày 20/11" in page
    response = post_form(f"/{path}/rate", {"level": "satisfied", "comment": "Cảm ơn."}, page=f"/{path}")
    assert response.status_code == 302
    assert 'data-testid="rating"' in client.get(f"/{path}").get_data(as_text=True)

    # The statistics are compiled by the worker, not by the requests.
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StatRollup)) == 0
    login("leader@example.org")
    assert 'data-testid="not-compiled"' in client.get("/dashboard/").get_data(as_text=True)
    assert run_worker()

    page = client.get("/dashboard/").get_data(as_text=True)
    row = page[page.index('<tr data-key="SXD">'):]
    row = row[: row.index("</tr>")]
    on_time = re.search(
        r'data-indicator="on_time_rate">\s*<span class="rate-figure"><span class="rate [^"]+">([^<]+)<', row
    ).group(1)
    satisfaction = re.search(
        r'data-indicator="satisfaction_rate">\s*<span class="rate-figure"><span class="rate [^"]+">([^<]+)<', row
    ).group(1)
    assert re.fullmatch(r"100[.,]0\s?%", on_time) and re.fullmatch(r"100[.,]0\s?%", satisfaction)
    with app.app_context():
        stats = db.session.scalars(
            select(StatRollup).where(
                StatRollup.cube == "dc",
                StatRollup.grain == "m",
                StatRollup.department_id == known["construction"],
                StatRollup.channel != EVERY,
            )
        ).one()
        assert (stats.received, stats.resolved, stats.rated, stats.not_satisfied) == (1, 1, 1, 0)
