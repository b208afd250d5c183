"""Odoo's answers as values: datetimes, numbers, texts and many2one pairs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from adapters.odoo.transports import NAME
from domain.errors import MalformedPayload
from domain.records import OrderStatus


def datetime_of(raw: object) -> datetime | None:
    if not raw:
        return None
    # Odoo writes "YYYY-MM-DD HH:MM:SS" in UTC; fromisoformat reads it, and far faster than strptime
    return datetime.fromisoformat(str(raw)).replace(tzinfo=UTC)


def text_of(raw: object) -> str | None:
    return raw if isinstance(raw, str) and raw else None


def many2one_name(raw: object) -> str | None:
    return raw[1] if isinstance(raw, list) and len(raw) == 2 else None


def decimal_of(raw: object) -> Decimal:
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        return Decimal(raw)
    raise MalformedPayload(NAME, f"{raw!r} is not a number")


# sale.order's states on the order history's one scale (a quotation, sent or not, is not placed yet)
ORDER_STATUSES = {"draft": OrderStatus.PENDING, "sent": OrderStatus.PENDING, "sale": OrderStatus.CONFIRMED,
                  "done": OrderStatus.COMPLETED, "cancel": OrderStatus.CANCELLED}
