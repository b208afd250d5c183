"""Checkout: one ERP order per cart, at live price and stock, never twice; pickup checks the store."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import jwt
import pytest
from pymongo import MongoClient

from gateway.settings import AuthSettings
from resolvers import global_ids
from tests.api.test_carts import CREATE, NOTE, VARIANTS, in_stock, payload

CHECKOUT = """mutation($cart: ID!, $input: CheckoutInput!, $key: String!) {
  cartCheckout(cartId: $cart, input: $input, idempotencyKey: $key) {
    order { id number status systemStatus system channel totalAmount { amount currencyCode } lines { sku quantity unitPrice { amount } } }
    cart { id version } userErrors { code field message } } }"""
ORDERS = "{ me { orders(first: 10) { nodes { number channel totalAmount { amount } } } } }"
STORES = "{ stores(first: 10) { id name } }"
STORE_STOCK = """query($sku: String!) { product(sku: $sku) { variants { sku
  storeAvailability(first: 10) { store { id name } quantity } } } }"""
SHIPPING = {"email": "ana@example.com", "name": "Ana Example", "paymentReference": "psp-1",
            "shippingAddress": {"street": "Main St 1", "city": "Berlin", "zip": "10115", "countryCode": "DE"}}


def customer() -> dict:
    token = jwt.encode({"sub": f"customer-{uuid.uuid4().hex[:8]}", "exp": int(time.time()) + 600},
                       AuthSettings().jwt_secret, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def stocked(gql) -> list[dict]:
    return in_stock([v for e in gql(VARIANTS, {"first": 30})["data"]["products"]["edges"]
                     for v in e["node"]["variants"]], 10)


def cart_with(gql, lines: list[tuple[dict, int]], headers: dict | None = None) -> dict:
    result = payload(gql(CREATE, {"input": {"lines": [{"merchandiseId": v["id"], "quantity": q} for v, q in lines]}},
                         headers), "cartCreate")
    assert result["userErrors"] == []
    return result["cart"]


def check_out(gql, cart: dict, checkout_input: dict, headers: dict | None = None, key: str | None = None) -> dict:
    return payload(gql(CHECKOUT, {"cart": cart["id"], "input": checkout_input, "key": key or str(uuid.uuid4())},
                       headers), "cartCheckout")


def test_checkout_places_one_erp_order_and_completes_the_cart(gql, stocked):
    alice = {**customer(), "X-Channel": "APP"}
    a, b = stocked[:2]
    cart = cart_with(gql, [(a, 2), (b, 1)], alice)
    # when
    result = check_out(gql, cart, SHIPPING, alice)
    # then the ERP has the order, with the app's channel and the cart's lines
    assert result["userErrors"] == []
    order = result["order"]
    assert (order["status"], order["systemStatus"], order["system"], order["channel"]) == ("CONFIRMED", "sale", "odoo",
                                                                                          "APP")
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [(a["sku"], 2), (b["sku"], 1)]
    expected = sum(float(line["unitPrice"]["amount"]) * line["quantity"] for line in order["lines"])
    assert float(order["totalAmount"]["amount"]) == pytest.approx(expected)
    # and the cart is completed, and the order is among the customer's orders from any channel
    assert result["cart"]["version"] == cart["version"] + 2  # claimed for the checkout, then completed
    closed = payload(gql(NOTE, {"cart": cart["id"], "note": "more"}, alice), "cartNoteUpdate")
    assert [e["code"] for e in closed["userErrors"]] == ["CART_CLOSED"]
    orders = gql(ORDERS, headers={**alice, "X-Channel": "STORE"})["data"]["me"]["orders"]["nodes"]
    assert [o["number"] for o in orders] == [order["number"]]


def test_a_retried_checkout_returns_the_same_order(gql, stocked):
    alice = customer()
    cart = cart_with(gql, [(stocked[0], 1)], alice)
    key = str(uuid.uuid4())
    first = check_out(gql, cart, SHIPPING, alice, key)
    again = check_out(gql, cart, SHIPPING, alice, key)
    assert again["order"]["number"] == first["order"]["number"]
    assert len(gql(ORDERS, headers=alice)["data"]["me"]["orders"]["nodes"]) == 1


def test_a_crash_between_the_erp_order_and_the_cart_update_does_not_order_twice(gql, stocked, mongo_url):
    alice = customer()
    cart = cart_with(gql, [(stocked[0], 1)], alice)
    first = check_out(gql, cart, SHIPPING, alice)
    # given the order exists in the ERP but the cart was never marked completed (the process died)
    with MongoClient(mongo_url) as client:
        _, key = global_ids.decode(cart["id"])
        undone = client.commerce_gateway.carts.update_one({"_id": key, "status": "COMPLETED"},
                                                          {"$set": {"status": "ACTIVE"}})
        assert undone.modified_count == 1
    # when the client retries with a fresh key
    again = check_out(gql, cart, SHIPPING, alice)
    # then it gets the same order, and the ERP holds one
    assert again["order"]["number"] == first["order"]["number"]
    assert len(gql(ORDERS, headers=alice)["data"]["me"]["orders"]["nodes"]) == 1


def test_pickup_checks_the_chosen_stores_stock(gql, stocked):
    # given a variant held in more than one store, and the store holding the most of it
    held_by = {}
    for variant in stocked:
        answer = gql(STORE_STOCK, {"sku": variant["sku"].rsplit("-", 1)[0]})["data"]["product"]["variants"]
        held_by = {s["store"]["id"]: (s["store"]["name"], s["quantity"])
                   for v in answer if v["sku"] == variant["sku"] for s in v["storeAvailability"] if s["quantity"] > 0}
        if len(held_by) > 1:
            break
    store_id, (name, held) = max(held_by.items(), key=lambda kv: kv[1][1])
    pickup = {"email": "ana@example.com", "paymentReference": "psp-2", "pickupStoreId": store_id}
    # when a store-channel cart asks one more than that store holds (the stores together have it)
    too_many = cart_with(gql, [(variant, held + 1)], {"X-Channel": "STORE"})
    refused = check_out(gql, too_many, pickup, {"X-Channel": "STORE"})
    # then pickup there is refused, saying what the store has; one unit is fine
    assert [e["code"] for e in refused["userErrors"]] == ["INSUFFICIENT_STOCK"]
    assert f"only {held} of {variant['sku']} available at {name}" in refused["userErrors"][0]["message"]
    fits = cart_with(gql, [(variant, 1)], {"X-Channel": "STORE"})
    placed = check_out(gql, fits, pickup, {"X-Channel": "STORE"})
    assert placed["userErrors"] == [] and placed["order"]["channel"] == "STORE"


@pytest.mark.parametrize(("change", "code"), [
    ({"email": "not-an-email"}, "INVALID_EMAIL"),
    ({"shippingAddress": None}, "DELIVERY_REQUIRED"),
    ({"pickupStoreId": "U3RvcmUvQkVS"}, "DELIVERY_REQUIRED"),  # both given
    ({"shippingAddress": {**SHIPPING["shippingAddress"], "countryCode": "Germany"}}, "INVALID_ADDRESS"),
    ({"paymentReference": " "}, "PAYMENT_REFERENCE_REQUIRED"),
])
def test_bad_checkout_input_is_a_user_error_and_orders_nothing(gql, stocked, change, code):
    cart = cart_with(gql, [(stocked[0], 1)])
    result = check_out(gql, cart, {**SHIPPING, **change})
    assert [e["code"] for e in result["userErrors"]] == [code] and result["order"] is None


def test_an_empty_cart_cannot_be_checked_out(gql):
    cart = cart_with(gql, [])
    assert [e["code"] for e in check_out(gql, cart, SHIPPING)["userErrors"]] == ["CART_EMPTY"]


def test_an_unknown_pickup_store_is_refused(gql, stocked):
    cart = cart_with(gql, [(stocked[0], 1)])
    unknown = {"email": "ana@example.com", "paymentReference": "psp-3", "pickupStoreId": "U3RvcmUvTk9QRQ"}
    result = check_out(gql, cart, unknown)
    assert [e["code"] for e in result["userErrors"]] == ["PICKUP_STORE_UNKNOWN"] and result["order"] is None


async def test_two_checkouts_of_one_cart_at_once_place_one_order(gateway, api_key, gql, stocked, simulators):
    # given a cart, and an ERP slow enough that two checkouts overlap (a double click, two tabs)
    alice = customer()
    cart = cart_with(gql, [(stocked[0], 1)], alice)
    simulators["odoo"].faults(latency_ms=150)
    # when two checkouts with different idempotency keys arrive together
    bodies = [{"query": CHECKOUT, "variables": {"cart": cart["id"], "input": SHIPPING, "key": str(uuid.uuid4())}}
              for _ in range(2)]
    async with httpx.AsyncClient(base_url=gateway, timeout=60, headers={"X-API-Key": api_key, **alice}) as http:
        answers = await asyncio.gather(*(http.post("/graphql", json=body) for body in bodies))
    simulators["odoo"].heal()
    # then both answer with the one order the cart got, and the ERP holds one
    results = [answer.json()["data"]["cartCheckout"] for answer in answers]
    assert all(result["userErrors"] == [] for result in results), results
    assert len({result["order"]["number"] for result in results}) == 1
    assert len(gql(ORDERS, headers=alice)["data"]["me"]["orders"]["nodes"]) == 1
