"""A citizen's own submissions and the tickets they follow, listed on their account page."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedback.extensions import db
from feedback.models import Ticket, TicketFollower
from tests.feedback.citizen_accounts import PostForm, english, sign_in, text
from tests.feedback.citizen_accounts import make_citizen as make_citizen
from tests.feedback.citizen_accounts import submit_as as submit_as


def test_my_submissions_lists_mine_and_not_another_citizens(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    make_citizen: Callable[[str], int],
    submit_as: Callable[[int, str], str],
) -> None:
    me = make_citizen("minh@example.org")
    other = make_citizen("hoa@example.org")
    older = submit_as(me, "Đèn đường tắt cả tuần")
    newer = submit_as(me, "Ổ gà trước chợ Đầm")
    theirs = submit_as(other, "Cây đổ chắn lối đi")
    with app.app_context():
        assert db.session.scalar(select(Ticket.submitter_id).where(Ticket.code == older)) == me

    assert sign_in(post_form, "minh@example.org").headers["Location"] == "/account/"
    english(client)
    page = text(client.get("/account/"))
    assert f'href="/account/submissions/{newer}"' in page
    assert page.index(newer) < page.index(older), "newest first"
    assert theirs not in page and "Cây đổ chắn lối đi" not in page
    assert '<span class="tag tag-submitted">Submitted</span>' in page


def test_followed_tickets_are_listed_apart(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    make_citizen: Callable[[str], int],
    submit_as: Callable[[int, str], str],
) -> None:
    me = make_citizen("minh@example.org")
    followed = submit_as(make_citizen("hoa@example.org"), "Cây đổ chắn lối đi")
    with app.app_context():
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.code == followed))
        db.session.add(TicketFollower(ticket_id=ticket_id, user_id=me, email="minh@example.org"))
        db.session.commit()
    sign_in(post_form, "minh@example.org")
    page = text(client.get("/account/"))
    assert 'data-testid="no-submissions"' in page
    assert f'href="/board/{followed}"' in page and 'data-testid="no-followed"' not in page
