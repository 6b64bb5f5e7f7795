"""Files from a form's file field, checked and cleaned, with a message per refused file."""

from __future__ import annotations

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from wtforms import Field

from feedback.services.intake.attachments import CleanFile, UploadRejected, clean_upload


def cleaned_files(field: Field) -> list[CleanFile]:
    """The field's files ready to store; each refused file adds an error to the field."""
    messages = {
        "too_large": _("“%(name)s” is larger than 10 MB."),
        "empty": _("“%(name)s” is empty."),
        "not_allowed_type": _(
            "“%(name)s” is not a photo (JPEG, PNG or WebP) or a PDF document; only these can be attached."
        ),
        "too_many_pixels": _(
            "“%(name)s” has too many pixels to be checked. Save it at a smaller size, such as the 12 "
            "megapixels of a usual phone photo, and attach it again."
        ),
        "pdf_locked": _("“%(name)s” is protected by a password. Attach a copy that opens without one."),
        "pdf_unreadable": _(
            "“%(name)s” could not be read as a PDF document: it is damaged or too complex. Save or print "
            "it again as a PDF and attach the new copy."
        ),
    }
    cleaned, errors = [], []
    for upload in field.data or []:
        if not isinstance(upload, FileStorage) or not upload.filename:
            continue
        try:
            cleaned.append(clean_upload(upload.filename, upload.stream))
        except UploadRejected as rejected:
            errors.append(messages[rejected.code] % {"name": rejected.filename})
    field.errors = [*field.errors, *errors]
    return cleaned


def files_were_sent(field: Field) -> bool:
    return any(isinstance(f, FileStorage) and f.filename for f in field.data or [])
