"""Files attached to a submission, through the public form as a browser sends them: what is
accepted, what is refused and why, what is stored (photos without their location), and who
may download them."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib
from collections.abc import Callable
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from feedback.extensions import db
from feedback.models import Attachment, Category, Ticket
from feedback.services.intake.attachments import attachment_path

PostForm = Callable[..., TestResponse]
FileTuple = tuple[io.BytesIO, str, str]

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="12,14.09N" '
    b'exif:GPSLongitude="109,11.05E"/></rdf:RDF></x:xmpmeta>'
)
# A Windows program: the "MZ" header, the DOS stub and some of what follows.
EXECUTABLE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + b"\x80\x00\x00\x00"
    + b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$"
    + bytes(range(256)) * 8
)
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
RED, BLUE = (220, 20, 20), (20, 20, 220)
_numbers = count(1)


# --- Making files ------------------------------------------------------------------------


def phone_photo() -> bytes:
    """A 40x30 JPEG as a phone saves it held upright: rotated pixels, orientation 6 (turn
    90° clockwise to show), the GPS position in EXIF and again in XMP. The left half is red and
    the right half blue, so once turned the top is red and the bottom blue."""
    image = Image.new("RGB", (40, 30), BLUE)
    image.paste(RED, (0, 0, 20, 30))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (12.0, 14.0, 5.5), 3: "E", 4: (109.0, 11.0, 3.2)}
    exif[0x0112] = 6
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif, xmp=XMP, quality=95)
    return output.getvalue()


def png(color: tuple[int, int, int] = (10, 120, 60), size: tuple[int, int] = (8, 6)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, color).save(output, "PNG")
    return output.getvalue()


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


def upload(data: bytes, name: str, content_type: str) -> FileTuple:
    return (io.BytesIO(data), name, content_type)


# --- Submitting and following ---------------------------------------------------------------


@pytest.fixture
def english(client: FlaskClient) -> None:
    client.get("/language/en?next=/")


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


def ticket_of(app: Flask, link: str) -> Ticket:
    code = link.split("/")[2]
    with app.app_context():
        ticket = db.session.scalars(select(Ticket).where(Ticket.code == code)).one()
        # Loaded before the session closes, to be read after it.
        assert ticket.department is not None and ticket.attachments is not None
        db.session.expunge_all()
    return ticket


def stored(app: Flask, attachment_id: int) -> tuple[Attachment, bytes]:
    with app.app_context():
        attachment = db.session.get(Attachment, attachment_id)
        assert attachment is not None
        data = attachment_path(attachment).read_bytes()
        db.session.expunge(attachment)
    return attachment, data


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


# --- Photos lose their location ------------------------------------------------------------


def test_a_phone_photo_is_kept_upright_without_its_location(
    app: Flask, client: FlaskClient, post_form: PostForm, submission: Callable[..., dict[str, Any]]
) -> None:
    original = phone_photo()
    with Image.open(io.BytesIO(original)) as sent:
        # What is sent really carries the position, or this test would prove nothing.
        assert sent.size == (40, 30)
        assert sent.getexif().get_ifd(0x8825)[2] == (12.0, 14.0, 5.5)
        assert sent.getexif()[0x0112] == 6
        assert b"GPSLatitude" in sent.info["xmp"]

    response = send(post_form, submission(), [upload(original, "IMG_20261120_0815.jpg", "image/jpeg")])
    assert response.status_code == 302, response.get_data(as_text=True)
    link = private_link(client)
    [file_id] = file_ids(client, link)
    attachment, data = stored(app, file_id)

    assert (attachment.filename, attachment.content_type) == ("IMG_20261120_0815.jpg", "image/jpeg")
    assert attachment.size == len(data)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.storage_key.endswith(".jpg")
    with Image.open(io.BytesIO(data)) as kept:
        assert kept.format == "JPEG"
        assert not kept.getexif().get_ifd(0x8825)
        assert len(kept.getexif()) == 0
        assert "exif" not in kept.info and "xmp" not in kept.info
        # Turned as the orientation said: portrait now, red on top and blue below.
        assert kept.size == (30, 40)
        rgb = kept.convert("RGB")
        top, bottom = rgb.getpixel((15, 8)), rgb.getpixel((15, 32))
    assert top[0] > 150 and top[2] < 100, top
    assert bottom[2] > 150 and bottom[0] < 100, bottom
    for marker in (b"Exif\x00\x00", b"http://ns.adobe.com/xap/1.0/", b"GPSLatitude", b"xmpmeta"):
        assert marker not in data

    # The submitter downloads what was stored, not what was sent.
    response = fetch(client, f"{link}/files/{file_id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.get_data() == data != original


@pytest.mark.parametrize(("kind", "content_type"), [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_other_photo_formats_lose_their_metadata_too(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    submission: Callable[..., dict[str, Any]],
    kind: str,
    content_type: str,
) -> None:
    image = Image.new("RGB", (40, 30), BLUE)
    image.paste(RED, (0, 0, 20, 30))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (12.0, 14.0, 5.5), 3: "E", 4: (109.0, 11.0, 3.2)}
    exif[0x0112] = 6
    output = io.BytesIO()
    image.save(output, kind, exif=exif, xmp=XMP, lossless=True)
    with Image.open(io.BytesIO(output.getvalue())) as sent:
        assert sent.getexif().get_ifd(0x8825)

    response = send(post_form, submission(), [upload(output.getvalue(), f"anh.{kind.lower()}", content_type)])
    assert response.status_code == 302, response.get_data(as_text=True)
    [file_id] = file_ids(client, private_link(client))
    attachment, data = stored(app, file_id)
    assert attachment.content_type == content_type
    with Image.open(io.BytesIO(data)) as kept:
        assert kept.format == kind
        assert len(kept.getexif()) == 0 and "exif" not in kept.info and "xmp" not in kept.info
        assert kept.size == (30, 40)
        # WebP is saved again with loss, so colours move a little.
        top = kept.convert("RGB").getpixel((15, 8))
    assert top[0] > 150 and top[2] < 100, top
    assert b"GPSLatitude" not in data and b"Exif\x00\x00" not in data


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

    # Exactly 10 MB is still accepted, byte for byte.
    just_fits = too_big[:limit]
    response = send(post_form, submission(), [upload(just_fits, "ban-ve.pdf", "application/pdf")])
    assert response.status_code == 302
    link = private_link(client)
    [file_id] = file_ids(client, link)
    attachment, data = stored(app, file_id)
    assert attachment.size == limit and data == just_fits


# In production Pillow only warns about a big image; here every warning is an error, which
# would hide whether the app itself refuses it.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(
    ("width", "height"),
    [
        (9_000, 9_000),  # 81 megapixels: over our own limit of 80, under Pillow's warning
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
    assert "“toan-canh.png” is not a photo" in error_summary(response.get_data(as_text=True))
    assert counts(app) == before


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
    assert document.get_data() == PDF

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
