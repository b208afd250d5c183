"""Idempotency keys: a repeat replays the first result without applying twice; another input is refused."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
from pymongo import MongoClient

from adapters.mongo.idempotency import ABANDONED_AFTER

from tests.api.test_carts import PAYLOAD, READ, VARIANTS, in_stock, payload

CREATE = f"""mutation($input: CartInput!, $key: String) {{
  cartCreate(input: $input, idempotencyKey: $key) {{ {PAYLOAD} }} }}"""
ADD = f"""mutation($cart: ID!, $lines: [CartLineInput!]!, $key: String) {{
  cartLinesAdd(cartId: $cart, lines: $lines, idempotencyKey: $key) {{ {PAYLOAD} }} }}"""


def variant(gql) -> dict:
    found = [v for e in gql(VARIANTS, {"first": 10})["data"]["products"]["edges"] for v in e["node"]["variants"]]
    return in_stock(found, 20)[0]


def test_a_repeated_create_returns_the_same_cart(gql):
    key = str(uuid.uuid4())
    first = payload(gql(CREATE, {"input": {"note": "once"}, "key": key}), "cartCreate")
    again = payload(gql(CREATE, {"input": {"note": "once"}, "key": key}), "cartCreate")
    assert again["cart"]["id"] == first["cart"]["id"]


def test_a_repeated_add_is_applied_once(gql):
    v = variant(gql)
    cart = payload(gql(CREATE, {"input": {}}), "cartCreate")["cart"]
    key = str(uuid.uuid4())
    variables = {"cart": cart["id"], "lines": [{"merchandiseId": v["id"], "quantity": 2}], "key": key}
    first = payload(gql(ADD, variables), "cartLinesAdd")
    replayed = payload(gql(ADD, variables), "cartLinesAdd")
    assert replayed == first  # the first result, as it was
    assert gql(READ, {"id": cart["id"]})["data"]["cart"]["totalQuantity"] == 2


def test_the_same_key_with_another_input_is_refused(gql):
    v = variant(gql)
    cart = payload(gql(CREATE, {"input": {}}), "cartCreate")["cart"]
    key = str(uuid.uuid4())
    payload(gql(ADD, {"cart": cart["id"], "lines": [{"merchandiseId": v["id"]}], "key": key}), "cartLinesAdd")
    other = payload(gql(ADD, {"cart": cart["id"], "lines": [{"merchandiseId": v["id"], "quantity": 5}],
                              "key": key}), "cartLinesAdd")
    assert [e["code"] for e in other["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert gql(READ, {"id": cart["id"]})["data"]["cart"]["totalQuantity"] == 1


def test_a_key_longer_than_255_characters_is_refused(gql):
    result = payload(gql(CREATE, {"input": {}, "key": "k" * 256}), "cartCreate")
    assert [e["code"] for e in result["userErrors"]] == ["IDEMPOTENCY_KEY_INVALID"] and result["cart"] is None


async def test_simultaneous_repeats_apply_once(gateway, gql, api_key):
    v = variant(gql)
    cart = payload(gql(CREATE, {"input": {}}), "cartCreate")["cart"]
    body = {"query": ADD, "variables": {"cart": cart["id"], "lines": [{"merchandiseId": v["id"]}],
                                        "key": str(uuid.uuid4())}}
    async with httpx.AsyncClient(base_url=gateway, timeout=60, headers={"X-API-Key": api_key}) as client:
        answers = await asyncio.gather(*(client.post("/graphql", json=body) for _ in range(10)))
    results = [payload(a.json(), "cartLinesAdd") for a in answers]
    assert all(r["userErrors"] == [] for r in results)
    assert {r["cart"]["version"] for r in results} == {2}
    assert gql(READ, {"id": cart["id"]})["data"]["cart"]["totalQuantity"] == 1


def test_a_guest_reusing_another_api_keys_idempotency_key_gets_a_cart_of_its_own(client_with_key):
    # given guest A's cart, made through one frontend key with an idempotency key
    guest_a, guest_b = client_with_key("frontend"), client_with_key("frontend")
    key = str(uuid.uuid4())
    a_cart = payload(guest_a(CREATE, {"input": {"note": "A's note"}, "key": key}), "cartCreate")["cart"]
    # when guest B, through another API key, sends the same idempotency key and input
    b_cart = payload(guest_b(CREATE, {"input": {"note": "A's note"}, "key": key}), "cartCreate")["cart"]
    # then B gets a new cart, not A's (its id would be the key to A's cart)
    assert b_cart["id"] != a_cart["id"]


def _as_if_the_process_died_after_the_cart_write(mongo_url: str, key: str) -> None:
    """The idempotency record of `key` left as a process that died after writing the cart leaves
    it: without an outcome, and claimed longer ago than a running request could be."""
    with MongoClient(mongo_url) as client:
        records = client.commerce_gateway.idempotency
        ids = [doc["_id"] for doc in records.find({}, {"_id": 1}) if doc["_id"].endswith(f"\x1f{key}")]
        assert len(ids) == 1
        records.update_one({"_id": ids[0]}, {"$set": {"outcome": None,
                                                      "created_at": datetime.now(UTC) - 2 * ABANDONED_AFTER}})


def test_a_retry_after_the_process_died_between_cart_write_and_record_adds_nothing(gql, mongo_url):
    # given an add that reached the cart, whose idempotency record was never completed
    v = variant(gql)
    cart = payload(gql(CREATE, {"input": {}}), "cartCreate")["cart"]
    key = str(uuid.uuid4())
    variables = {"cart": cart["id"], "lines": [{"merchandiseId": v["id"], "quantity": 2}], "key": key}
    first = payload(gql(ADD, variables), "cartLinesAdd")
    _as_if_the_process_died_after_the_cart_write(mongo_url, key)
    # when the client retries it minutes later
    again = payload(gql(ADD, variables), "cartLinesAdd")
    # then the answer is the first one's cart, and the lines were added once
    assert again["userErrors"] == [] and again["cart"]["version"] == first["cart"]["version"]
    assert gql(READ, {"id": cart["id"]})["data"]["cart"]["totalQuantity"] == 2
    # and a later repeat replays without looking further
    assert payload(gql(ADD, variables), "cartLinesAdd")["cart"]["totalQuantity"] == 2


def test_a_create_retried_after_the_process_died_answers_with_the_cart_it_made(gql, mongo_url):
    key = str(uuid.uuid4())
    first = payload(gql(CREATE, {"input": {"note": "once"}, "key": key}), "cartCreate")
    _as_if_the_process_died_after_the_cart_write(mongo_url, key)
    again = payload(gql(CREATE, {"input": {"note": "once"}, "key": key}), "cartCreate")
    assert again["userErrors"] == [] and again["cart"]["id"] == first["cart"]["id"]
