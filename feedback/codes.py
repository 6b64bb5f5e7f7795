"""Tracking codes and secrets.

A code is 8 random symbols of Crockford's base 32 (no I, L, O, U: nothing to misread) and a
Luhn mod 32 check symbol, shown as XXXX-XXXX-C. The check symbol catches a mistyped symbol or
two swapped neighbours before any database lookup. The secret that opens a ticket without an
account is stored only as a hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})
BODY_LENGTH = 8


def _check_symbol(body: str) -> str:
    total = 0
    factor = 2
    for symbol in reversed(body):
        addend = factor * _VALUE[symbol]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return format_code(body + _check_symbol(body))


def format_code(raw: str) -> str:
    return f"{raw[0:4]}-{raw[4:8]}-{raw[8:]}"


def normalize_code(typed: str) -> str | None:
    """The canonical code for what a person typed, or None when it cannot be a valid code."""
    raw = typed.strip().upper().translate(_READ_AS)
    if len(raw) != BODY_LENGTH + 1 or any(symbol not in _VALUE for symbol in raw):
        return None
    if _check_symbol(raw[:BODY_LENGTH]) != raw[BODY_LENGTH]:
        return None
    return format_code(raw)


def new_secret() -> str:
    return secrets.token_urlsafe(18)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def link_token(key: str, code: str, secret_hash: str) -> str:
    """What a message's link carries instead of the secret, which is never stored: derived from
    the stored hash with the server's key, so it opens the ticket as the secret link does."""
    return hmac.new(key.encode(), f"{code}:{secret_hash}".encode(), hashlib.sha256).hexdigest()[:32]
