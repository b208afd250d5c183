"""Discount codes are the web-shop's coupons, applied to a cart as WooCommerce applies them
(`WC_Discounts`):

- `percent` and `fixed_product` are product coupons: they lower the items they are valid for
  (product ids or categories named, none excluded, not on sale when sale items are excluded), and
  a cart with no such item cannot take them; `fixed_cart` takes its amount off the cart, and a
  cart with an excluded product, an excluded category or (when excluded) a sale item cannot take
  it at all, nor one without a named product or category; `limit_usage_to_x_items` caps the units
  a product coupon lowers (the lines largest by line total times quantity first, as WooCommerce
  sorts them);
- each within its expiry, minimum and maximum spend, usage limit (the web-shop's count plus the
  gateway's redemptions, since the gateway's orders go to the ERP and the web-shop never sees
  them) and, at checkout, its e-mail restrictions (`*` a wildcard, in any letter case) and usage
  limit per user (by the customer's id and by e-mail);
- an individual-use coupon takes no other code with it: the first one in the list stays and
  every other code is refused.

Fixed amounts are in the shop's currency. What each coupon takes off each item, to the cent, is
domain/discount_allocation.py's; the discounts together never exceed the subtotal."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from domain.discount_allocation import HUNDRED, Allocation, to_cents
from domain.records import Coupon

CENT = Decimal("0.01")
SUPPORTED = ("percent", "fixed_cart", "fixed_product")
PRODUCT_TYPES = ("percent", "fixed_product")  # WooCommerce's product coupon types; fixed_cart is a cart coupon
MAX_CODE_LENGTH = 100  # characters; a longer code is no coupon's and is not looked up


@dataclass(frozen=True, slots=True)
class Item:
    """A cart line as coupons see it: the web-shop's product id, category ids and sale state."""

    sku: str
    quantity: int
    unit_price: Decimal
    product_id: int | None = None
    category_ids: tuple[int, ...] = ()
    on_sale: bool = False
    key: str = ""  # the cart line's id: what each code takes off it is reported under it

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class Buyer:
    """Who checks out, for e-mail restrictions and per-user limits."""

    email: str
    customer_id: str | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """The gateway's redemptions of a code: in all, and by the checking-out buyer (the more of by
    customer id and by e-mail)."""

    total: int = 0
    by_buyer: int = 0


@dataclass(frozen=True, slots=True)
class Claim:
    """A use of a code that a checkout takes before it orders: at most `allowed` uses by the
    gateway in all (the coupon's limit less the web-shop's own count; None: unlimited) and at most
    `allowed_per_buyer` under each of `buyer_keys` (customer id, e-mail)."""

    code: str
    allowed: int | None
    buyer_keys: tuple[str, ...]
    allowed_per_buyer: int | None


@dataclass(frozen=True, slots=True)
class StaleUse:
    """A reserved, never confirmed use of `code` by a cart, older than the carts' claim time: its
    checkout's process died between reserving and ordering (or the ERP could not say)."""

    cart_id: str
    code: str
    at: datetime


def buyer_keys(buyer: Buyer) -> tuple[str, ...]:
    """Under what a buyer's uses are counted: the e-mail, and the customer id when signed in."""
    email = f"email:{buyer.email.strip().lower()}"
    return (email, f"customer:{buyer.customer_id}") if buyer.customer_id else (email,)


def claim_for(coupon: Coupon, buyer: Buyer) -> Claim:
    allowed = coupon.usage_limit - coupon.usage_count if coupon.usage_limit is not None else None
    per_buyer = coupon.usage_limit_per_user - _used_by(coupon, buyer) if coupon.usage_limit_per_user else None
    return Claim(coupon.code, allowed, buyer_keys(buyer), per_buyer)


@dataclass(frozen=True, slots=True)
class CodeResult:
    code: str
    applicable: bool
    reason: str | None  # why not, when not
    amount: Decimal = Decimal(0)
    coupon: Coupon | None = field(default=None, compare=False)
    by_item: tuple[tuple[str, Decimal], ...] = field(default=(), compare=False)  # (item key, amount off it)


def evaluate(codes: Sequence[str], coupons: Sequence[Coupon], subtotal: Decimal, units: int, currency: str,
             shop_currency: str, now: datetime | None = None, *, items: Sequence[Item] | None = None,
             usage: Mapping[str, Usage] | None = None, buyer: Buyer | None = None) -> list[CodeResult]:
    """Each code's discount on this cart, or why it does not apply. `items` default to one item of
    the whole subtotal that no product or category restriction names; `buyer` is known at checkout."""
    now = now or datetime.now(UTC)
    if items is None:
        items = [Item("", units, subtotal / units)] if units else []
    by_code = {c.code: c for c in coupons}
    usage = usage or {}
    checked = []
    for code in codes:
        coupon = by_code.get(code.lower())
        reason = _refusal(coupon, subtotal, items, currency, shop_currency, now, usage.get(code.lower(), Usage()),
                          buyer)
        checked.append((code, coupon, reason))
    individual = next((c.code for _, c, r in checked if r is None and c is not None and c.individual_use), None)
    results, allocation = [], Allocation(items)
    for code, coupon, reason in checked:
        if reason is None and individual is not None and coupon is not None and coupon.code != individual:
            reason = f"cannot be combined with {individual}, which is for individual use only"
        if reason is not None or coupon is None:
            results.append(CodeResult(code, False, reason, coupon=coupon))
            continue
        taken = _allocate(coupon, items, allocation)
        by_item = tuple((items[n].key, Decimal(cents) / HUNDRED) for n, cents in sorted(taken.items()) if cents)
        amount = (Decimal(sum(taken.values())) / HUNDRED).quantize(CENT)
        results.append(CodeResult(code, True, None, amount, coupon, by_item))
    return results


