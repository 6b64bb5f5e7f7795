"""Vietnamese text as the search and duplicate checks compare it: without diacritics or case.

Many people type Vietnamese without accents on a phone ("duong" for "đường"); folding both the
stored text and the query makes them meet, with plain LIKE on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata

_NOT_WORD = re.compile(r"[^0-9a-z]+")
# Syllables too common to say anything about what a submission is about.
_STOP_SYLLABLES = frozenset(
    [
        "va",
        "cua",
        "la",
        "co",
        "cho",
        "voi",
        "tai",
        "o",
        "trong",
        "nay",
        "do",
        "da",
        "dang",
        "se",
        "duoc",
        "khong",
        "ko",
        "thi",
        "ma",
        "nhung",
        "cac",
        "mot",
        "the",
        "and",
        "of",
        "the",
        "to",
        "in",
        "on",
        "at",
        "is",
        "are",
        "for",
        "a",
        "an",
        "this",
        "that",
        "it",
        "be",
        "with",
    ]
)


def fold(text: str) -> str:
    """Lower case, no diacritics, đ as d, words separated by single spaces."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "d"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(_NOT_WORD.split(plain)).strip()


def without_accents(text: str) -> str:
    """Vietnamese as text messages carry it: an accented SMS is cut to 70 characters a part."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_terms(query: str) -> list[str]:
    return [term for term in fold(query).split() if term]


def fingerprint(*parts: str) -> str:
    """Equal for texts that differ only in case, accents, spacing or punctuation."""
    return hashlib.sha256(" | ".join(fold(part) for part in parts).encode()).hexdigest()


def shingles(text: str) -> frozenset[str]:
    """Syllables and pairs of syllables: Vietnamese words are mostly two syllables long."""
    syllables = [s for s in fold(text).split() if s not in _STOP_SYLLABLES]
    pairs = (f"{a} {b}" for a, b in itertools.pairwise(syllables))
    return frozenset(syllables).union(pairs)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard index of two shingle sets, from 0 (nothing shared) to 1 (the same)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
