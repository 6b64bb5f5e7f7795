"""Attached files served back through the private link, and who else may download them."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from werkzeug.test import TestResponse

from feedback.extensions import db
from feedback.models import Ticket
from tests.feedback.attachment_uploads import PDF, PostForm, fetch, file_ids, png, private_link, send, stored, upload
from tests.feedback.attachment_uploads import submission as submission


def ticket_of(app: Flask, link: str) -> Ticket:
    code = link.split("/")[2]
    with app.app_context():
        ticket = db.session.scalars(select(Ticket).where(Ticket.code == code)).one()
        # Loaded before the session closes, to be read after it.
        assert ticket.department is not None and ticket.attachments is not None
        db.session.expunge_all()
    return ticket


# --- Serving files back -----------------------------------------------------------------------


def test_a_png_and_a_pdf_are_served_back_through_the_private_link(
    app: Flask, client: FlaskClient, post_form: PostForm, submission: Callable[..., dict[str, Any]]
) -> None:
    picture = png((200, 150, 0), (12, 9))
    response = send(
        post_form,
        submission(),
        [upload(picture, "bãi rác.png", "image/png"), upload(PDF, "Biên bản.pdf", "application/pdf")],
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    link = private_link(client)
    page = client.get(link).get_data(as_text=True)
    assert "bãi rác.png" in page and "Biên bản.pdf" in page
    image_id, pdf_id = file_ids(client, link)

    image = fetch(client, f"{link}/files/{image_id}")
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in image.headers["Cache-Control"]
    assert not image.headers.get("Content-Disposition", "inline").startswith("attachment")
    with Image.open(io.BytesIO(image.get_data())) as served:
        assert served.format == "PNG" and served.size == (12, 9)
        assert served.convert("RGB").getpixel((5, 5)) == (200, 150, 0)

    document = fetch(client, f"{link}/files/{pdf_id}")
    assert document.status_code == 200
    assert document.headers["Content-Type"] == "application/pdf"
    assert document.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in document.headers["Cache-Control"]
    assert document.headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n.pdf" in document.headers["Content-Disposition"]
    # Every PDF is rewritten (test_security_uploads.py): what is served is what was stored.
    assert document.get_data() == stored(app, pdf_id)[1]

    ticket = ticket_of(app, link)
    assert sorted((a.filename, a.content_type) for a in ticket.attachments) == [
        ("Biên bản.pdf", "application/pdf"),
        ("bãi rác.png", "image/png"),
    ]


# --- Who may download them ----------------------------------------------------------------


@pytest.fixture
def two_tickets(client: FlaskClient, post_form: PostForm, submission: Callable[..., dict[str, Any]]) -> tuple[str, str]:
    """Two tickets, each with one photo; their private links."""
    links = []
    for color in ((200, 0, 0), (0, 0, 200)):
        response = send(post_form, submission(), [upload(png(color), "anh.png", "image/png")])
        assert response.status_code == 302
        links.append(private_link(client))
    return links[0], links[1]


def test_a_file_is_reached_only_through_its_own_ticket(client: FlaskClient, two_tickets: tuple[str, str]) -> None:
    mine, theirs = two_tickets
    [my_file] = file_ids(client, mine)
    [their_file] = file_ids(client, theirs)
    assert fetch(client, f"{mine}/files/{my_file}").status_code == 200

    code = mine.split("/")[2]
    their_secret = theirs.split("/")[3]
    # Another ticket's secret with this ticket's code and file.
    assert fetch(client, f"/track/{code}/{their_secret}/files/{my_file}").status_code == 404
    # Another ticket's file through this ticket's valid link.
    assert fetch(client, f"{mine}/files/{their_file}").status_code == 404
    assert fetch(client, f"{mine}/files/{their_file + my_file + 1000}").status_code == 404


def test_staff_see_the_files_of_the_tickets_they_may_see(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    login: Callable[[str], TestResponse],
    logout: Callable[[], None],
    two_tickets: tuple[str, str],
) -> None:
    mine, theirs = two_tickets
    ticket, other = ticket_of(app, mine), ticket_of(app, theirs)
    [attachment] = ticket.attachments
    [other_attachment] = other.attachments
    url = f"/staff/tickets/{ticket.id}/files/{attachment.id}"
    _, data = stored(app, attachment.id)
    handling = ticket.department.code
    assert handling != "SXD"

    response = fetch(client, url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]

    # Until intake accepts it, not even the department it is routed to sees it.
    login(f"officer.{handling.lower()}@example.org")
    assert fetch(client, url).status_code == 404
    logout()

    # Intake screens new submissions, files included, then sends it to the department.
    login("intake@example.org")
    page = client.get(f"/staff/tickets/{ticket.id}").get_data(as_text=True)
    assert url in page
    response = fetch(client, url)
    assert response.status_code == 200 and response.get_data() == data
    assert "no-store" in response.headers["Cache-Control"]
    response = post_form(
        f"/staff/tickets/{ticket.id}/accept", {"department": ticket.department_id}, page=f"/staff/tickets/{ticket.id}"
    )
    assert response.status_code == 302
    logout()

    # Another department never sees it, accepted or not.
    login("officer.sxd@example.org")
    assert fetch(client, url).status_code == 404
    logout()

    login(f"officer.{handling.lower()}@example.org")
    response = fetch(client, url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.get_data() == data
    # The other ticket's file is not reached through this ticket's address.
    assert fetch(client, f"/staff/tickets/{ticket.id}/files/{other_attachment.id}").status_code == 404
    # Nor the other ticket itself, which intake has not accepted.
    assert fetch(client, f"/staff/tickets/{other.id}/files/{other_attachment.id}").status_code == 404
