"""Every code the engine and the intake use reaches people as words in both languages: each
status, action, refusal, channel and kind has a label, translated in the Vietnamese catalogue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import force_locale

from feedback.i18n import ACTION_LABELS, CHANNEL_LABELS, KIND_LABELS, REFUSAL_MESSAGES, STATUS_LABELS
from feedback.services.intake.rules import CHANNELS, KINDS
from workflows import Action, Refusal, Status

CATALOG = Path(__file__).parents[2] / "feedback" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"

VOCABULARIES: list[tuple[str, Iterable[str], Mapping[str, object]]] = [
    ("status", list(Status), STATUS_LABELS),
    ("action", list(Action), ACTION_LABELS),
    ("refusal", list(Refusal), REFUSAL_MESSAGES),
    ("channel", CHANNELS, CHANNEL_LABELS),
    ("kind", KINDS, KIND_LABELS),
]


@pytest.fixture(scope="module")
def catalogue() -> dict[str, str]:
    with CATALOG.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if isinstance(m.id, str) and m.id and not m.fuzzy}


@pytest.mark.parametrize(("name", "codes", "labels"), VOCABULARIES, ids=[v[0] for v in VOCABULARIES])
def test_every_code_has_a_label_in_both_languages(
    app: Flask, catalogue: dict[str, str], name: str, codes: Iterable[str], labels: Mapping[str, object]
) -> None:
    for code in codes:
        assert code in labels, f"the {name} {code!r} has no label"
        with app.test_request_context():
            # English is the source language: its label is the message id.
            with force_locale("en"):
                msgid = str(labels[code])
            with force_locale("vi"):
                vietnamese = str(labels[code])
        assert catalogue.get(msgid), f"the {name} {code!r} has no Vietnamese label: {msgid!r}"
        assert vietnamese == catalogue[msgid]
    assert set(labels) == {str(code) for code in codes}, f"labels for codes that are no {name}"
