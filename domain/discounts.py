"""Discount codes are the web-shop's coupons, applied to a cart's subtotal as WooCommerce would:
`percent` of the subtotal, `fixed_cart` off the subtotal, `fixed_product` off every unit; each
within its expiry, minimum amount and usage limit. Fixed amounts are in the shop's currency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from domain.records import Coupon

CENT = Decimal("0.01")
SUPPORTED = ("percent", "fixed_cart", "fixed_product")
MAX_CODE_LENGTH = 100  # characters; a longer code is no coupon's and is not looked up


@dataclass(frozen=True, slots=True)
class CodeResult:
    code: str
    applicable: bool
    reason: str | None  # why not, when not
    amount: Decimal = Decimal(0)


def evaluate(codes: Sequence[str], coupons: Sequence[Coupon], subtotal: Decimal, units: int, currency: str,
             shop_currency: str, now: datetime | None = None) -> list[CodeResult]:
    """Each code's discount on this subtotal, or why it does not apply. The discounts together
    never exceed the subtotal."""
    now = now or datetime.now(UTC)
    by_code = {c.code: c for c in coupons}
    results, remaining = [], subtotal
    for code in codes:
        coupon = by_code.get(code.lower())
        reason = _refusal(coupon, subtotal, currency, shop_currency, now)
        if reason is not None or coupon is None:
            results.append(CodeResult(code, False, reason))
            continue
        amount = min(_amount(coupon, subtotal, units), remaining).quantize(CENT, ROUND_HALF_UP)
        remaining -= amount
        results.append(CodeResult(code, True, None, amount))
    return results


def _refusal(coupon: Coupon | None, subtotal: Decimal, currency: str, shop_currency: str,
             now: datetime) -> str | None:
    if coupon is None:
        return "no such discount code"
    if coupon.discount_type not in SUPPORTED:
        return f"discount type {coupon.discount_type} is not offered here"
    if coupon.expires_at is not None and coupon.expires_at < now:
        return f"expired on {coupon.expires_at.date().isoformat()}"
    if coupon.usage_limit is not None and coupon.usage_count >= coupon.usage_limit:
        return "used up"
    if currency != shop_currency and (coupon.discount_type != "percent" or coupon.minimum_amount > 0):
        return f"only valid in {shop_currency}"
    if subtotal < coupon.minimum_amount:
        return f"needs a subtotal of at least {coupon.minimum_amount} {shop_currency}"
    return None


def _amount(coupon: Coupon, subtotal: Decimal, units: int) -> Decimal:
    if coupon.discount_type == "percent":
        return subtotal * coupon.amount / 100
    if coupon.discount_type == "fixed_cart":
        return coupon.amount
    return coupon.amount * units  # fixed_product: off each unit
