"""Stock held for carts: the rules of one SKU's holds, whichever store keeps them.

A hold is a cart's claim on units of one SKU in one pool: the ERP locations its channel (or chosen
pickup store) sells from, or, empty, the marketplace's own pool. A figure over a pool subtracts the
holds of other carts on pools it shares a location with (conservative where pools only overlap).
A hold whose ERP order is confirmed is consumed: the ERP's own figure carries the order from then
on, so the hold counts only against figures read before that moment (a cached one), and lingers
only as long as such a figure may still be served.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class HoldRules:
    checkout_minutes: float = 10.0  # a checkout's holds last this long (its ERP order consumes them first)
    on_add: bool = False  # hold a line's units when it is added or its quantity changed, too
    cart_minutes: float = 15.0  # how long such a hold lasts (taken again at every change of the line)
    on_add_max_units: int = 10  # the most units of one SKU a cart holds before checkout
    consumed_seconds: float = 30.0  # a consumed hold outlives every ERP figure read before its order (cache, reads)

    @property
    def checkout_hold(self) -> timedelta:
        return timedelta(minutes=self.checkout_minutes)

    @property
    def cart_hold(self) -> timedelta:
        return timedelta(minutes=self.cart_minutes)


@dataclass(frozen=True, slots=True)
class Hold:
    cart_id: str
    quantity: int
    until: datetime  # expires then (by the gateway's clock)
    pool: frozenset[int]  # ERP location ids; empty: the marketplace's pool
    consumed_at: datetime | None = None  # when its ERP order was confirmed (the time ERP figures are stamped with)

    def counts_against(self, pool: frozenset[int], read_at: datetime | None, except_cart: str | None) -> bool:
        """Whether it lowers a figure over `pool` read at `read_at` (None: unknown, so counted) for a
        cart other than `except_cart`."""
        if self.cart_id == except_cart or not (self.pool & pool or (not self.pool and not pool)):
            return False
        return self.consumed_at is None or read_at is None or read_at < self.consumed_at


def live(holds: Iterable[Hold], now: datetime) -> list[Hold]:
    return [h for h in holds if h.until > now]


def held_units(holds: Iterable[Hold], pool: frozenset[int], read_at: datetime | None,
               except_cart: str | None = None) -> int:
    """Units the holds (already live ones) take from a figure over `pool` read at `read_at`."""
    return sum(h.quantity for h in holds if h.counts_against(pool, read_at, except_cart))


@dataclass(frozen=True, slots=True)
class HoldRequest:
    """A cart's wish for one SKU: `quantity` units held until `until`, decided against `available`,
    the channel's figure over `pool` read at `read_at` (holds not subtracted)."""

    quantity: int
    available: int
    read_at: datetime
    pool: frozenset[int]
    until: datetime


def decide(holds: list[Hold], cart_id: str, wish: HoldRequest) -> tuple[list[Hold], int | None]:
    """The SKU's live holds with the cart's hold set to the wish, or, when the other carts' holds
    leave less than it asks, the holds unchanged and what they leave (never below 0). A quantity of
    0 drops the cart's hold. A hold already consumed is left as it is."""
    mine = next((h for h in holds if h.cart_id == cart_id), None)
    others = [h for h in holds if h.cart_id != cart_id]
    if mine is not None and mine.consumed_at is not None:
        return holds, None
    if wish.quantity <= 0:
        return others, None
    if mine is not None and mine.pool == wish.pool and wish.quantity <= mine.quantity:
        return [*others, Hold(cart_id, wish.quantity, wish.until, wish.pool)], None  # fewer units: always
    left = max(0, wish.available - held_units(others, wish.pool, wish.read_at))
    if wish.quantity > left:
        return holds, left
    return [*others, Hold(cart_id, wish.quantity, wish.until, wish.pool)], None


def released(holds: list[Hold], cart_id: str) -> list[Hold]:
    """The holds without the cart's (unless consumed: those stay until they lapse)."""
    return [h for h in holds if h.cart_id != cart_id or h.consumed_at is not None]


def consumed(holds: list[Hold], cart_id: str, at: datetime, until: datetime) -> list[Hold]:
    """The cart's hold marked consumed by its ERP order confirmed by `at`, kept until `until`."""
    return [replace(h, consumed_at=at, until=until) if h.cart_id == cart_id and h.consumed_at is None else h
            for h in holds]
