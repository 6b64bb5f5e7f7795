"""The Vietnamese catalogue is complete: no text falls back to English."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = Path(__file__).parents[2] / "feedback" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_every_message_is_translated_with_the_same_placeholders() -> None:
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    messages = [m for m in catalog if m.id]
    assert messages
    for message in messages:
        assert message.string, f"untranslated: {message.id!r}"
        assert not message.fuzzy, f"fuzzy: {message.id!r}"
        # Plural messages hold a tuple of forms; Vietnamese has one, with the plural's placeholders.
        source = message.id if isinstance(message.id, str) else message.id[-1]
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        for form in forms:
            assert form, f"untranslated plural: {message.id!r}"
            assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(form)), message.id


def test_every_text_in_the_code_and_templates_is_in_the_catalogue() -> None:
    """Extracted afresh with babel.cfg: a text added without `make extract-messages` (or a kind
    of file babel.cfg forgets, such as the message templates) would reach people in English."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from babel.util import pathmatch

    root = CATALOG.parents[4]
    with (root / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    templates = [path.relative_to(root).as_posix() for path in (root / "templates").rglob("*") if path.is_file()]
    assert [t for t in templates if not any(pathmatch(pattern, t) for pattern, _m in method_map)] == []
    with CATALOG.open("rb") as handle:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    found = {
        message if isinstance(message, str) else message[0]
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(root), method_map, options_map, keywords=keywords
        )
    }
    assert found, "nothing extracted: babel.cfg's patterns match no file"
    assert sorted(found - known) == []
