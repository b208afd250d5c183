"""The customer across the backends: each backend's record of the person, the changes the gateway
writes to the system of record, and the orders every system took, on one scale of statuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from domain.records import Address, OrderLine


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """One backend's record of the customer; None: that backend holds nothing for the field."""

    backend: str
    key: str  # the backend's own id of the record
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    addresses: tuple[Address, ...] = ()
    accepts_marketing: bool | None = None
    groups: tuple[str, ...] = ()  # customer groups, roles, loyalty tiers: whatever the backend has


@dataclass(frozen=True, slots=True)
class ContactChanges:
    """What customerUpdate writes to the system of record; None: left as it is."""

    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    accepts_marketing: bool | None = None
    address: Address | None = None  # the contact's own (main) address


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """A one-field name as first and last name: the last word is the last name, the words before it
    the first name ("Ada King Lovelace": "Ada King", "Lovelace"); one word is a first name alone."""
    words = (name or "").split()
    if not words:
        return None, None
    if len(words) == 1:
        return words[0], None
    return " ".join(words[:-1]), words[-1]


def join_name(first: str | None, last: str | None) -> str:
    return " ".join(part for part in (first, last) if part)


class OrderStatus(StrEnum):
    """One scale for every system's order statuses (README: Order history)."""

    PENDING = "PENDING"        # not placed or not paid yet (a quotation, a pending payment, a draft)
    ON_HOLD = "ON_HOLD"        # placed, waiting for the shop (payment to confirm, an action required)
    CONFIRMED = "CONFIRMED"    # placed and being fulfilled
    COMPLETED = "COMPLETED"    # fulfilled (or closed after fulfilment)
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    FAILED = "FAILED"          # payment failed
    UNKNOWN = "UNKNOWN"        # a status the gateway has no mapping for (`systemStatus` says which)


@dataclass(frozen=True, slots=True)
class HistoryOrder:
    """An order as one system keeps it. `links`: the other systems' order references this copy names
    (the ERP's copy of a web-shop order names the web-shop's order), as the system keeps them."""

    backend: str
    key: str  # the system's id of the order
    number: str
    status: OrderStatus
    system_status: str
    channel: str | None
    created_at: datetime
    total: Decimal
    currency: str
    lines: tuple[OrderLine, ...]
    links: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderWindow:
    """Which orders of a customer one page asks a system for: newest first, created at or before the
    second `until` (None: from the newest), but those in `seen` (the system's keys of orders already
    shown from that second), at most `limit`."""

    until: datetime | None
    seen: frozenset[str]
    limit: int
