"""How much of each coupon goes to each cart item, in cents, as WooCommerce's `WC_Discounts` works
it out (its default settings: discounts not sequential, `WC_DISCOUNT_ROUNDING_MODE` half down):

- items are taken in one order for every coupon: by line total times quantity, the largest first
  (WooCommerce's `sort_by_price`; ties keep the cart's order);
- no coupon takes an item below zero: each takes at most what the coupons before it left;
- `percent`: each item's share is rounded down to the cent; the cents that rounding lost, up to the
  whole cart's discount rounded half down, are then given one a unit over the items in order;
- `fixed_product`: the amount off each unit (with `limit_usage_to_x_items`, off at most that many
  units, each at most its price);
- `fixed_cart`: the amount split evenly over the units, rounded down to the cent, and what is left
  split again over the items that still have a price, the last cents one a unit.

The result per item is what an order line can carry: the ERP's order then totals what the cart did,
to the cent, and a coupon for one product lowers that product only.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal
from typing import Protocol

HUNDRED = Decimal(100)
ONE = Decimal(1)


class Priced(Protocol):
    @property
    def quantity(self) -> int: ...

    @property
    def total(self) -> Decimal: ...


class Allocation:
    """The items' prices in cents, what every coupon so far has left of them, and the order coupons
    take them in."""

    def __init__(self, items: Sequence[Priced]) -> None:
        self.quantities = [i.quantity for i in items]
        self.prices = [i.total * HUNDRED for i in items]  # WooCommerce's item price: the line's, in cents
        self.left = [whole_cents(p) for p in self.prices]
        self.order = sorted(range(len(items)), key=lambda n: items[n].total * items[n].quantity, reverse=True)

    def applicable(self, eligible: Sequence[bool]) -> list[int]:
        """The items a coupon may lower (in the coupons' order): eligible, with a price left."""
        return [n for n in self.order if eligible[n] and self.left[n] > 0 and self.quantities[n] > 0]

    def percent(self, items: list[int], percent: Decimal, limit: int) -> dict[int, int]:
        taken: dict[int, int] = {}
        applied, whole_cart = 0, Decimal(0)
        for n in items:
            quantity = self.quantities[n]
            units = max(0, limit - applied) if limit and limit - applied < quantity else quantity
            price = Decimal(whole_cents(self.prices[n])) / quantity * units
            self._take(taken, n, int((price * percent / HUNDRED).to_integral_value(ROUND_FLOOR)))
            whole_cart += price
            applied += units
        target = int((whole_cart * percent / HUNDRED).to_integral_value(ROUND_HALF_DOWN))
        if (short := target - sum(taken.values())) > 0:
            self._cents(taken, items, short)
        return taken

    def fixed_product(self, items: list[int], cents: int, limit: int, taken: dict[int, int] | None = None
                      ) -> dict[int, int]:
        taken = {} if taken is None else taken
        applied = 0
        for n in items:
            quantity = self.quantities[n]
            if limit:
                units = max(0, limit - applied) if limit - applied < quantity else quantity
                amount = min(Decimal(cents), self.prices[n] / quantity) * units
            else:
                units, amount = quantity, Decimal(cents * quantity)
            self._take(taken, n, int(amount.to_integral_value(ROUND_FLOOR)))
            applied += units
        return taken

    def fixed_cart(self, items: list[int], cents: int, limit: int) -> dict[int, int]:
        taken: dict[int, int] = {}
        left_to_give = cents
        while left_to_give > 0:
            priced = [n for n in items if self.left[n] > 0]
            units = sum(self.quantities[n] for n in priced)
            if not units:
                break
            before = sum(taken.values())
            if (each := left_to_give // units) > 0:
                self.fixed_product(priced, each, limit, taken)
            else:
                self._cents(taken, priced, left_to_give)
            given = sum(taken.values()) - before
            if given <= 0:
                break
            left_to_give -= given
        return taken

    def _take(self, taken: dict[int, int], n: int, cents: int) -> None:
        cents = max(0, min(self.left[n], cents))
        taken[n] = taken.get(n, 0) + cents
        self.left[n] -= cents

    def _cents(self, taken: dict[int, int], items: list[int], cents: int) -> None:
        """`cents` given one a unit, item after item (each unit at most its price left)."""
        for n in items:
            if cents <= 0:
                return
            given = min(self.quantities[n], self.left[n], cents)
            self._take(taken, n, given)
            cents -= given


def whole_cents(cents: Decimal) -> int:
    """An amount in cents rounded to a whole cent, as PHP's round() does (half away from zero)."""
    return int(cents.to_integral_value(ROUND_HALF_UP))


def to_cents(amount: Decimal) -> int:
    """An amount in currency units as whole cents (`wc_add_number_precision`, rounded)."""
    return whole_cents(amount * HUNDRED)


def split_evenly(total_cents: int, quantity: int) -> list[tuple[int, int]]:
    """`quantity` units that cost `total_cents` together, as (units, cents each) with whole cents:
    all at one price, or some a cent dearer than the others."""
    each, dearer = divmod(total_cents, quantity)
    return [(q, c) for q, c in ((quantity - dearer, each), (dearer, each + 1)) if q]
