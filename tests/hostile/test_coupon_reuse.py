"""Discount codes were checked only against the web-shop's own usage count, which the gateway's
orders (they go to the ERP) never raise: a single-use 50% code was reusable forever, two of them
took a whole cart, and no restriction of the coupon was enforced. Now every checkout reserves its
codes' uses in the redemption ledger, atomically against the limits, before the ERP order."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_DOWN, Decimal

import httpx

from tests.api.test_carts import payload
from tests.api.test_checkout import CHECKOUT, SHIPPING, cart_with, check_out, customer, stocked  # noqa: F401

CODES = """mutation($cart: ID!, $codes: [String!]!) { cartDiscountCodesUpdate(cartId: $cart, discountCodes: $codes) {
  cart { discountCodes { code applicable } cost { subtotalAmount { amount } discountAmount { amount } } }
  userErrors { code field message } } }"""
SHOP_AUTH = ("ck_demo", "cs_demo")  # the simulator's


def new_coupon(simulators, **fields) -> str:
    """A coupon made at the web-shop for this test (`POST coupons`), its code returned."""
    code = f"t-{uuid.uuid4().hex[:10]}"
    made = httpx.post(f"{simulators['woocommerce'].url}/wp-json/wc/v3/coupons", auth=SHOP_AUTH, timeout=10,
                      json={"code": code, "discount_type": "percent", "amount": "50", **fields})
    assert made.status_code == 201, made.text
    return code


def with_codes(gql, cart: dict, codes: list[str], headers: dict | None = None) -> dict:
    return payload(gql(CODES, {"cart": cart["id"], "codes": codes}, headers), "cartDiscountCodesUpdate")


def test_a_single_use_code_cannot_be_used_twice(gql, stocked, simulators):  # noqa: F811
    code = new_coupon(simulators, usage_limit=1)
    first, second = cart_with(gql, [(stocked[0], 1)]), cart_with(gql, [(stocked[0], 1)])
    assert with_codes(gql, first, [code])["userErrors"] == []
    assert with_codes(gql, second, [code])["userErrors"] == []  # not used yet: both carts may hold it
    # when the first checks out
    assert check_out(gql, first, SHIPPING)["userErrors"] == []
    # then the second cannot, with the code: it is used up
    refused = check_out(gql, second, SHIPPING)
    assert [e["code"] for e in refused["userErrors"]] == ["DISCOUNT_CODE_INVALID"]
    assert "used up" in refused["userErrors"][0]["message"] and refused["order"] is None
    # nor can a third cart take it
    third = cart_with(gql, [(stocked[0], 1)])
    assert "used up" in with_codes(gql, third, [code])["userErrors"][0]["message"]


async def test_concurrent_checkouts_take_the_last_use_once(gateway, api_key, gql, stocked, simulators):  # noqa: F811
    code = new_coupon(simulators, usage_limit=1)
    carts = [cart_with(gql, [(stocked[0], 1)]) for _ in range(6)]
    for cart in carts:
        assert with_codes(gql, cart, [code])["userErrors"] == []
    async with httpx.AsyncClient(base_url=gateway, headers={"X-API-Key": api_key}, timeout=60) as client:
        answers = await asyncio.gather(*(client.post("/graphql", json={"query": CHECKOUT, "variables": {
            "cart": cart["id"], "input": SHIPPING, "key": str(uuid.uuid4())}}) for cart in carts))
    results = [a.json()["data"]["cartCheckout"] for a in answers]
    placed = [r for r in results if r["order"] is not None]
    assert len(placed) == 1, results
    assert all([e["code"] for e in r["userErrors"]] == ["DISCOUNT_CODE_INVALID"] for r in results if r not in placed)


def test_two_individual_use_half_price_codes_do_not_take_the_whole_cart(gql, stocked, simulators):  # noqa: F811
    a = new_coupon(simulators, usage_limit=1, individual_use=True)
    b = new_coupon(simulators, usage_limit=1, individual_use=True)
    cart = cart_with(gql, [(stocked[0], 2)])
    result = with_codes(gql, cart, [a, b])
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("DISCOUNT_CODE_INVALID",
                                                                         ["discountCodes", "1"])]
    assert "individual use" in result["userErrors"][0]["message"]
    # the first alone: half off
    alone = with_codes(gql, cart, [a])["cart"]["cost"]
    assert Decimal(alone["discountAmount"]["amount"]) * 2 == Decimal(alone["subtotalAmount"]["amount"])


def test_a_code_once_per_customer_is_counted_by_email_and_by_customer(gql, stocked, simulators):  # noqa: F811
    code = new_coupon(simulators, usage_limit_per_user=1, amount="10")
    email = f"once-{uuid.uuid4().hex[:6]}@example.com"
    first = cart_with(gql, [(stocked[0], 1)])
    with_codes(gql, first, [code])
    assert check_out(gql, first, {**SHIPPING, "email": email})["userErrors"] == []
    # the same e-mail (in other letters) as a guest again: refused
    again = cart_with(gql, [(stocked[0], 1)])
    with_codes(gql, again, [code])
    refused = check_out(gql, again, {**SHIPPING, "email": email.upper()})
    assert [e["code"] for e in refused["userErrors"]] == ["DISCOUNT_CODE_INVALID"]
    # a signed-in customer under another e-mail each time: the customer id counts
    alice = customer()
    mine = cart_with(gql, [(stocked[0], 1)], alice)
    with_codes(gql, mine, [code], alice)
    assert check_out(gql, mine, {**SHIPPING, "email": f"a1-{email}"}, alice)["userErrors"] == []
    more = cart_with(gql, [(stocked[1], 1)], alice)
    with_codes(gql, more, [code], alice)
    assert [e["code"] for e in check_out(gql, more, {**SHIPPING, "email": f"a2-{email}"}, alice)["userErrors"]] == [
        "DISCOUNT_CODE_INVALID"]


def test_an_email_restricted_code_applies_only_to_matching_addresses(gql, stocked, simulators):  # noqa: F811
    code = new_coupon(simulators, email_restrictions=["*@staff.example.com"])
    cart = cart_with(gql, [(stocked[0], 1)])
    assert with_codes(gql, cart, [code])["userErrors"] == []
    refused = check_out(gql, cart, {**SHIPPING, "email": "someone@example.com"})
    assert [e["code"] for e in refused["userErrors"]] == ["DISCOUNT_CODE_INVALID"]
    assert "e-mail" in refused["userErrors"][0]["message"]
    placed = check_out(gql, cart, {**SHIPPING, "email": "Bo@Staff.Example.com"})
    assert placed["userErrors"] == []


def test_product_and_category_restrictions_follow_the_web_shops_ids(gql, stocked, simulators):  # noqa: F811
    product = httpx.get(f"{simulators['woocommerce'].url}/wp-json/wc/v3/products", auth=SHOP_AUTH,
                        params={"sku": stocked[0]["sku"].rsplit("-", 1)[0]}).json()
    other_id = 999_999
    only_other = new_coupon(simulators, product_ids=[other_id])
    cart = cart_with(gql, [(stocked[0], 1)])
    assert "not applicable" in with_codes(gql, cart, [only_other])["userErrors"][0]["message"]
    if product:  # the variant's product is in the web-shop: name it, or its category, or exclude it
        [item] = product
        assert with_codes(gql, cart, [new_coupon(simulators, product_ids=[item["id"]])])["userErrors"] == []
        category = item["categories"][0]["id"]
        assert with_codes(gql, cart, [new_coupon(simulators, product_categories=[category])])["userErrors"] == []
        excluded = new_coupon(simulators, discount_type="fixed_cart", amount="1",
                              excluded_product_categories=[category])
        assert "not applicable" in with_codes(gql, cart, [excluded])["userErrors"][0]["message"]


def test_a_code_limited_to_one_item_lowers_one_unit_only(gql, stocked, simulators):  # noqa: F811
    code = new_coupon(simulators, amount="50", limit_usage_to_x_items=1)
    cart = cart_with(gql, [(stocked[0], 3)])
    cost = with_codes(gql, cart, [code])["cart"]["cost"]
    subtotal, discount = Decimal(cost["subtotalAmount"]["amount"]), Decimal(cost["discountAmount"]["amount"])
    # half of one unit of three, a half cent rounded down as WooCommerce rounds discounts
    assert discount == (subtotal / 6).quantize(Decimal("0.01"), ROUND_HALF_DOWN)


def test_a_checkout_that_died_after_reserving_does_not_hold_the_last_use(gql, stocked, simulators, mongo_url):  # noqa: F811
    """A process that died between reserving a code's use and the ERP order held the use until that
    cart was checked out again: a 1-use code was gone for good. Past the claim time the reservation
    no longer counts; the checkout that meets the limit asks the ERP about it and takes the use."""
    from adapters.mongo import client as mongo
    from adapters.mongo.redemptions import MongoRedemptionLedger
    from domain.discounts import Claim
    from gateway.settings import MongoSettings
    from resolvers.carts.ids import cart_key

    code = new_coupon(simulators, usage_limit=2, amount="10")
    ordered = cart_with(gql, [(stocked[0], 1)])
    with_codes(gql, ordered, [code])
    assert check_out(gql, ordered, SHIPPING)["userErrors"] == []
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)

    async def leave_stale_reservations() -> None:
        client = mongo.open_client(mongo_url)
        try:
            dead = MongoRedemptionLedger(client, MongoSettings().database)
            assert await dead.reserve(f"dead-{uuid.uuid4().hex[:8]}", [Claim(code, 2, (), None)]) is None
            # both reservations an hour old, the ordered cart's as if its process had died after the
            # order, before confirming it
            await dead.redemptions.update_one({"cart_id": cart_key(ordered["id"]), "code": code},
                                              {"$set": {"state": "reserved"}})
            changed = await dead.redemptions.update_many({"code": code}, {"$set": {"at": an_hour_ago}})
            assert changed.matched_count == 2
        finally:
            await client.close()

    asyncio.run(leave_stale_reservations())
    late = cart_with(gql, [(stocked[0], 1)])
    assert with_codes(gql, late, [code])["userErrors"] == []  # the dead cart's use is not counted
    assert check_out(gql, late, SHIPPING)["userErrors"] == []  # its use given back, the ordered one confirmed
    third = cart_with(gql, [(stocked[0], 1)])  # the ordered cart's use and the late one's: none left
    assert "used up" in with_codes(gql, third, [code])["userErrors"][0]["message"]


def test_a_product_code_lowers_only_its_product_on_the_erp_order_which_totals_the_cart(gql, stocked,  # noqa: F811
                                                                                          simulators):
    # given: a cart of two products, and a 33% code for the first one's product only
    def shop_product(variant: dict) -> list[dict]:
        return httpx.get(f"{simulators['woocommerce'].url}/wp-json/wc/v3/products", auth=SHOP_AUTH,
                         params={"sku": variant["sku"].rsplit("-", 1)[0]}).json()
    first = stocked[0]
    other = next(v for v in stocked if v["sku"].rsplit("-", 1)[0] != first["sku"].rsplit("-", 1)[0])
    [item] = shop_product(first)
    code = new_coupon(simulators, amount="33", product_ids=[item["id"]])
    cart = cart_with(gql, [(first, 3), (other, 2)])
    cost = with_codes(gql, cart, [code])["cart"]["cost"]
    first_price, other_price = Decimal(first["price"]["amount"]), Decimal(other["price"]["amount"])

    # when: it is checked out
    order = check_out(gql, cart, {**SHIPPING, "email": "split@example.com"})["order"]

    # then: the other product keeps its price; the first is lowered by the whole discount, in whole cents
    # a unit (as two lines when it does not divide by three); the ERP's total is the cart's, to the cent
    lines = order["lines"]
    assert [(ln["quantity"], Decimal(ln["unitPrice"]["amount"])) for ln in lines if ln["sku"] == other["sku"]] \
        == [(2, other_price)]
    firsts = [(ln["quantity"], Decimal(ln["unitPrice"]["amount"])) for ln in lines if ln["sku"] == first["sku"]]
    assert sum(q for q, _ in firsts) == 3
    assert sum(q * p for q, p in firsts) == first_price * 3 - Decimal(cost["discountAmount"]["amount"])
    assert Decimal(order["totalAmount"]["amount"]) == Decimal(cost["subtotalAmount"]["amount"]) \
        - Decimal(cost["discountAmount"]["amount"])
