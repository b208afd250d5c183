"""Coupon arithmetic: the discounts never exceed the subtotal; fixed amounts only in the shop's currency."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from domain.discounts import Buyer, Item, Usage, email_allowed, evaluate
from domain.records import Coupon


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


# WooCommerce's rules (WC_Discounts): product coupons lower only the items they are valid for,
# a cart coupon is refused by any excluded item; individual use; e-mail wildcards; limits.

SHIRT = Item("SHIRT-M", 2, Decimal("20.00"), product_id=11, category_ids=(3,))
SALE_CAP = Item("CAP-1", 1, Decimal("10.00"), product_id=12, category_ids=(4,), on_sale=True)
ITEMS = [SHIRT, SALE_CAP]


def run(*coupons: Coupon, buyer: Buyer | None = None, usage: dict | None = None):
    return evaluate([c.code for c in coupons], coupons, Decimal("50.00"), 3, "EUR", "EUR", items=ITEMS,
                    usage=usage, buyer=buyer)


def test_a_percent_coupon_lowers_only_the_items_it_is_valid_for():
    (r,) = run(replace(coupon("p", "percent", "10"), exclude_sale_items=True))
    assert r.applicable and r.amount == Decimal("4.00")  # 10% of the shirts, not of the cap on sale
    (r,) = run(replace(coupon("c", "fixed_product", "5"), product_categories=(4,)))
    assert r.applicable and r.amount == Decimal("5.00")  # the one cap
    (r,) = run(replace(coupon("x", "percent", "10"), product_ids=(99,)))
    assert not r.applicable and "not applicable" in (r.reason or "")


def test_a_cart_coupon_is_refused_by_any_excluded_item():
    (sale,) = run(replace(coupon("f", "fixed_cart", "5"), exclude_sale_items=True))
    (product,) = run(replace(coupon("g", "fixed_cart", "5"), excluded_product_ids=(11,)))
    (category,) = run(replace(coupon("h", "fixed_cart", "5"), excluded_product_categories=(3,)))
    assert not (sale.applicable or product.applicable or category.applicable)


def test_an_individual_use_coupon_takes_no_other():
    solo = replace(coupon("solo", "percent", "50"), individual_use=True)
    other = replace(coupon("other", "percent", "50"), individual_use=True)
    plain = coupon("plain", "fixed_cart", "5")
    results = run(plain, solo, other)
    assert [(r.code, r.applicable) for r in results] == [("plain", False), ("solo", True), ("other", False)]
    assert sum(r.amount for r in results) == Decimal("25.00")


def test_limits_count_the_gateways_uses_on_top_of_the_web_shops():
    limited = replace(coupon("l", "percent", "10"), usage_limit=5, usage_count=3, usage_limit_per_user=1,
                      used_by=("ana@example.com",))
    assert run(limited, usage={"l": Usage(1, 0)})[0].applicable
    assert run(limited, usage={"l": Usage(2, 0)})[0].reason == "used up"
    assert not run(limited, buyer=Buyer("ANA@example.com"))[0].applicable  # the web-shop's own record of her
    assert run(limited, buyer=Buyer("bo@example.com"))[0].applicable


def test_email_restrictions_take_wildcards_in_any_case():
    staff = replace(coupon("s", "percent", "10"), email_restrictions=("*@staff.example.com", "ana@example.com"))
    assert email_allowed(staff, "Bo@Staff.Example.com") and email_allowed(staff, "ana@EXAMPLE.com")
    assert not email_allowed(staff, "bo@example.com") and not email_allowed(staff, "x@staff.example.com.evil")


def test_limit_usage_to_x_items_caps_the_units_a_product_coupon_lowers():
    # WooCommerce sorts the items by line total times quantity, largest first: the three
    # 10.00 scarves (30.00 x 3) come before the one 30.00 jacket (30.00 x 1)
    jacket = Item("JACKET", 1, Decimal("30.00"), product_id=21)
    scarves = Item("SCARF", 3, Decimal("10.00"), product_id=22)

    def off(kind: str, amount: str, limit: int | None) -> Decimal:
        capped = replace(coupon("x", kind, amount), limit_usage_to_x_items=limit)
        (r,) = evaluate(["x"], [capped], Decimal("60.00"), 4, "EUR", "EUR", items=[jacket, scarves])
        return r.amount

    assert off("percent", "10", None) == Decimal("6.00")  # every unit
    assert off("percent", "10", 2) == Decimal("2.00")  # two scarves
    assert off("percent", "10", 4) == Decimal("6.00")
    assert off("fixed_product", "15", 3) == Decimal("30.00")  # the three scarves, 10.00 each at most
    assert off("fixed_product", "15", 4) == Decimal("45.00")  # and 15.00 off the jacket
    assert off("fixed_cart", "15", 1) == Decimal("15.00")  # a cart coupon has no item limit


# What each coupon takes off each item, in cents, as WooCommerce's WC_Discounts spreads it
# (worked by hand from its apply_coupon_percent / _fixed_product / _fixed_cart / _remainder)

def amounts_by_item(result) -> dict[str, Decimal]:
    return dict(result.by_item)


def test_a_percent_coupon_rounds_each_item_down_and_gives_the_lost_cents_unit_by_unit_to_the_largest_first():
    items = [Item("B", 1, Decimal("0.05"), key="b"), Item("A", 3, Decimal("3.33"), key="a")]
    (result,) = evaluate(["p"], [coupon("p", "percent", "15")], Decimal("10.04"), 4, "EUR", "EUR", items=items)
    # A (9.99): 149.85 cents, 149; B (0.05): 0.75, 0; the cart's 150.6 rounds to 151: two more cents, both to A
    assert result.amount == Decimal("1.51")
    assert amounts_by_item(result) == {"a": Decimal("1.51")}


def test_a_percent_coupon_rounds_the_cart_half_down_as_woocommerce_does():
    (result,) = evaluate(["p"], [coupon("p", "percent", "10")], Decimal("2.25"), 1, "EUR", "EUR",
                         items=[Item("A", 1, Decimal("2.25"), key="a")])
    assert result.amount == Decimal("0.22")  # 22.5 cents: half down (half up would make it 0.23)


def test_a_fixed_cart_coupon_is_split_over_the_units_and_the_rest_over_the_items_with_a_price_left():
    items = [Item("A", 3, Decimal("1.00"), key="a"), Item("B", 1, Decimal("20.00"), key="b")]
    (result,) = evaluate(["c"], [coupon("c", "fixed_cart", "10")], Decimal("23.00"), 4, "EUR", "EUR", items=items)
    # 2.50 a unit: B takes 2.50, A's three units only their 3.00; the 4.50 left goes to B, the one with a price left
    assert amounts_by_item(result) == {"a": Decimal("3.00"), "b": Decimal("7.00")}
    assert result.amount == Decimal("10.00")


def test_a_second_coupon_takes_an_item_no_lower_than_zero():
    items = [Item("A", 1, Decimal("10.00"), key="a"), Item("B", 1, Decimal("30.00"), key="b")]
    first, second = evaluate(["f", "p"], [coupon("f", "fixed_product", "25"), coupon("p", "percent", "50")],
                             Decimal("40.00"), 2, "EUR", "EUR", items=items)
    assert amounts_by_item(first) == {"a": Decimal("10.00"), "b": Decimal("25.00")}
    # half of each item's price, but only what the first coupon left: 5.00 of B, nothing of A
    assert amounts_by_item(second) == {"b": Decimal("5.00")}
    assert first.amount + second.amount == Decimal("40.00")


def test_a_line_is_split_into_whole_cents():
    from domain.discount_allocation import split_evenly
    assert split_evenly(1000, 3) == [(2, 333), (1, 334)]
    assert split_evenly(900, 3) == [(3, 300)]
    assert sum(q * c for q, c in split_evenly(12_345, 7)) == 12_345
