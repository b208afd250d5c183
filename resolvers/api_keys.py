"""Issuing, rotating, revoking and checking client API keys.

A key is `cgw_<public id>_<secret>`: the public id finds the record, the secret is compared
in constant time with the stored SHA-256. The full key is shown once, when issued.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.api_keys import MARKETPLACE_SCOPES, ApiKey, KeyEvent, KeyKind, Scope
from domain.channels import Channel
from domain.errors import BadUserInput
from domain.ports import ApiKeyStore

PREFIX = "cgw"
DOCUMENT_LIST_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
DEFAULT_SCOPES = {
    KeyKind.FRONTEND: (Scope.CATALOG_READ, Scope.STOCK_READ, Scope.CART_WRITE, Scope.CHECKOUT_WRITE,
                       Scope.ORDERS_READ, Scope.PROFILE_READ, Scope.PROFILE_WRITE, Scope.LISTS_WRITE,
                       Scope.NOTIFICATIONS_READ),
    KeyKind.MOBILE: (Scope.CATALOG_READ, Scope.STOCK_READ, Scope.CART_WRITE, Scope.CHECKOUT_WRITE,
                     Scope.ORDERS_READ, Scope.PROFILE_READ, Scope.PROFILE_WRITE, Scope.LISTS_WRITE,
                     Scope.NOTIFICATIONS_READ),
    KeyKind.MARKETPLACE: (Scope.CATALOG_READ, Scope.STOCK_READ, Scope.WEBHOOKS_MANAGE),
    KeyKind.ADMIN: tuple(Scope),
}
# (requests per minute, cost points per minute) unless the key sets its own
DEFAULT_LIMITS = {
    KeyKind.FRONTEND: (6_000, 600_000),
    KeyKind.MOBILE: (6_000, 600_000),
    KeyKind.MARKETPLACE: (600, 60_000),
    KeyKind.ADMIN: (600, 60_000),
}


@dataclass(frozen=True, slots=True)
class KeySpec:
    name: str
    kind: KeyKind
    channel: Channel | None = None
    scopes: tuple[Scope, ...] = ()  # empty: the kind's defaults
    expires_in_days: float | None = None
    requests_per_minute: int | None = None  # None: the kind's default
    cost_per_minute: int | None = None
    documents: str | None = None  # name of a trusted-document list (`commerce-gateway documents push`)
    channels: tuple[Channel, ...] = ()  # where an unbound key may check out; empty: the kind's defaults


class UnknownKey(BadUserInput):
    """No key has this id."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> tuple[str, str]:
    return secrets.token_hex(6), secrets.token_urlsafe(32)


def split_key(raw: str) -> tuple[str, str] | None:
    """(public id, secret) of a well-formed key, else None."""
    prefix, _, rest = raw.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not key_id or not secret:
        return None
    return key_id, secret


MAX_EXPIRY_DAYS = 36_500  # a hundred years: beyond it, no expiry is meant (and the date would overflow)


