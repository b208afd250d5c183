"""Partner webhooks: endpoints a partner registers for the catalog changes of one channel, and the
deliveries decided for them (README: Partner webhooks).

An endpoint is owned by the API key that made it and hears of one channel's STOCK, PRICE or PRODUCT
changes. A delivery is decided (and stored) for each endpoint and event before it is sent; its id,
made of both, keeps a decision made twice from being stored twice, and is the `webhook-id` a
receiver drops copies by. The deliveries of one endpoint and SKU are sent in the order of their
events: a later one waits until the earlier one was sent or given up."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlsplit

from domain.backoff import doubled
from domain.records import LiveEventKind

MAX_URL_LENGTH = 2_000
SECRET_PREFIX = "whsec_"  # then base64 of the signing key's bytes (the Standard Webhooks form)


class WebhookEventKind(StrEnum):
    """What an endpoint may hear of (the live events' kinds but carts, which are no partner's)."""

    STOCK = "STOCK"
    PRICE = "PRICE"
    PRODUCT = "PRODUCT"


EVENT_TYPES = {LiveEventKind.STOCK: "stock.changed", LiveEventKind.PRICE: "price.changed",
               LiveEventKind.PRODUCT: "product.changed"}


class EndpointState(StrEnum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"  # after `disable_after` failed attempts in a row; enabled again by hand


class DeliveryState(StrEnum):
    PENDING = "PENDING"  # waits for its next attempt (`next_at`), and for the earlier ones of its SKU
    SENDING = "SENDING"  # claimed by the sender; one interrupted is sent again after a while
    SENT = "SENT"
    GIVEN_UP = "GIVEN_UP"  # after `max_attempts` failed attempts


@dataclass(frozen=True, slots=True)
class Secret:
    value: str  # `whsec_` + base64 of the key's bytes
    created_at: datetime
    expires_at: datetime | None = None  # a rotated-out secret signs alongside the new one until then


@dataclass(frozen=True, slots=True)
class Disabled:
    """Why an endpoint stopped receiving: when, the last failure, and its HTTP status if it answered."""

    at: datetime
    reason: str
    last_status: int | None


@dataclass(frozen=True, slots=True)
class Endpoint:
    endpoint_id: str
    url: str
    channel: str
    events: frozenset[WebhookEventKind]
    owner_key_id: str
    secrets: tuple[Secret, ...]  # newest first
    created_at: datetime
    state: EndpointState = EndpointState.ACTIVE
    disabled: Disabled | None = None  # the last time it was disabled (kept after it is enabled again)
    consecutive_failures: int = 0

    def signing_secrets(self, now: datetime) -> list[str]:
        return [s.value for s in self.secrets if s.expires_at is None or s.expires_at > now]

    def hears(self, kind: LiveEventKind) -> bool:
        return kind.name in self.events


@dataclass(frozen=True, slots=True)
class Attempt:
    at: datetime
    status: int | None  # the HTTP status; None: no answer (refused, timed out, an address not allowed)
    error: str | None  # None: delivered


@dataclass(frozen=True, slots=True)
class Delivery:
    delivery_id: str
    endpoint_id: str
    event_id: int  # the live event's: the order deliveries of one SKU go in
    sku: str
    body: bytes
    created_at: datetime
    state: DeliveryState = DeliveryState.PENDING
    next_at: datetime | None = None
    attempts: tuple[Attempt, ...] = ()


def delivery_id(endpoint_id: str, event_id: int) -> str:
    return f"msg_{endpoint_id}_{event_id}"


@dataclass(frozen=True, slots=True)
class WebhookRules:
    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_max: timedelta = timedelta(hours=1)
    disable_after: int = 20  # failed attempts in a row, over all its deliveries
    secret_grace: timedelta = timedelta(hours=24)
    max_endpoints_per_key: int = 10
    allow_http: bool = False
    allow_private_targets: bool = False

    def retry_after(self, attempts: int) -> timedelta:
        return doubled(self.backoff_base, self.backoff_max, attempts)


def url_problem(url: str, allow_http: bool) -> str | None:
    """What is wrong with an endpoint's URL as given; None when it may be registered (where it leads
    is checked again at each delivery: a name may resolve elsewhere later)."""
    if len(url) > MAX_URL_LENGTH:
        return f"a URL has at most {MAX_URL_LENGTH} characters"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "a URL has no spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not allow_http):
        return "the URL must be https" + (" or http" if allow_http else
                                          " (http needs the gateway's webhooks.allow_http)")
    if parts.username is not None or parts.password is not None:
        return "a URL carries no credentials (the signature authenticates the gateway)"
    if not parts.hostname:
        return "the URL has no host"
    if parts.fragment:
        return "a URL has no fragment"
    return None


def forbidden_address(address: str) -> bool:
    """Whether a target address is one a partner must not make the gateway call: private, loopback,
    link-local (the cloud metadata services), multicast, reserved or unspecified."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or not ip.is_global)


