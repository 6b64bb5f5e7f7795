"""Files attached to tickets: checked by their content, cleaned, stored outside `static/`.

The type comes from the bytes, never from the name or the browser's claim, so a renamed
program is refused. Photos are decoded and re-encoded without their metadata: EXIF often holds
the GPS position of the phone that took them, and XMP can too. A photo's size is read from its
header and weighed before a pixel is decoded: a small file can describe a picture that takes
gigabytes once decoded. PDFs are rewritten without what could act when staff open them
(`documents.py`).
"""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app
from PIL import Image, ImageMode, ImageOps, UnidentifiedImageError
from werkzeug.utils import secure_filename

from feedback.extensions import db
from feedback.models import Attachment, Ticket, TicketEvent
from feedback.services.intake.documents import PdfRefused, clean_pdf

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024
IMAGE_TYPES = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
PDF_TYPE = ("application/pdf", ".pdf")
# Phones save 12 MP photos unless told otherwise, and 40 MP sensors (7296 x 5472) save 39.9 MP:
# both pass. Full-size 48 and 50 MP photos (8064 x 6048, 8160 x 6120), 64 to 200 MP modes,
# panoramas and scans beyond 40 MP are refused; at that size a JPEG is mostly over 10 MB anyway.
MAX_PIXELS = 40_000_000
# Memory that cleaning one photo may take at its peak: a 40 MP photo as Pillow holds it (4 bytes
# a pixel) and the copy that turning it upright makes. Photos are cleaned one after the other.
MAX_DECODING_BYTES = 2 * 4 * MAX_PIXELS
# Decoded frames held at once at that peak, measured: the decoded picture and its turned copy;
# for WebP also the two canvases libwebp's animation decoder keeps (Pillow reads every WebP
# through it) and the frame it hands over. So a WebP may have 16 MP at most.
FRAMES_HELD = {"JPEG": 2.0, "PNG": 2.0, "WEBP": 5.0}
# A progressive JPEG keeps all its coefficients while it decodes, up to 6 bytes a pixel: 1.5
# frames beside the picture, more than the turned copy. So it may have 32 MP at most.
PROGRESSIVE_JPEG_FRAMES = 2.5


class UploadRejected(ValueError):
    """A file we will not keep; `code` names the reason for a translated message."""

    def __init__(self, code: str, filename: str) -> None:
        super().__init__(f"{code}: {filename}")
        self.code = code
        self.filename = filename


@dataclass(frozen=True)
class CleanFile:
    filename: str
    content_type: str
    extension: str
    data: bytes


def clean_upload(filename: str, stream: IO[bytes]) -> CleanFile:
    """The file as we will store it, or UploadRejected with the reason."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise UploadRejected("too_large", filename)
    if not data:
        raise UploadRejected("empty", filename)
    name = _display_name(filename)
    if data.startswith(b"%PDF-"):
        content_type, extension = PDF_TYPE
        try:
            return CleanFile(name, content_type, extension, clean_pdf(data))
        except PdfRefused as refused:
            raise UploadRejected(refused.code, name) from None
    image = _open_image(name, data)
    with image:
        if image.width * image.height > MAX_PIXELS or _decoding_bytes(image) > MAX_DECODING_BYTES:
            raise UploadRejected("too_many_pixels", name)
        return _clean_image(name, image)


def _open_image(name: str, data: bytes) -> Image.Image:
    """The image with its header read and no pixel decoded."""
    try:
        # Pillow warns of a picture over 89 MP and refuses one over 179 MP; both are over ours.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(IMAGE_TYPES))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRejected("too_many_pixels", name) from None
    # ValueError: a PNG whose text chunks unpack to more than Pillow's MAX_TEXT_CHUNK (1 MB each)
    # or MAX_TEXT_MEMORY (64 MB in all), read with the header.
    except (UnidentifiedImageError, OSError, ValueError):
        raise UploadRejected("not_allowed_type", name) from None
    if image.format not in IMAGE_TYPES:
        # A JPEG holding several pictures opens as MPO.
        image.close()
        raise UploadRejected("not_allowed_type", name)
    return image


def _decoding_bytes(image: Image.Image) -> int:
    """What decoding and cleaning the first frame holds in memory at its peak. Only the first
    frame of an animation is decoded and kept, so the other frames cost nothing."""
    mode = ImageMode.getmode(image.mode)
    # Pillow keeps a pixel of more than one band in 4 bytes (RGB is padded to RGBX); a pixel of one
    # band takes that band's size: 1 byte, 2 for 16-bit grey, 4 for 32-bit.
    bytes_per_pixel = 4 if len(mode.bands) > 1 else int(mode.typestr[-1])
    progressive = image.format == "JPEG" and image.info.get("progressive")
    frames = PROGRESSIVE_JPEG_FRAMES if progressive else FRAMES_HELD[str(image.format)]
    return int(image.width * image.height * bytes_per_pixel * frames)


def _clean_image(name: str, image: Image.Image) -> CleanFile:
    kind = str(image.format)
    try:
        # Turning the pixels the way EXIF says keeps the photo upright once EXIF is gone. In
        # place, so that a photo with nothing to turn is not copied.
        ImageOps.exif_transpose(image, in_place=True)
    # A truncated or corrupt file, or a PNG's text chunks after its pixels over Pillow's limits.
    except (OSError, ValueError, SyntaxError, EOFError):
        raise UploadRejected("not_allowed_type", name) from None
    content_type, extension = IMAGE_TYPES[kind]
    image.info = {}
    output = io.BytesIO()
    if kind == "JPEG":
        (image if image.mode == "RGB" else image.convert("RGB")).save(output, "JPEG", quality=90)
    else:
        # Without save_all: an animation keeps its first frame, the only one decoded.
        image.save(output, kind)
    return CleanFile(name, content_type, extension, output.getvalue())


def _display_name(filename: str) -> str:
    # Vietnamese file names keep their letters for display; the disk name is random anyway.
    base = Path(filename.replace("\\", "/")).name.strip()
    return (base or secure_filename(filename) or "file")[:200]


def store_files(ticket: Ticket, files: list[CleanFile], event: TicketEvent | None) -> list[Attachment]:
    """Write the files and add their rows to the session; the caller commits."""
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    stored = []
    for file in files:
        key = secrets.token_hex(16) + file.extension
        path = folder / key[:2] / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(file.data)
        attachment = Attachment(
            ticket=ticket,
            event=event,
            filename=file.filename,
            content_type=file.content_type,
            size=len(file.data),
            sha256=hashlib.sha256(file.data).hexdigest(),
            storage_key=key,
        )
        db.session.add(attachment)
        stored.append(attachment)
    return stored


def attachment_path(attachment: Attachment) -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / attachment.storage_key[:2] / attachment.storage_key
