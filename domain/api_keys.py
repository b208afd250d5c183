"""Client API keys: `cgw_<public id>_<secret>`. Only a SHA-256 of the secret is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class KeyKind(StrEnum):
    FRONTEND = "frontend"
    MOBILE = "mobile"
    MARKETPLACE = "marketplace"
    ADMIN = "admin"


class Scope(StrEnum):
    CATALOG_READ = "catalog:read"
    STOCK_READ = "stock:read"
    CART_WRITE = "cart:write"
    CHECKOUT_WRITE = "checkout:write"
    ORDERS_READ = "orders:read"
    KEYS_ADMIN = "keys:admin"


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str                 # the public part, safe to log
    name: str
    kind: KeyKind
    channel: str | None         # bound channel; a marketplace key is always bound
    scopes: tuple[Scope, ...]
    requests_per_minute: int
    cost_per_minute: int
    secret_sha256: str
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    documents: str | None = None  # a trusted-document list: the key runs only the documents in it


@dataclass(frozen=True, slots=True)
class KeyEvent:
    """One management action, for the record: who did what to which key, when."""

    action: str  # created, revoked, rotated
    key_id: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class BucketState:
    """A shared token bucket as stored: tokens left at `at` (epoch seconds), and a version for
    compare-and-swap. It refills continuously at the key's rate up to its capacity."""

    tokens: float
    at: float
    version: int = 0
