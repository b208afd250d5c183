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
    PROFILE_READ = "profile:read"          # the signed-in customer's merged profile
    PROFILE_WRITE = "profile:write"        # customerUpdate, alert preferences
    LISTS_WRITE = "lists:write"            # saved lists: read and change them
    NOTIFICATIONS_READ = "notifications:read"  # the in-app feed, and marking it read
    KEYS_ADMIN = "keys:admin"
    WEBHOOKS_MANAGE = "webhooks:manage"    # the key's own partner webhook endpoints, for its bound channel


# what a marketplace key may ever hold: it never reaches carts, customers or orders (a key stored with
# more, by an older gateway or by hand, acts with these only: ApiKey.granted); its own webhooks, for its channel
MARKETPLACE_SCOPES = frozenset({Scope.CATALOG_READ, Scope.STOCK_READ, Scope.WEBHOOKS_MANAGE})


# where a key of each kind may check out unless it lists its channels: a web bundle's key buys at
# web prices, an app's at app prices; a store, call-centre or second web frontend is given its list
DEFAULT_CHANNELS: dict[KeyKind, tuple[str, ...]] = {
    KeyKind.FRONTEND: ("WEB",),
    KeyKind.MOBILE: ("APP",),
    KeyKind.MARKETPLACE: ("MARKETPLACE",),
    KeyKind.ADMIN: ("WEB", "APP", "STORE", "CALL_CENTER", "MARKETPLACE"),
}


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
    channels: tuple[str, ...] = ()  # where the key may check out; empty: its kind's (DEFAULT_CHANNELS)

    @property
    def granted(self) -> frozenset[Scope]:
        """The scopes the key acts with."""
        held = frozenset(self.scopes)
        return held & MARKETPLACE_SCOPES if self.kind is KeyKind.MARKETPLACE else held

    @property
    def checkout_channels(self) -> tuple[str, ...]:
        """The channels whose prices the key may buy at: its bound channel, else its list."""
        if self.channel:
            return (self.channel,)
        return self.channels or DEFAULT_CHANNELS[self.kind]


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
