"""API keys of the Open311 clients: made and revoked by administrators, checked on each call."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import ApiClient, ApiSubmission, User, utcnow
from feedback.services.access import require_administrator
from feedback.services.errors import NotFoundError

# A key: "pakn_" and 32 URL-safe characters (192 bits); shown once, kept as its SHA-256.
KEY_PREFIX = "pakn_"
SHOWN_PREFIX = 12
MIN_HOURLY_LIMIT, MAX_HOURLY_LIMIT = 1, 10_000


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_clients() -> list[ApiClient]:
    """Active clients first, then the revoked ones; each by name."""
    order = (ApiClient.revoked_at.is_not(None), ApiClient.name, ApiClient.id)
    return list(db.session.scalars(select(ApiClient).order_by(*order)))


@dataclass(frozen=True)
class ApiClientRow:
    client: ApiClient
    tickets: int


def api_client_rows() -> list[ApiClientRow]:
    """Every client, in the order of api_clients(), with the number of tickets it filed."""
    counts = db.session.execute(select(ApiSubmission.client_id, func.count()).group_by(ApiSubmission.client_id))
    tickets: dict[int, int] = dict(counts.all())
    return [ApiClientRow(client, tickets.get(client.id, 0)) for client in api_clients()]


def get_api_client(client_id: int) -> ApiClient:
    client = db.session.get(ApiClient, client_id)
    if client is None:
        raise NotFoundError("api client")
    return client


def add_api_client(actor: User, name: str, contact_email: str = "", hourly_limit: int = 60) -> tuple[ApiClient, str]:
    """A new client and its key, which is not kept anywhere: the caller shows it once."""
    require_administrator(actor)
    if not name.strip():
        raise ValueError("name")
    if not MIN_HOURLY_LIMIT <= hourly_limit <= MAX_HOURLY_LIMIT:
        raise ValueError("hourly_limit")
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    client = ApiClient(
        name=name.strip(),
        contact_email=contact_email.strip().lower(),
        key_prefix=key[:SHOWN_PREFIX],
        key_hash=_hash(key),
        hourly_limit=hourly_limit,
        created_by_id=actor.id,
    )
    db.session.add(client)
    db.session.commit()
    return client, key


def revoke_api_client(actor: User, client_id: int, now: datetime | None = None) -> ApiClient:
    """The key stops working at once; the client and what it filed stay on record."""
    require_administrator(actor)
    client = get_api_client(client_id)
    if client.revoked_at is None:
        client.revoked_at = now or utcnow()
        db.session.commit()
    return client


def client_for_key(key: str) -> ApiClient | None:
    """The active client with this key, or None for a missing, unknown or revoked one."""
    if not key or not key.startswith(KEY_PREFIX):
        return None
    client = db.session.scalars(select(ApiClient).where(ApiClient.key_hash == _hash(key))).one_or_none()
    # The lookup is by hash, so timing says nothing of the key; compare anyway, as elsewhere.
    if client is None or not hmac.compare_digest(client.key_hash, _hash(key)) or not client.active:
        return None
    return client
