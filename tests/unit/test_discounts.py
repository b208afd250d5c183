"""Coupon arithmetic: the discounts never exceed the subtotal; fixed amounts only in the shop's currency."""

from __future__ import annotations

from decimal import Decimal

from domain.records import Coupon
from domain.discounts import evaluate


def coupon(code: str, kind: str, amount: str, minimum: str = "0") -> Coupon:
    return Coupon(code=code, discount_type=kind, amount=Decimal(amount), expires_at=None,
                  minimum_amount=Decimal(minimum), usage_limit=None, usage_count=0)


def test_discounts_together_stop_at_the_subtotal():
    coupons = [coupon("big", "fixed_cart", "30"), coupon("more", "fixed_product", "10")]
    results = evaluate(["big", "more"], coupons, Decimal("40.00"), units=2, currency="EUR", shop_currency="EUR")
    assert [r.amount for r in results] == [Decimal("30.00"), Decimal("10.00")]


def test_percent_rounds_to_the_cent():
    (result,) = evaluate(["p"], [coupon("p", "percent", "12.5")], Decimal("19.99"), 1, "EUR", "EUR")
    assert result.amount == Decimal("2.50")


def test_fixed_amounts_do_not_apply_in_another_currency_but_percentages_do():
    coupons = [coupon("fixed", "fixed_cart", "5"), coupon("pct", "percent", "10")]
    fixed, pct = evaluate(["fixed", "pct"], coupons, Decimal("100"), 1, "USD", "EUR")
    assert (fixed.applicable, fixed.reason) == (False, "only valid in EUR")
    assert (pct.applicable, pct.amount) == (True, Decimal("10.00"))


def test_codes_match_whatever_their_case():
    (result,) = evaluate(["WeLcOmE"], [coupon("welcome", "percent", "10")], Decimal("10"), 1, "EUR", "EUR")
    assert result.applicable