def email_allowed(coupon: Coupon, email: str) -> bool:
    """WooCommerce's `is_coupon_emails_allowed`: the address, lower-cased, equals a restriction or
    matches it with `*` standing for any run of characters."""
    if not coupon.email_restrictions:
        return True
    address = email.strip().lower()
    return any(re.fullmatch(".*".join(re.escape(part) for part in r.lower().split("*")), address)
               for r in coupon.email_restrictions)


def _valid_for(coupon: Coupon, item: Item) -> bool:
    """WooCommerce's `is_valid_for_product`."""
    cats = set(item.category_ids)
    named = (item.product_id in coupon.product_ids) or bool(cats & set(coupon.product_categories))
    if (coupon.product_ids or coupon.product_categories) and not named:
        return False
    if item.product_id in coupon.excluded_product_ids or cats & set(coupon.excluded_product_categories):
        return False
    return not (coupon.exclude_sale_items and item.on_sale)


def _item_refusal(coupon: Coupon, items: Sequence[Item]) -> str | None:
    if coupon.product_ids and not any(i.product_id in coupon.product_ids for i in items):
        if not coupon.product_categories:
            return "not applicable to the products in the cart"
    if coupon.product_categories and not any(
            set(i.category_ids) & set(coupon.product_categories)
            and not (coupon.exclude_sale_items and i.on_sale) for i in items):
        if not (coupon.product_ids and any(i.product_id in coupon.product_ids for i in items)):
            return "not applicable to the products in the cart"
    if coupon.discount_type in PRODUCT_TYPES:
        return None if any(_valid_for(coupon, i) for i in items) else "not applicable to the products in the cart"
    # a cart coupon: any excluded item in the cart refuses it
    if coupon.exclude_sale_items and any(i.on_sale for i in items):
        return "not valid while the cart holds sale items"
    if excluded := [i.sku for i in items if i.product_id in coupon.excluded_product_ids]:
        return f"not applicable to {', '.join(excluded)}"
    if any(set(i.category_ids) & set(coupon.excluded_product_categories) for i in items):
        return "not applicable to a category of the products in the cart"
    return None


def _refusal(coupon: Coupon | None, subtotal: Decimal, items: Sequence[Item], currency: str, shop_currency: str,
             now: datetime, usage: Usage, buyer: Buyer | None) -> str | None:
    if coupon is None:
        return "no such discount code"
    if coupon.discount_type not in SUPPORTED:
        return f"discount type {coupon.discount_type} is not offered here"
    if coupon.usage_limit is not None and coupon.usage_count + usage.total >= coupon.usage_limit:
        return "used up"
    if buyer is not None and coupon.usage_limit_per_user:
        if usage.by_buyer + _used_by(coupon, buyer) >= coupon.usage_limit_per_user:
            return "already used as often as one customer may"
    if coupon.expires_at is not None and coupon.expires_at < now:
        return f"expired on {coupon.expires_at.date().isoformat()}"
    if currency != shop_currency and (coupon.discount_type != "percent" or coupon.minimum_amount > 0
                                      or coupon.maximum_amount > 0):
        return f"only valid in {shop_currency}"
    if subtotal < coupon.minimum_amount:
        return f"needs a subtotal of at least {coupon.minimum_amount} {shop_currency}"
    if coupon.maximum_amount > 0 and subtotal > coupon.maximum_amount:
        return f"valid for a subtotal of at most {coupon.maximum_amount} {shop_currency}"
    if reason := _item_refusal(coupon, items):
        return reason
    if buyer is not None and not email_allowed(coupon, buyer.email):
        return "not valid for this e-mail address"
    return None


def _used_by(coupon: Coupon, buyer: Buyer) -> int:
    """The web-shop's own uses by this buyer (its `used_by` holds user ids and e-mails)."""
    mine = {buyer.email.strip().lower(), *([buyer.customer_id] if buyer.customer_id else [])}
    return sum(1 for who in coupon.used_by if who.lower() in mine)


def _allocate(coupon: Coupon, items: Sequence[Item], allocation: Allocation) -> dict[int, int]:
    """What `coupon` takes off each item, in cents, by item index."""
    limit = coupon.limit_usage_to_x_items or 0
    if coupon.discount_type == "fixed_cart":  # a cart coupon lowers every item (exclusions refused it already)
        return allocation.fixed_cart(allocation.applicable([True] * len(items)), to_cents(coupon.amount), limit)
    eligible = allocation.applicable([_valid_for(coupon, i) for i in items])
    if coupon.discount_type == "percent":
        return allocation.percent(eligible, coupon.amount, limit)
    return allocation.fixed_product(eligible, to_cents(coupon.amount), limit)
