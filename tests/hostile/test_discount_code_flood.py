"""`cartDiscountCodesUpdate` with thousands of codes (a request body of up to 100 KB) looked each up
at the web-shop at once, taking every connection of the process: distinct codes past
`carts.max_discount_codes` are refused before any look-up, repeats are looked up once, and the
look-ups of the whole process at the web-shop are bounded."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.api.test_carts import CREATE, VARIANTS, in_stock, payload
from tests.hostile.conftest import assert_responsive

CODES = """mutation($cart: ID!, $codes: [String!]!) { cartDiscountCodesUpdate(cartId: $cart, discountCodes: $codes) {
  cart { version discountCodes { code applicable } } userErrors { code field message } } }"""
COUPON_LOOKUPS = 4  # adapters/woocommerce/adapter.py


def coupon_calls(simulator) -> int:
    return sum(n for route, n in simulator.stats().items() if "coupons" in route)


def new_cart(gql) -> str:
    variant = in_stock([v for e in gql(VARIANTS, {"first": 10})["data"]["products"]["edges"]
                        for v in e["node"]["variants"]], 2)[0]
    made = payload(gql(CREATE, {"input": {"lines": [{"merchandiseId": variant["id"], "quantity": 1}]}}), "cartCreate")
    return made["cart"]["id"]


async def test_thousands_of_codes_are_refused_before_any_look_up(gateway, api_key, gql, simulators):
    cart = new_cart(gql)
    codes = [f"flood-{n:05d}" for n in range(6_500)]  # about 90 KB of request, under the 100 KB limit
    simulators["woocommerce"].reset_stats()

    async def attack() -> list[dict]:
        async with httpx.AsyncClient(base_url=gateway, headers={"X-API-Key": api_key}, timeout=30) as client:
            answers = [await client.post("/graphql", json={"query": CODES, "variables": {"cart": cart, "codes": codes}})
                       for _ in range(6)]
        return [a.json()["data"]["cartDiscountCodesUpdate"] for a in answers]

    answers = await assert_responsive(gateway, api_key, attack())
    for answer in answers:
        assert [e["code"] for e in answer["userErrors"]] == ["TOO_MANY_DISCOUNT_CODES"]
    assert coupon_calls(simulators["woocommerce"]) == 0


def test_a_code_repeated_thousands_of_times_is_looked_up_once(gql, simulators):
    cart = new_cart(gql)
    simulators["woocommerce"].reset_stats()
    result = payload(gql(CODES, {"cart": cart, "codes": ["WELCOME10", " welcome10 "] * 3_000}),
                     "cartDiscountCodesUpdate")
    assert result["userErrors"] == []
    assert result["cart"]["discountCodes"] == [{"code": "welcome10", "applicable": True}]
    assert coupon_calls(simulators["woocommerce"]) == 1


def test_a_code_longer_than_any_coupon_is_not_looked_up(gql, simulators):
    cart = new_cart(gql)
    simulators["woocommerce"].reset_stats()
    result = payload(gql(CODES, {"cart": cart, "codes": ["x" * 50_000]}), "cartDiscountCodesUpdate")
    assert [e["code"] for e in result["userErrors"]] == ["DISCOUNT_CODE_INVALID"]
    assert coupon_calls(simulators["woocommerce"]) == 0


async def test_coupon_look_ups_of_the_process_are_bounded(gateway, api_key, gql, simulators):
    # given a slow web-shop and many carts, each given the most codes a cart takes
    carts = [new_cart(gql) for _ in range(6)]
    shop = simulators["woocommerce"]
    shop.reset_stats()
    shop.faults(latency_ms=100)
    codes = [f"slow-{uuid.uuid4().hex[:8]}" for _ in range(5)]
    # when they all change their codes at once
    async with httpx.AsyncClient(base_url=gateway, headers={"X-API-Key": api_key}, timeout=30) as client:
        await asyncio.gather(*(client.post("/graphql", json={"query": CODES, "variables": {"cart": c, "codes": codes}})
                               for c in carts))
    # then the web-shop never had more than COUPON_LOOKUPS coupon look-ups of the process at once
    spans = [(arrived, answered) for what, arrived, answered in shop.spans() if "coupons" in what]
    assert len(spans) == 6 * 5
    overlap = max(sum(1 for a, b in spans if a <= at < b) for at, _ in spans)
    assert overlap <= COUPON_LOOKUPS, f"{overlap} coupon look-ups at once"
