"""PDF documents attached to tickets, rewritten so that nothing in them acts when staff open them.

Staff open these files in desktop readers, and a reader does what a PDF asks: run JavaScript when
the file or a page opens, launch a program, open a link, offer an embedded file, send a form. The
rewrite keeps every page as it is drawn and drops all of that.

It runs in a child process with its own memory and processor limits. A PDF is a graph of objects
that the parser builds in memory, and a file of a few kilobytes can ask for gigabytes (compressed
object streams full of numbers, each parsed into an object); nothing short of parsing the file
tells how much it will ask for, so the limit is put on the process that parses it.
"""

from __future__ import annotations

import io
import logging
import os
import resource
import subprocess
import sys

import pikepdf
from pikepdf import Name, Object, StreamDecodeLevel
from pikepdf.sanitize import Sanitizer

# Measured: a 24 MB scan of 20 photos and 300 pages of text takes 90 MB and 0.1 s of processor
# time; a 5,000-page document with 25,000 links, 275 MB and 1 s. Crafted files of 15 to 400 KB
# asked for 0.6 to 1.7 GB and up to 7 s, more as they grow; they are stopped at these limits and
# refused. Five of them in one submission take 15 s of processor time at most.
CHILD_MEMORY_BYTES = 512 * 1024 * 1024
CHILD_CPU_SECONDS = 3
CHILD_WALL_SECONDS = 10
EXIT_LOCKED = 3
EXIT_UNREADABLE = 4

# What acts when the document opens (/OpenAction, /AA), forms and XFA (/AcroForm, /NeedsRendering),
# named scripts, embedded files and templates (/Names), bookmarks that run actions (/Outlines), the
# portfolio of embedded files (/Collection), and usage-rights signatures the rewrite breaks (/Perms).
CATALOG_KEYS = ("/OpenAction", "/AA", "/AcroForm", "/NeedsRendering", "/Names", "/Outlines", "/Collection", "/Perms")
# Page-open actions, annotations (links, form fields, attached files, media) once what they show is
# drawn into the page, and presentation steps, which carry actions of their own.
PAGE_KEYS = ("/AA", "/Annots", "/PresSteps")

log = logging.getLogger(__name__)


class PdfRefused(ValueError):
    """A PDF we cannot rewrite; `code` is "pdf_locked" (a password is needed) or "pdf_unreadable"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def clean_pdf(data: bytes) -> bytes:
    """The PDF rewritten by a child process within its limits, or PdfRefused."""
    try:
        child = subprocess.run(
            [sys.executable, "-m", __name__],
            input=data,
            capture_output=True,
            timeout=CHILD_WALL_SECONDS,
            check=False,
            # The parent's import path, and none of its environment: the child needs no secret.
            env={"PYTHONPATH": os.pathsep.join(path for path in sys.path if path)},
        )
    except subprocess.TimeoutExpired:
        raise PdfRefused("pdf_unreadable") from None
    if child.returncode == 0:
        return child.stdout
    if child.returncode == EXIT_LOCKED:
        raise PdfRefused("pdf_locked")
    if child.returncode != EXIT_UNREADABLE:
        # Killed by a limit, or a fault in the rewrite itself: worth a look, without the file.
        log.warning("PDF rewrite stopped with exit status %s", child.returncode)
    raise PdfRefused("pdf_unreadable")


def rewrite_pdf(data: bytes) -> bytes:
    """The same pages without scripts, actions, forms, annotations or embedded files."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        # Filled-in form fields and notes show their text through annotations: drawn into the
        # page first, the page still reads the same once the annotations are gone.
        pdf.generate_appearance_streams()
        pdf.flatten_annotations("screen")
        _drop_keys(pdf.Root, CATALOG_KEYS)
        for page in pdf.pages:
            _drop_keys(page.obj, PAGE_KEYS)
        # Whatever the removals above left: associated files (/AF) on any object, and actions the
        # library knows of in places we did not empty.
        Sanitizer().remove_javascript().remove_external_access().remove_attachments().remove_multimedia().apply(pdf)
        output = io.BytesIO()
        # Streams are copied as they are, never decoded: a page's drawing is not touched, and a
        # compressed stream cannot unfold into memory here. The XMP metadata is not parsed either.
        pdf.save(output, stream_decode_level=StreamDecodeLevel.none, fix_metadata_version=False)
        # QPDF reads an object it finds no memory for as null, with a warning, and carries on: the
        # copy would miss part of the document, so it is refused like a file over the limits.
        if any("bad_alloc" in warning for warning in pdf.get_warnings()):
            raise PdfRefused("pdf_unreadable")
    return output.getvalue()


def _drop_keys(holder: Object, keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in holder:
            del holder[Name(key)]


def _main() -> int:
    # Pages being served go first: a file being rewritten takes the processor they leave.
    os.nice(10)
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS, CHILD_CPU_SECONDS + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    data = sys.stdin.buffer.read()
    try:
        cleaned = rewrite_pdf(data)
    except pikepdf.PasswordError:
        return EXIT_LOCKED
    except (pikepdf.PdfError, PdfRefused, MemoryError, RecursionError):
        return EXIT_UNREADABLE
    sys.stdout.buffer.write(cleaned)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