async def issue(store: ApiKeyStore, spec: KeySpec, actor: str,
                now: datetime | None = None) -> tuple[ApiKey, str]:
    """The stored key and the full key, which exists nowhere else; issued `now` (default: the present)."""
    if not spec.name.strip():
        raise BadUserInput("a key needs a name")
    if spec.kind is KeyKind.MARKETPLACE and spec.channel not in (None, Channel.MARKETPLACE):
        raise BadUserInput("a marketplace key is bound to the MARKETPLACE channel")
    channel = Channel.MARKETPLACE if spec.kind is KeyKind.MARKETPLACE else spec.channel
    scopes = tuple(dict.fromkeys(spec.scopes)) or DEFAULT_SCOPES[spec.kind]
    if spec.kind is KeyKind.MARKETPLACE and not set(scopes) <= MARKETPLACE_SCOPES:
        raise BadUserInput("a marketplace key may only have the scopes "
                           f"{', '.join(sorted(MARKETPLACE_SCOPES))}")
    if spec.expires_in_days is not None and not 0 < spec.expires_in_days <= MAX_EXPIRY_DAYS:
        raise BadUserInput(f"expiry must be a positive number of days, at most {MAX_EXPIRY_DAYS:,}")
    requests, cost = DEFAULT_LIMITS[spec.kind]
    requests, cost = spec.requests_per_minute or requests, spec.cost_per_minute or cost
    if requests < 1 or cost < 1:
        raise BadUserInput("request and cost limits must be at least 1 per minute")
    if spec.documents is not None and not DOCUMENT_LIST_NAME.fullmatch(spec.documents):
        raise BadUserInput("a document list name is 1-64 letters, digits, dots, dashes or underscores")
    if channel is not None and set(spec.channels) - {channel}:
        raise BadUserInput(f"a key bound to {channel.value} checks out only there; give no other channels")
    now = now or datetime.now(UTC)
    key_id, secret = _new_secret()
    key = ApiKey(key_id=key_id, name=spec.name.strip(), kind=spec.kind,
                 channel=channel.value if channel else None, scopes=scopes,
                 requests_per_minute=requests, cost_per_minute=cost,
                 secret_sha256=_hash(secret), created_at=now,
                 expires_at=now + timedelta(days=spec.expires_in_days) if spec.expires_in_days else None,
                 documents=spec.documents, channels=tuple(dict.fromkeys(c.value for c in spec.channels)))
    await store.insert(key, KeyEvent("created", key_id, actor, now))
    return key, f"{PREFIX}_{key_id}_{secret}"


async def revoke(store: ApiKeyStore, key_id: str, actor: str) -> ApiKey:
    """Revokes the key for good: only `revoked_at` is written, and only if it was not revoked yet
    (a second revocation keeps the first one's time)."""
    await _existing(store, key_id)
    now = datetime.now(UTC)
    await store.revoke(key_id, now, KeyEvent("revoked", key_id, actor, now))
    return await _existing(store, key_id, fresh=True)


async def rotate(store: ApiKeyStore, key_id: str, actor: str) -> tuple[ApiKey, str]:
    """A new secret for the same key (same id, scopes and limits); the old one stops working. Only the
    secret's hash is written, and only if the key is still as read: not revoked, same secret."""
    key = await _existing(store, key_id)
    if key.revoked_at is not None:
        raise BadUserInput(f"key {key_id} is revoked; issue a new one")
    secret = secrets.token_urlsafe(32)
    rotated = dataclasses.replace(key, secret_sha256=_hash(secret))
    if not await store.replace_secret(key_id, key.secret_sha256, rotated.secret_sha256,
                                      KeyEvent("rotated", key_id, actor, datetime.now(UTC))):
        now = await _existing(store, key_id, fresh=True)
        if now.revoked_at is not None:
            raise BadUserInput(f"key {key_id} is revoked; issue a new one")
        raise BadUserInput(f"key {key_id} was changed at the same time (rotated elsewhere); try again")
    return rotated, f"{PREFIX}_{key_id}_{secret}"


async def check(store: ApiKeyStore, raw: str | None, now: datetime | None = None) -> ApiKey | str:
    """The key, or why it is not accepted: missing, malformed, unknown, revoked or expired. A wrong
    secret reads as unknown, so the answer never tells whether a key id exists."""
    if not raw:
        return "missing"
    parts = split_key(raw.strip())
    if parts is None:
        return "malformed"
    key = await store.get(parts[0])
    if key is None or not hmac.compare_digest(key.secret_sha256, _hash(parts[1])):
        return "unknown"
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= (now or datetime.now(UTC)):
        return "expired"
    return key


async def _existing(store: ApiKeyStore, key_id: str, fresh: bool = False) -> ApiKey:
    """The stored key; `fresh`: read past any cache (after a write)."""
    key = await (getattr(store, "get_fresh", store.get) if fresh else store.get)(key_id)
    if key is None:
        raise UnknownKey(f"no key with id {key_id}")
    return key
