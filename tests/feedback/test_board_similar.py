"""Finding a published ticket like the one being written, among the planted duplicates of the samples."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from feedback.models import Area, Category
from feedback.services.submitters.board import similar_published
from tests.feedback.board_tickets import _id, _ticket
from tests.feedback.board_tickets import file_ticket as file_ticket

SAMPLES = Path(__file__).parents[2] / "feedback" / "data" / "sample_feedback.jsonl"


# --- Similar tickets ------------------------------------------------------------------------

# Planted duplicates in the sample data: the first of each group is published, and each later
# one, written differently (without accents, in English, other words), must find it.
DUPLICATE_GROUPS = ("D02", "D06", "D07", "D10")
NOISE_AREAS = ("Phường Tây Nha Trang", "Phường Cam Ranh")


@pytest.fixture
def samples() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def published_samples(file_ticket: Callable[..., str], samples: list[dict[str, Any]]) -> dict[int, str]:
    """Every sample submission of two busy wards published, but the later duplicates: their codes by index."""
    codes = {}
    firsts = {
        group: next(i for i, s in enumerate(samples) if s["duplicate_group"] == group) for group in DUPLICATE_GROUPS
    }
    for index, sample in enumerate(samples):
        group = sample["duplicate_group"]
        if sample["area_hint"] not in NOISE_AREAS or (group and firsts.get(group, index) != index):
            continue
        codes[index] = file_ticket(
            sample["title"],
            category=sample["category_code"],
            area=sample["area_hint"],
            description=sample["description"],
            kind=sample["kind"],
        )
    return codes


def test_similar_published_finds_the_planted_duplicates(
    app: Flask, samples: list[dict[str, Any]], published_samples: dict[int, str]
) -> None:
    with app.app_context():
        for group in DUPLICATE_GROUPS:
            members = [i for i, s in enumerate(samples) if s["duplicate_group"] == group]
            original = published_samples[members[0]]
            for index in members[1:]:
                sample = samples[index]
                found = similar_published(
                    _id(Area, Area.name == sample["area_hint"]),
                    _id(Category, Category.code == sample["category_code"]),
                    sample["title"],
                    sample["description"],
                )
                assert original in [ticket.code for ticket, _score in found], (group, sample["title"])
                scores = [score for _ticket, score in found]
                assert len(found) <= 3 and scores == sorted(scores, reverse=True) and min(scores) >= 0.10


def test_similar_published_leaves_out_what_does_not_match(
    app: Flask, file_ticket: Callable[..., str], samples: list[dict[str, Any]], published_samples: dict[int, str]
) -> None:
    original = next(i for i, s in enumerate(samples) if s["duplicate_group"] == "D02")
    sample = samples[original]
    unscreened = file_ticket(
        sample["title"] + " (gửi lại)",
        description=sample["description"],
        category=sample["category_code"],
        area=sample["area_hint"],
        accept=False,
    )
    with app.app_context():
        own = _ticket(published_samples[original])

        def codes(area: str, category: str, text: tuple[str, str], exclude_id: int | None = None) -> list[str]:
            area_id = _id(Area, Area.name == area)
            category_id = _id(Category, Category.code == category)
            found = similar_published(area_id, category_id, *text, exclude_id=exclude_id)
            return [ticket.code for ticket, _score in found]

        pothole = (sample["title"], sample["description"])
        same = codes(sample["area_hint"], sample["category_code"], pothole)
        assert same[0] == own.code
        assert unscreened not in same
        # The ticket itself is left out when it looks for its own duplicates.
        assert own.code not in codes(sample["area_hint"], sample["category_code"], pothole, exclude_id=own.id)
        # Only the same area counts: the same pothole text elsewhere is another pothole.
        assert own.code not in codes("Phường Cam Ranh", sample["category_code"], pothole)
        # Text about something else finds nothing, even in a busy ward.
        swimming = (
            "Mở thêm lớp dạy bơi miễn phí cho thiếu nhi vào mùa hè",
            "Đề nghị phường phối hợp với nhà văn hóa tổ chức lớp dạy bơi miễn phí để phòng chống đuối nước cho trẻ em.",
        )
        assert codes("Phường Tây Nha Trang", "GDDT", swimming) == []
