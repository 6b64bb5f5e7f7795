"""Uploads that cannot hurt the server or the staff who open them: a picture is weighed from its
header before a pixel is decoded, and a PDF is rewritten without what a reader would run."""

from __future__ import annotations

import gc
import io
import os
import re
import struct
import zlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pikepdf import Array, Dictionary, Name, String
from PIL import Image
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from feedback.extensions import db
from feedback.models import Attachment
from tests.feedback.attachment_uploads import PostForm, file_ids, private_link, send, stored, upload
from tests.feedback.attachment_uploads import submission as submission

# What a refused upload may add to the server's memory, page included: decoding the pictures
# below took 380 to 720 MB there, and parsing the PDFs up to 1.7 GB.
REFUSAL_MEMORY = 64 * 1024 * 1024


# --- Measuring ----------------------------------------------------------------------------------


def _status_kib(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    assert match, field
    return int(match.group(1))


def with_peak_growth(request: Callable[[], TestResponse]) -> tuple[TestResponse, int]:
    """The response, and by how many bytes this process's resident memory grew at its peak while
    the request ran. Writing 5 to /proc/self/clear_refs brings the peak (VmHWM) down to the
    current size, so the peak of earlier tests does not hide this one's."""
    reset = Path("/proc/self/clear_refs")
    if not os.access(reset, os.W_OK):
        pytest.skip("measuring a request's peak memory needs Linux's /proc/self/clear_refs")
    gc.collect()
    reset.write_text("5")
    start = _status_kib("VmRSS")
    response = request()
    return response, (_status_kib("VmHWM") - start) * 1024


def attachment_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Attachment.id))) or 0


def refusal(response: TestResponse) -> str:
    assert response.status_code == 422, response.status_code
    match = re.search(r'<div class="error-summary".*?</div>', response.get_data(as_text=True), re.S)
    assert match, "no error summary on the page"
    return match.group(0)


# --- Pictures -----------------------------------------------------------------------------------


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@cache
def rgb_png(width: int, height: int, text: bytes = b"") -> bytes:
    """A PNG of one colour, 8 bits a channel, written row by row with zlib so that the test never
    holds its pixels: a few hundred kilobytes for 80 megapixels. `text` goes before the pixels."""
    row = b"\x00" + b"\x50\x80\x30" * width  # filter type 0, then the pixels
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunks = _png_chunk(b"IHDR", header) + text + _png_chunk(b"IDAT", pixels) + _png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def webp_animation(width: int, height: int, frames: int) -> bytes:
    """An animated WebP of 200 bytes: frames of 16x16 pixels on a canvas of width x height, which
    libwebp draws onto a whole canvas to hand over even the first frame."""
    small = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(small, "WEBP", lossless=True)
    bitstream = small.getvalue()[12:]  # the VP8L chunk, after RIFF, its size and WEBP

    def chunk(kind: bytes, body: bytes) -> bytes:
        return kind + struct.pack("<I", len(body)) + body + b"\0" * (len(body) % 2)

    def u24(number: int) -> bytes:
        return struct.pack("<I", number)[:3]

    canvas = chunk(b"VP8X", b"\x02\0\0\0" + u24(width - 1) + u24(height - 1))  # 0x02: animated
    loop = chunk(b"ANIM", struct.pack("<IH", 0, 0))
    frame = chunk(b"ANMF", u24(0) + u24(0) + u24(15) + u24(15) + u24(100) + b"\0" + bitstream)
    body = b"WEBP" + canvas + loop + frame * frames
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8_900, 8_900),  # 79 MP: under the 80 MP the cleaner allowed, 700 MB to decode and clean
        (8_160, 6_120),  # 50 MP, a 50 MP phone's photo at full size: over our 40 MP
    ],
)
def test_a_picture_over_40_megapixels_is_refused_before_it_is_decoded(
    app: Flask,
    client: FlaskClient,
    post_form: PostForm,
    submission: Callable[..., dict[str, Any]],
    english: None,
    width: int,
    height: int,
) -> None:
    picture, before = rgb_png(width, height), attachment_count(app)
    assert len(picture) < 300_000

    response, growth = with_peak_growth(
        lambda: send(post_form, submission(), [upload(picture, "toan-canh.png", "image/png")])
    )
    assert "“toan-canh.png” has too many pixels to be checked" in refusal(response)
    assert growth < REFUSAL_MEMORY, f"{growth / 2**20:.0f} MB"
    assert attachment_count(app) == before


