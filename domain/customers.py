"""The customer across the backends: each backend's record of the person, the changes the gateway
writes to the system of record, and the orders every system took, on one scale of statuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from domain.records import Address, ErpOrder, OrderStatus


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


PARTICLES = frozenset({"de", "da", "di", "del", "della", "der", "den", "du", "la", "le", "van", "von", "zu", "ten",
                       "ter", "dos", "das", "bin", "al"})


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """A one-field name as first and last name: the last word is the last name, with the lower-case
    particles before it ("Sofia de Vries": "Sofia", "de Vries"), the words before them the first name
    ("Ada King Lovelace": "Ada King", "Lovelace"); one word is a first name alone."""
    words = (name or "").split()
    if not words:
        return None, None
    start = len(words) - 1
    while start > 1 and words[start - 1] in PARTICLES:
        start -= 1
    if start == 0:
        return words[0], None
    return " ".join(words[:start]), " ".join(words[start:])


def join_name(first: str | None, last: str | None) -> str:
    return " ".join(part for part in (first, last) if part)


@dataclass(frozen=True, slots=True)
class HistoryLine:
    sku: str | None  # None: the system kept no SKU for the line
    title: str | None
    quantity: int
    unit_price: Decimal


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
    lines: tuple[HistoryLine, ...]
    links: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderWindow:
    """Which orders of a customer one page asks a system for: newest first, created at or before the
    second `until` (None: from the newest), but those in `seen` (the system's keys of orders already
    shown from that second), at most `limit`."""

    until: datetime | None
    seen: frozenset[str]
    limit: int


def history_of_erp(order: ErpOrder, backend: str) -> HistoryOrder:
    """An order the ERP answered (a checkout's), as the order history shows orders."""
    return HistoryOrder(backend=backend, key=str(order.erp_id), number=order.number, status=order.status,
                        system_status=order.state, channel=order.channel,
                        created_at=order.created_at or datetime.min.replace(tzinfo=UTC), total=order.total,
                        currency=order.currency,
                        lines=tuple(HistoryLine(line.sku, None, line.quantity, line.unit_price) for line in order.lines))
