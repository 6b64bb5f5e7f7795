"""Attachments refused with the reason and the form given back: programs, text, too many, too large."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import Attachment, Ticket
from tests.feedback.attachment_uploads import PDF, PostForm, file_ids, png, private_link, send, stored, upload
from tests.feedback.attachment_uploads import submission as submission

# A Windows program: the "MZ" header, the DOS stub and some of what follows.
EXECUTABLE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + b"\x80\x00\x00\x00"
    + b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$"
    + bytes(range(256)) * 8
)


def huge_png(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of these dimensions that compresses to a few kilobytes:
    a decompression bomb unless it is refused from its header, before any pixel is decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit per pixel, greyscale
    row = b"\x00" * (1 + (width + 7) // 8)  # filter type 0, then black pixels
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(Ticket.id))) or 0,
            db.session.scalar(select(func.count(Attachment.id))) or 0,
        )


def files_on_disk(app: Flask) -> set[Path]:
    return {path for path in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if path.is_file()}


def error_summary(page: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert match, "no error summary on the page"
    return match.group(0)


# --- Refused files ----------------------------------------------------------------------------


def test_a_program_named_like_a_photo_is_refused_and_the_form_comes_back(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    submission: Callable[..., dict[str, Any]],
    english: None,
) -> None:
    before, on_disk = counts(app), files_on_disk(app)
    form = submission()
    response = send(post_form, form, [upload(EXECUTABLE, "photo.jpg", "image/jpeg")])

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    summary = error_summary(page)
    assert "“photo.jpg” is not a photo (JPEG, PNG or WebP) or a PDF document" in summary
    # What was typed comes back; the file cannot, and the page says so.
    assert form["title"] in page
    assert form["description"] in page
    assert "attach your files again" in page
    assert counts(app) == before
    assert files_on_disk(app) == on_disk


def test_a_text_file_is_refused(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    submission: Callable[..., dict[str, Any]],
    english: None,
) -> None:
    before = counts(app)
    response = send(
        post_form,
        submission(),
        [upload(png(), "ok.png", "image/png"), upload("Ghi chú: rác ở hẻm.\n".encode(), "ghi-chu.txt", "text/plain")],
    )
    assert response.status_code == 422
    summary = error_summary(response.get_data(as_text=True))
    assert "“ghi-chu.txt” is not a photo (JPEG, PNG or WebP) or a PDF document" in summary
    # Only the refused file is named; the whole submission waits, the good file included.
    assert "ok.png" not in summary
    assert counts(app) == before


def test_at_most_five_files(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    submission: Callable[..., dict[str, Any]],
    english: None,
) -> None:
    before, on_disk = counts(app), files_on_disk(app)
    six = [upload(png((i * 40, 10, 10)), f"anh-{i}.png", "image/png") for i in range(6)]
    response = send(post_form, submission(), six)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Attach at most 5 files." in error_summary(page)
    assert "attach your files again" in page
    assert counts(app) == before
    assert files_on_disk(app) == on_disk

    # Five are fine.
    response = send(post_form, submission(), [upload(png((i, 9, 9)), f"anh-{i}.png", "image/png") for i in range(5)])
    assert response.status_code == 302
    assert len(file_ids(client, private_link(client))) == 5


def test_a_file_over_ten_megabytes_is_refused(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    submission: Callable[..., dict[str, Any]],
    english: None,
) -> None:
    limit = 10 * 1024 * 1024
    before, on_disk = counts(app), files_on_disk(app)
    too_big = PDF + b"%" * (limit + 1 - len(PDF))
    response = send(post_form, submission(), [upload(too_big, "ban-ve.pdf", "application/pdf")])

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "“ban-ve.pdf” is larger than 10 MB." in error_summary(page)
    assert counts(app) == before
    assert files_on_disk(app) == on_disk

    # Exactly 10 MB is still accepted, and rewritten as every PDF is.
    just_fits = too_big[:limit]
    response = send(post_form, submission(), [upload(just_fits, "ban-ve.pdf", "application/pdf")])
    assert response.status_code == 302
    link = private_link(client)
    [file_id] = file_ids(client, link)
    attachment, data = stored(app, file_id)
    assert attachment.content_type == "application/pdf" and data.startswith(b"%PDF-")


# In production Pillow only warns about a big image; here every warning is an error, which
# would hide whether the app itself refuses it.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(
    ("width", "height"),
    [
        (9_000, 9_000),  # 81 megapixels: over our own limit of 40, under Pillow's warning
        (10_000, 10_000),  # also over Pillow's warning threshold, which the app makes an error
        (20_000, 20_000),  # over Pillow's hard limit: refused, not a server error
    ],
)
def test_an_image_of_absurd_size_is_refused_without_decoding_it(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    submission: Callable[..., dict[str, Any]],
    english: None,
    width: int,
    height: int,
) -> None:
    before = counts(app)
    response = send(post_form, submission(), [upload(huge_png(width, height), "toan-canh.png", "image/png")])
    assert response.status_code == 422
    assert "“toan-canh.png” has too many pixels" in error_summary(response.get_data(as_text=True))
    assert counts(app) == before