def test_the_refusal_is_in_the_visitors_language(
    post_form: PostForm, submission: Callable[..., dict[str, Any]]
) -> None:
    response = send(post_form, submission(), [upload(rgb_png(8_900, 8_900), "toan-canh.png", "image/png")])
    assert "“toan-canh.png” có quá nhiều điểm ảnh" in refusal(response)


def test_an_animation_whose_canvas_takes_gigabytes_is_refused_before_it_is_decoded(
    app: Flask, post_form: PostForm, submission: Callable[..., dict[str, Any]], english: None
) -> None:
    # 36 MP, under the pixel budget; but libwebp keeps two canvases and hands over a third, so
    # the first frame alone took 750 MB and 5 s to clean.
    animation = webp_animation(6_000, 6_000, frames=3)
    with Image.open(io.BytesIO(animation)) as sent:
        assert (sent.format, sent.size, getattr(sent, "n_frames", 1)) == ("WEBP", (6_000, 6_000), 3)

    response, growth = with_peak_growth(
        lambda: send(post_form, submission(), [upload(animation, "hoat-hinh.webp", "image/webp")])
    )
    assert "“hoat-hinh.webp” has too many pixels to be checked" in refusal(response)
    assert growth < REFUSAL_MEMORY, f"{growth / 2**20:.0f} MB"


def test_an_animation_is_kept_as_its_first_frame_the_only_one_decoded(
    app: Flask, client: FlaskClient, post_form: PostForm, submission: Callable[..., dict[str, Any]]
) -> None:
    # The budget counts one frame because only the first is decoded and stored; this keeps it so.
    frames = [Image.new("RGB", (12, 8), colour) for colour in ((200, 30, 30), (30, 200, 30), (30, 30, 200))]
    animation = io.BytesIO()
    frames[0].save(animation, "PNG", save_all=True, append_images=frames[1:])
    response = send(post_form, submission(), [upload(animation.getvalue(), "hoat-hinh.png", "image/png")])
    assert response.status_code == 302, response.get_data(as_text=True)

    [file_id] = file_ids(client, private_link(client))
    with Image.open(io.BytesIO(stored(app, file_id)[1])) as kept:
        assert getattr(kept, "n_frames", 1) == 1
        assert kept.convert("RGB").getpixel((5, 5)) == (200, 30, 30)


def test_a_png_whose_text_unpacks_past_pillows_limit_is_refused_not_a_server_error(
    post_form: PostForm, submission: Callable[..., dict[str, Any]], english: None
) -> None:
    # A compressed comment of 2 KB that unpacks to 2 MB, over PngImagePlugin.MAX_TEXT_CHUNK.
    comment = _png_chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"a" * 2**21, 9))
    response = send(post_form, submission(), [upload(rgb_png(40, 30, comment), "anh.png", "image/png")])
    assert "“anh.png” is not a photo" in refusal(response)


# --- PDF documents ------------------------------------------------------------------------------

PAGE_TEXTS = (b"BT /F1 18 Tf 72 760 Td (Kinh gui So Xay dung) Tj ET", b"BT /F1 18 Tf 72 760 Td (Trang 2) Tj ET")


def script(pdf: pikepdf.Pdf, code: str) -> pikepdf.Object:
    return pdf.make_indirect(Dictionary(Type=Name.Action, S=Name.JavaScript, JS=pdf.make_stream(code.encode())))


