"""Signing in with a guest cart: attach, or meet the customer's cart under each merge strategy;
and once a cart is a customer's, only that customer reaches it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import jwt
import pytest

from adapters.mongo.carts import MongoCartStore
from domain.carts import Cart as CartRecord
from domain.errors import BackendUnavailable
from gateway.settings import AuthSettings
from resolvers import global_ids
from tests.api.test_carts import CART_FIELDS, CREATE, NOTE, READ, VARIANTS, in_stock, payload
from tests.conftest import GraphQLClient, served_gateway

SIGN_IN = f"""mutation($cart: ID!) {{ cartBuyerIdentityUpdate(cartId: $cart) {{
  cart {{ {CART_FIELDS} buyerIdentity {{ customerId }} }} userErrors {{ code field message }}
  warnings {{ code message }} }} }}"""
ME = "{ me { id cart { id version lines { quantity merchandise { sku } } } } }"


def customer() -> dict:
    token = jwt.encode({"sub": f"customer-{uuid.uuid4().hex[:8]}", "exp": int(time.time()) + 600},
                       AuthSettings().jwt_secret, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module", params=["MERGE", "KEEP_CUSTOMER", "KEEP_GUEST", "KEEP_GUEST_IF_CUSTOMER_EMPTY"])
def shop(request, simulators, mongo_url, api_key) -> Iterator[tuple[str, GraphQLClient]]:
    """(merge strategy, client) of a gateway configured with that strategy."""
    with served_gateway(simulators, mongo_url, CGW_CARTS__MERGE_STRATEGY=request.param) as url:
        client = GraphQLClient(url, api_key)
        yield request.param, client
        client.http.close()


@pytest.fixture(scope="module")
def stocked(gql) -> list[dict]:
    variants = [v for e in gql(VARIANTS, {"first": 30})["data"]["products"]["edges"] for v in e["node"]["variants"]]
    return in_stock(variants, 5)


def new_cart(client: GraphQLClient, lines: list[tuple[dict, int]]) -> dict:
    result = payload(client(CREATE, {"input": {"lines": [{"merchandiseId": v["id"], "quantity": q}
                                                         for v, q in lines]}}), "cartCreate")
    assert result["userErrors"] == [], result
    return result["cart"]


def sign_in(client: GraphQLClient, cart: dict, who: dict) -> dict:
    return payload(client(SIGN_IN, {"cart": cart["id"]}, who), "cartBuyerIdentityUpdate")


def quantities(cart: dict) -> dict[str, int]:
    return {line["merchandise"]["sku"]: line["quantity"] for line in cart["lines"]}


def test_a_guest_cart_becomes_the_customers_and_only_theirs(gql, stocked):
    # given a guest cart, and a customer without a cart
    cart = new_cart(gql, [(stocked[0], 1)])
    alice, bob = customer(), customer()
    # when Alice signs in with it
    result = sign_in(gql, cart, alice)
    # then it is hers, reachable from `me` on any channel
    assert result["userErrors"] == [] and result["cart"]["id"] == cart["id"]
    assert result["cart"]["buyerIdentity"]["customerId"] is not None
    me = gql(ME, headers={**alice, "X-Channel": "STORE"})["data"]["me"]
    assert me["cart"]["id"] == cart["id"]
    # and neither a guest nor Bob can tell it exists
    for stranger in ({}, bob):
        assert gql(READ, {"id": cart["id"]}, stranger)["data"]["cart"] is None
        changed = payload(gql(NOTE, {"cart": cart["id"], "note": "mine now"}, stranger), "cartNoteUpdate")
        assert [e["code"] for e in changed["userErrors"]] == ["CART_NOT_FOUND"]


def test_signing_in_needs_a_token(gql, stocked):
    cart = new_cart(gql, [(stocked[0], 1)])
    result = sign_in(gql, cart, {})
    assert [e["code"] for e in result["userErrors"]] == ["CUSTOMER_REQUIRED"] and result["cart"] is None


def test_a_guest_cart_meets_the_customers_cart(shop, stocked):
    strategy, client = shop
    a, b = stocked[0], stocked[1]
    alice = customer()
    # given Alice's cart (2 × A) from another device, and a guest cart (1 × A, 1 × B)
    hers = new_cart(client, [(a, 2)])
    assert sign_in(client, hers, alice)["userErrors"] == []
    guest = new_cart(client, [(a, 1), (b, 1)])
    # when she signs in with the guest cart
    result = sign_in(client, guest, alice)
    assert result["userErrors"] == []
    survivor = result["cart"]
    # then the strategy decides, and the loser points to the survivor
    expected = {
        "MERGE": (hers["id"], {a["sku"]: 3, b["sku"]: 1}),
        "KEEP_CUSTOMER": (hers["id"], {a["sku"]: 2}),
        "KEEP_GUEST": (guest["id"], {a["sku"]: 1, b["sku"]: 1}),
        "KEEP_GUEST_IF_CUSTOMER_EMPTY": (hers["id"], {a["sku"]: 3, b["sku"]: 1}),  # hers was not empty: merged
    }[strategy]
    assert (survivor["id"], quantities(survivor)) == expected
    loser = guest if survivor["id"] == hers["id"] else hers
    closed = payload(client(NOTE, {"cart": loser["id"], "note": "x"}, alice), "cartNoteUpdate")
    assert [e["code"] for e in closed["userErrors"]] == ["CART_CLOSED"]
    assert survivor["id"] in closed["userErrors"][0]["message"]
    assert client(ME, headers=alice)["data"]["me"]["cart"]["id"] == survivor["id"]


@pytest.mark.parametrize("shop", ["KEEP_GUEST_IF_CUSTOMER_EMPTY"], indirect=True)
def test_an_empty_customer_cart_gives_way_to_the_guest_cart_when_configured(shop, stocked):
    _, client = shop
    alice = customer()
    hers = new_cart(client, [])
    sign_in(client, hers, alice)
    guest = new_cart(client, [(stocked[0], 1)])
    assert sign_in(client, guest, alice)["cart"]["id"] == guest["id"]


def test_merging_caps_a_quantity_at_what_is_in_stock_and_says_so(gql, stocked):
    # given (on the default MERGE gateway) a variant of which the guest cart holds all there is
    variant = stocked[2]
    available = variant["quantityAvailable"]
    alice = customer()
    hers = new_cart(gql, [(variant, 1)])
    sign_in(gql, hers, alice)
    guest = new_cart(gql, [(variant, available)])
    # when the two meet
    result = sign_in(gql, guest, alice)
    # then the merged line holds what is available, with a warning
    assert quantities(result["cart"]) == {variant["sku"]: available}
    assert [w["code"] for w in result["warnings"]] == ["QUANTITY_CAPPED"]
    assert f"{available + 1} wanted, {available} kept" in result["warnings"][0]["message"]


def test_a_signed_in_cart_create_is_the_customers_cart_on_every_channel(gql, stocked):
    # given a signed-in customer who makes a cart on the website
    headers = customer()
    first = payload(gql(CREATE, {"input": {"lines": [{"merchandiseId": stocked[0]["id"], "quantity": 1}]}},
                        headers={**headers, "X-Channel": "WEB"}), "cartCreate")["cart"]
    # when the app, signed in as the same customer, asks for its cart and then creates one with another line
    seen_in_app = gql(ME, headers={**headers, "X-Channel": "APP"})["data"]["me"]["cart"]
    again = payload(gql(CREATE, {"input": {"lines": [{"merchandiseId": stocked[1]["id"], "quantity": 2}]}},
                        headers={**headers, "X-Channel": "APP"}), "cartCreate")["cart"]
    # then the app saw the website's cart, and its create answered with that cart, the new line added
    assert seen_in_app is not None and seen_in_app["id"] == first["id"]
    assert again["id"] == first["id"]
    assert sorted(line["quantity"] for line in again["lines"]) == [1, 2]


def test_a_merge_whose_write_into_the_customers_cart_fails_loses_no_lines(gql, stocked, monkeypatch):
    # given Alice's cart, and a guest cart with a line of its own
    alice = customer()
    hers = new_cart(gql, [(stocked[0], 1)])
    sign_in(gql, hers, alice)
    guest = new_cart(gql, [(stocked[1], 2)])
    # when signing in with it fails as the guest's lines are written into her cart
    _, hers_key = global_ids.decode(hers["id"])
    replace = MongoCartStore.replace

    async def failing_for_hers(store: MongoCartStore, cart: CartRecord) -> bool:
        if cart.cart_id == hers_key:
            raise BackendUnavailable("mongodb", "went away for the test")
        return await replace(store, cart)

    monkeypatch.setattr(MongoCartStore, "replace", failing_for_hers)
    failed = gql(SIGN_IN, {"cart": guest["id"]}, alice)
    assert failed["data"] is None and [e["extensions"]["code"] for e in failed["errors"]] == ["BACKEND_UNAVAILABLE"]
    monkeypatch.setattr(MongoCartStore, "replace", replace)
    # then the guest cart still holds its lines, and signing in again moves them into her cart
    assert quantities(gql(READ, {"id": guest["id"]})["data"]["cart"]) == {stocked[1]["sku"]: 2}
    merged = sign_in(gql, guest, alice)
    assert merged["userErrors"] == [] and merged["cart"]["id"] == hers["id"]
    assert quantities(merged["cart"]) == {stocked[0]["sku"]: 1, stocked[1]["sku"]: 2}
