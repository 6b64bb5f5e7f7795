"""Files attached to tickets: checked by their content, cleaned, stored outside `static/`.

The type comes from the bytes, never from the name or the browser's claim, so a renamed
program is refused. Photos are decoded and re-encoded without their metadata: EXIF often holds
the GPS position of the phone that took them, and XMP can too.
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
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.utils import secure_filename

from feedback.extensions import db
from feedback.models import Attachment, Ticket, TicketEvent

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024
IMAGE_TYPES = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
PDF_TYPE = ("application/pdf", ".pdf")
# Phone photos are up to about 50 megapixels; beyond that it is more likely a decompression bomb.
MAX_PIXELS = 80_000_000


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
        return CleanFile(name, content_type, extension, data)
    return _clean_image(name, data)


def _clean_image(name: str, data: bytes) -> CleanFile:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in IMAGE_TYPES or image.width * image.height > MAX_PIXELS:
                raise UploadRejected("not_allowed_type", name)
            # Turning the pixels the way EXIF says keeps the photo upright once EXIF is gone.
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError):
        raise UploadRejected("not_allowed_type", name) from None
    content_type, extension = IMAGE_TYPES[image.format]
    upright.info = {}
    output = io.BytesIO()
    if image.format == "JPEG":
        upright.convert("RGB").save(output, "JPEG", quality=90)
    else:
        upright.save(output, image.format)
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
