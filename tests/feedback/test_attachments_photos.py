"""Photos attached to a submission are kept upright and lose their location, whatever their format."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from tests.feedback.attachment_uploads import PostForm, fetch, file_ids, private_link, send, stored, upload
from tests.feedback.attachment_uploads import submission as submission

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="12,14.09N" '
    b'exif:GPSLongitude="109,11.05E"/></rdf:RDF></x:xmpmeta>'
)
RED, BLUE = (220, 20, 20), (20, 20, 220)


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
