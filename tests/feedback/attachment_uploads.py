"""Files to attach and a valid submission to attach them to, sent through the public form as a
browser sends them, and what was stored read back."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from itertools import count
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from werkzeug.test import TestResponse

from feedback.extensions import db
from feedback.models import Attachment, Category
from feedback.services.intake.attachments import attachment_path

PostForm = Callable[..., TestResponse]
FileTuple = tuple[io.BytesIO, str, str]

# One blank A4 page; a PDF without pages cannot be read, and is refused.
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
_numbers = count(1)


# --- Making files ------------------------------------------------------------------------


def png(color: tuple[int, int, int] = (10, 120, 60), size: tuple[int, int] = (8, 6)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, color).save(output, "PNG")
    return output.getvalue()


def upload(data: bytes, name: str, content_type: str) -> FileTuple:
    return (io.BytesIO(data), name, content_type)


# --- Submitting and following ---------------------------------------------------------------


@pytest.fixture
def submission(app: Flask, database: None) -> Callable[..., dict[str, Any]]:
    """A valid form; each call has its own text, so that none is taken for a duplicate."""
    with app.app_context():
        category = db.session.scalar(select(Category.id).where(Category.code == "MTRT"))

    def make(**changes: Any) -> dict[str, Any]:
        n = next(_numbers)
        return {
            "kind": "feedback",
            "category": category,
            "area": "Phường Bắc Nha Trang",
            "x__MTRT__waste_type": "sinh_hoat",
            "title": f"Rác tồn đọng ở hẻm số {n}",
            "description": f"Rác sinh hoạt ở hẻm số {n} không được thu gom ba ngày nay, bốc mùi rất khó chịu.",
            "submitter_type": "citizen",
            "notify_by": "none",
            "visibility": "public",
            "consent": "y",
            **changes,
        }

    return make


def send(post_form: PostForm, form: dict[str, Any], files: list[FileTuple]) -> TestResponse:
    response = post_form("/submit", {**form, "attachments": files})
    # Werkzeug's test client spools a body over 500 KB to a temporary file and leaves it open.
    response.request.environ["wsgi.input"].close()
    return response


def private_link(client: FlaskClient) -> str:
    """The path of the private link shown after submitting, like /track/<code>/<secret>."""
    page = client.get("/submitted").get_data(as_text=True)
    match = re.search(r'data-testid="tracking-link">https?://[^/<]+(/track/[^<]+)<', page)
    assert match, page
    return match.group(1)


def file_ids(client: FlaskClient, link: str) -> list[int]:
    """The files listed on the tracking page, in the order shown."""
    page = client.get(link).get_data(as_text=True)
    return [int(found) for found in re.findall(re.escape(link) + r"/files/(\d+)\"", page)]


def fetch(client: FlaskClient, url: str) -> TestResponse:
    """A GET whose body is read and whose file is closed, as a browser would."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def stored(app: Flask, attachment_id: int) -> tuple[Attachment, bytes]:
    with app.app_context():
        attachment = db.session.get(Attachment, attachment_id)
        assert attachment is not None
        data = attachment_path(attachment).read_bytes()
        db.session.expunge(attachment)
    return attachment, data
