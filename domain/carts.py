"""Carts as the gateway stores them: lines by variant SKU, each with the price it was added at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from domain.records import Attribute


class CartStatus(StrEnum):
    ACTIVE = "ACTIVE"
    MERGED = "MERGED"        # closed by a sign-in merge; `merged_into` names the survivor
    COMPLETED = "COMPLETED"  # checked out


@dataclass(frozen=True, slots=True)
class CartLine:
    line_id: str        # unique within the cart
    sku: str            # the variant's SKU
    quantity: int
    added_price: Decimal  # unit price when added (or last changed), for PRICE_CHANGED warnings
    added_currency: str
    attributes: tuple[Attribute, ...] = ()


@dataclass(frozen=True, slots=True)
class Cart:
    cart_id: str              # ≥ 128 bits of randomness, URL-safe
    version: int              # +1 per change; the optimistic-concurrency check
    channel: str              # where it was created
    status: CartStatus
    created_at: datetime
    updated_at: datetime
    customer_id: str | None = None
    lines: tuple[CartLine, ...] = ()
    note: str | None = None
    attributes: tuple[Attribute, ...] = ()
    discount_codes: tuple[str, ...] = ()
    next_line_number: int = 1
    merged_into: str | None = None
    expires_at: datetime | None = None  # guest carts only: abandoned ones expire
    checkout_started_at: datetime | None = None  # a checkout claimed the cart: no second order meanwhile

    def line(self, line_id: str) -> CartLine | None:
        return next((line for line in self.lines if line.line_id == line_id), None)

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True, slots=True)
class CartWarning:
    code: str  # PRICE_CHANGED, ITEM_UNAVAILABLE, INSUFFICIENT_STOCK, QUANTITY_CAPPED, TOO_MANY_LINES
    message: str
    line_id: str | None = None


@dataclass(frozen=True, slots=True)
class UserError:
    code: str
    message: str
    field: tuple[str | int, ...] | None = None


@dataclass(frozen=True, slots=True)
class CartOutcome:
    cart: Cart | None
    user_errors: tuple[UserError, ...] = ()
    warnings: tuple[CartWarning, ...] = ()  # about what the operation did, e.g. a quantity it capped


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """What the first use of an idempotency key asked for, and its outcome once there is one."""

    fingerprint: str
    outcome: CartOutcome | None  # None while the first request is still running