class EndpointStore(Protocol):
    """Partner webhook endpoints in MongoDB, read by `_id`, or all of them (they are few)."""

    async def prepare(self) -> None: ...

    async def insert(self, endpoint: Endpoint) -> None: ...

    async def get(self, endpoint_id: str) -> Endpoint | None: ...

    async def all(self, owner_key_id: str | None = None) -> list[Endpoint]:
        """Oldest first; those of one key when given."""

    async def count(self, owner_key_id: str) -> int: ...

    async def delete(self, endpoint_id: str) -> bool: ...

    async def set_secrets(self, endpoint_id: str, secrets: Sequence[Secret]) -> Endpoint | None: ...

    async def enable(self, endpoint_id: str) -> Endpoint | None:
        """ACTIVE again, its failures forgotten (the record of its disabling kept)."""

    async def failed(self, endpoint_id: str, disable_after: int, record: Disabled) -> bool:
        """Counts a failed attempt; at `disable_after` in a row the endpoint is disabled with `record`.
        True when this failure disabled it."""

    async def succeeded(self, endpoint_id: str) -> None:
        """No failures in a row any more."""


class DeliveryStore(Protocol):
    """The webhook outbox: one document per endpoint and event."""

    async def prepare(self) -> None: ...

    async def record(self, deliveries: Sequence[Delivery]) -> int:
        """Stores the deliveries not stored yet; how many were new."""

    async def unsettled(self, endpoint_ids: Collection[str], limit: int) -> list[Delivery]:
        """The PENDING and SENDING deliveries of these endpoints, in event order, at most `limit`."""

    async def claim(self, delivery_id: str, now: datetime, stale_before: datetime) -> bool:
        """SENDING from `now`, if it is PENDING, or SENDING since before `stale_before` (its sender died)."""

    async def settle(self, delivery_id: str, attempt: Attempt, state: DeliveryState,
                     next_at: datetime | None) -> None: ...

    async def of_endpoint(self, endpoint_id: str, first: int) -> list[Delivery]:
        """The endpoint's latest deliveries, newest first."""

    async def prune(self, before: datetime) -> int:
        """Forgets the deliveries sent or given up that were decided before `before`; how many."""

    async def forget_endpoint(self, endpoint_id: str) -> None: ...


class Poster(Protocol):
    """Sends one signed delivery (adapters/webhooks.py)."""

    async def post(self, url: str, secrets: Sequence[str], message_id: str, timestamp: int,
                   body: bytes) -> tuple[int | None, str | None]:
        """(the HTTP status, if one came; why it failed, None when the receiver took it)."""


class WorkerState(Protocol):
    """The delivery worker's lease and its position in the event log."""

    async def claim(self, now: datetime, hold: timedelta) -> bool: ...

    async def release(self, held_until: datetime, until: datetime) -> None: ...

    async def position(self) -> int | None:
        """The last event id taken; None before the first pass."""

    async def save_position(self, event_id: int) -> None: ...
