"""Discount codes are the web-shop's coupons: percent, fixed cart, fixed product, with expiry,
minimum amount and usage limit."""

from __future__ import annotations

from decimal import ROUND_HALF_DOWN, Decimal

import pytest

from tests.api.test_carts import VARIANTS, in_stock, payload

CODES = """mutation($cart: ID!, $codes: [String!]!) { cartDiscountCodesUpdate(cartId: $cart, discountCodes: $codes) {
  cart { version discountCodes { code applicable } cost { subtotalAmount { amount } discountAmount { amount }
         totalAmount { amount } } }
  userErrors { code field message } } }"""
CREATE = """mutation($lines: [CartLineInput!]) { cartCreate(input: {lines: $lines}) {
  cart { id cost { subtotalAmount { amount } } } userErrors { code } } }"""


@pytest.fixture(scope="module")
def cart_of(gql):
    variants = in_stock([v for e in gql(VARIANTS, {"first": 100})["data"]["products"]["edges"]
                         for v in e["node"]["variants"]], 5)
    cheapest = min(variants, key=lambda v: Decimal(v["price"]["amount"]))

    def make(units: int, cheap: bool = False) -> tuple[str, Decimal]:
        variant = cheapest if cheap else variants[0]
        cart = payload(gql(CREATE, {"lines": [{"merchandiseId": variant["id"], "quantity": units}]}),
                       "cartCreate")["cart"]
        return cart["id"], Decimal(cart["cost"]["subtotalAmount"]["amount"])

    return make


@pytest.mark.parametrize(("code", "expected"), [
    ("WELCOME10", lambda subtotal, units: (subtotal * Decimal("0.10")).quantize(Decimal("0.01"), ROUND_HALF_DOWN)),
    ("save5", lambda subtotal, units: Decimal("5.00")),
    ("boots15", lambda subtotal, units: Decimal("15.00") * units),
])
def test_each_discount_type_lowers_the_cost(gql, cart_of, code, expected):
    cart_id, subtotal = cart_of(2)
    result = payload(gql(CODES, {"cart": cart_id, "codes": [code]}), "cartDiscountCodesUpdate")
    assert result["userErrors"] == []
    cost = result["cart"]["cost"]
    discount = Decimal(cost["discountAmount"]["amount"])
    assert discount == expected(subtotal, 2)
    assert Decimal(cost["totalAmount"]["amount"]) == subtotal - discount
    assert result["cart"]["discountCodes"] == [{"code": code.lower(), "applicable": True}]


@pytest.mark.parametrize(("code", "says"), [
    ("nope", "no such discount code"),
    ("summer2025", "expired on 2025-09-30"),
    ("onlyonce", "used up"),
])
def test_a_code_that_does_not_apply_is_refused_saying_why(gql, cart_of, code, says):
    cart_id, _ = cart_of(1)
    result = payload(gql(CODES, {"cart": cart_id, "codes": [code]}), "cartDiscountCodesUpdate")
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("DISCOUNT_CODE_INVALID", ["discountCodes", "0"])]
    assert says in result["userErrors"][0]["message"]
    assert result["cart"]["version"] == 1  # nothing written


def test_a_minimum_amount_is_enforced(gql, cart_of):
    cart_id, subtotal = cart_of(1, cheap=True)
    assert subtotal < 50, "the catalog needs a variant under 50 EUR for this test"
    result = payload(gql(CODES, {"cart": cart_id, "codes": ["save5"]}), "cartDiscountCodesUpdate")
    assert "needs a subtotal of at least 50.00" in result["userErrors"][0]["message"]


def test_an_empty_list_clears_the_codes(gql, cart_of):
    cart_id, subtotal = cart_of(1)
    payload(gql(CODES, {"cart": cart_id, "codes": ["welcome10"]}), "cartDiscountCodesUpdate")
    cleared = payload(gql(CODES, {"cart": cart_id, "codes": []}), "cartDiscountCodesUpdate")["cart"]
    assert cleared["discountCodes"] == [] and Decimal(cleared["cost"]["totalAmount"]["amount"]) == subtotal