def booby_trapped_pdf() -> bytes:
    """Two pages of text, and everything a reader may run or offer when staff open the file:
    scripts on opening the document and a page, a named script, a program embedded and attached
    to a page, links that launch a program and open a site, a filled form field with a script
    and an XFA form, and a bookmark that runs a script."""
    pdf = pikepdf.new()
    font = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    for text in PAGE_TEXTS:
        page = pdf.add_blank_page(page_size=(595, 842))
        page.obj.Resources = Dictionary(Font=Dictionary(F1=font))
        page.obj.Contents = pdf.make_stream(text)
    first, second = pdf.pages[0].obj, pdf.pages[1].obj

    pdf.Root.OpenAction = script(pdf, "app.alert('open')")
    pdf.Root.AA = Dictionary(WC=script(pdf, "app.alert('close')"))
    first.AA = Dictionary(O=script(pdf, "app.alert('page')"))
    pdf.attachments["hoa-don.pdf.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ program", filename="hoa-don.pdf.exe")
    pdf.Root.Names.JavaScript = Dictionary(Names=Array([String("start"), script(pdf, "app.alert('named')")]))
    outline = pdf.Root.Outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, Count=1))
    bookmark = Dictionary(Title=String("Trang 1"), Parent=outline, A=script(pdf, "app.alert('mark')"))
    outline.First = outline.Last = pdf.make_indirect(bookmark)

    name_appearance = pdf.make_stream(
        b"BT /F1 12 Tf 2 5 Td (Nguyen Van A) Tj ET",
        Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 200, 20], Resources=Dictionary(Font=Dictionary(F1=font)),
    )  # fmt: skip
    field = pdf.make_indirect(
        Dictionary(
            Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=String("ho_ten"), V=String("Nguyen Van A"),
            Rect=[72, 600, 272, 620], F=4, P=second, AP=Dictionary(N=name_appearance),
            AA=Dictionary(K=script(pdf, "app.alert('key')")),
        )
    )  # fmt: skip
    program = pikepdf.AttachedFileSpec(pdf, b"MZ program", filename="chung-tu.exe")
    launch = Dictionary(S=Name.Launch, F=String("cmd.exe"))
    site = Dictionary(S=Name.URI, URI=String("http://lua-dao.example/"))
    annotations = [
        field,
        Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[10, 10, 30, 30], FS=program.obj),
        Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[72, 700, 300, 720], A=launch),
        Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[72, 680, 300, 700], A=site),
    ]
    second.Annots = Array([pdf.make_indirect(annotation) for annotation in annotations])
    pdf.Root.AcroForm = Dictionary(Fields=Array([field]), XFA=pdf.make_stream(b"<xdp:xdp><script>x</script></xdp:xdp>"))
    output = io.BytesIO()
    # Uncompressed, so that what the test looks for can be found in the bytes.
    pdf.save(output, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return output.getvalue()


def streams_of(page: pikepdf.Page) -> list[bytes]:
    contents = page.obj.Contents
    return [stream.read_bytes() for stream in (contents if isinstance(contents, Array) else [contents])]


def test_a_pdf_comes_out_with_its_pages_and_nothing_that_runs(
    app: Flask, client: FlaskClient, post_form: PostForm, submission: Callable[..., dict[str, Any]]
) -> None:
    original = booby_trapped_pdf()
    for marker in (b"/OpenAction", b"app.alert", b"/Launch", b"/EmbeddedFiles", b"/AcroForm", b"/XFA", b"MZ prog"):
        assert marker in original, marker

    response = send(post_form, submission(), [upload(original, "don-kien-nghi.pdf", "application/pdf")])
    assert response.status_code == 302, response.get_data(as_text=True)
    [file_id] = file_ids(client, private_link(client))
    attachment, data = stored(app, file_id)
    assert (attachment.content_type, attachment.size) == ("application/pdf", len(data))

    for marker in (b"JavaScript", b"app.alert", b"/JS", b"/AA", b"/Launch", b"/URI", b"cmd.exe", b"MZ prog", b"/XFA"):
        assert marker not in data, marker
    with pikepdf.open(io.BytesIO(data)) as cleaned:
        for key in ("/OpenAction", "/AA", "/AcroForm", "/Names", "/Outlines"):
            assert key not in cleaned.Root, key
        assert not cleaned.attachments
        for item in cleaned.objects:
            if isinstance(item, Dictionary | pikepdf.Stream):
                assert not {"/JS", "/AA", "/A", "/EF", "/FS", "/XFA", "/Annots"} & set(item.keys()), item.keys()
                assert item.get("/Type") not in (Name.EmbeddedFile, Name.Filespec, Name.Annot, Name.Action)

        # The same pages, drawn the same: the first as it was, the second with its filled field
        # drawn into it, since the field itself is gone.
        assert len(cleaned.pages) == len(PAGE_TEXTS)
        assert streams_of(cleaned.pages[0]) == [PAGE_TEXTS[0]]
        assert PAGE_TEXTS[1] in streams_of(cleaned.pages[1])
        drawn = [xobject.read_bytes() for xobject in cleaned.pages[1].obj.Resources.XObject.values()]
        assert any(b"(Nguyen Van A) Tj" in content for content in drawn)


def test_a_pdf_locked_by_a_password_is_refused(
    app: Flask, post_form: PostForm, submission: Callable[..., dict[str, Any]], english: None
) -> None:
    locked = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(locked, encryption=pikepdf.Encryption(user="mat-khau", owner="mat-khau-chu"))
    before = attachment_count(app)
    response = send(post_form, submission(), [upload(locked.getvalue(), "bien-ban.pdf", "application/pdf")])
    assert "“bien-ban.pdf” is protected by a password. Attach a copy that opens without one." in refusal(response)
    assert attachment_count(app) == before


def catalog_in_object_stream(head: bytes, filler: bytes, times: int, tail: bytes = b"") -> bytes:
    """A PDF whose catalog, `head + filler * times + tail`, sits in a compressed object stream,
    which the parser must unpack and read to find the document. The test never holds it whole."""
    output = io.BytesIO()
    output.write(b"%PDF-1.5\n")
    offsets = {}

    def put(number: int, body: bytes) -> None:
        offsets[number] = output.tell()
        output.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    put(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    put(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
    compressor = zlib.compressobj(1)
    packed = compressor.compress(b"1 0 " + head) + b"".join(compressor.compress(filler) for _ in range(times))
    packed += compressor.compress(tail) + compressor.flush()
    header = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>" % len(packed)
    put(4, header + b"\nstream\n" + packed + b"\nendstream")
    # Cross-reference stream: object 1 is the first in object stream 4; 5 is the table itself.
    rows = [(0, 0, 65535), (2, 4, 0), (1, offsets[2], 0), (1, offsets[3], 0), (1, offsets[4], 0), (1, output.tell(), 0)]
    table = b"".join(struct.pack(">BIH", *row) for row in rows)
    put(5, b"<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream" % (len(table), table))
    output.write(b"startxref\n%d\n%%%%EOF\n" % rows[-1][1])
    return output.getvalue()


CATALOG = b"<< /Type /Catalog /Pages 2 0 R"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: b"%PDF-1.7\n" + bytes(range(256)) * 20, id="garbage after a PDF header"),
        # 3 MB that unpack to 600 MB: 800 MB and 7 s, parsed in the server's own process.
        pytest.param(lambda: catalog_in_object_stream(CATALOG + b">>", b" " * 2**20, 600), id="600 MB unpacked"),
        # 90 KB that unpack to 10 million numbers, each parsed into an object: 1.7 GB and 4 s.
        pytest.param(
            lambda: catalog_in_object_stream(CATALOG + b" /Numbers [", b"0 " * 2**19, 20, b"] >>"),
            id="10 million objects",
        ),
    ],
)
def test_a_pdf_that_cannot_be_read_within_the_limits_is_refused(
    app: Flask,
    post_form: PostForm,
    submission: Callable[..., dict[str, Any]],
    english: None,
    make: Callable[[], bytes],
) -> None:
    document, before = make(), attachment_count(app)
    response, growth = with_peak_growth(
        lambda: send(post_form, submission(), [upload(document, "ban-ve.pdf", "application/pdf")])
    )
    assert "“ban-ve.pdf” could not be read as a PDF document: it is damaged or too complex." in refusal(response)
    assert growth < REFUSAL_MEMORY, f"{growth / 2**20:.0f} MB"
    assert attachment_count(app) == before
