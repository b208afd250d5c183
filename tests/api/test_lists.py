"""Saved lists through the live gateway: one customer's lists on every channel, what an item keeps,
version checks, idempotent retries, limits, moves between cart and list, and sign-in."""

from __future__ import annotations

import uuid

import pytest

from tests.api.test_cart_sign_in import customer
from tests.api.test_carts import CREATE, VARIANTS, in_stock, payload
from tests.conftest import GraphQLClient, served_gateway

ITEM_FIELDS = "id channel addedAt priceWhenSaved { amount currencyCode } stockWhenSaved merchandise { id sku }"
LIST_FIELDS = f"id name version default totalItems items(first: 100) {{ {ITEM_FIELDS} }}"
PAYLOAD = f"""list {{ {LIST_FIELDS} }} cart {{ id version lines {{ id quantity merchandise {{ sku }} }} }}
  userErrors {{ code field message }} warnings {{ code message }}"""
ME = f"{{ me {{ lists {{ {LIST_FIELDS} }} }} }}"
CREATE_LIST = f"mutation($name: String!, $key: String) {{ listCreate(name: $name, idempotencyKey: $key) {{ {PAYLOAD} }} }}"
ADD = f"""mutation($list: ID!, $items: [SavedItemInput!]!, $v: Int, $key: String) {{
  listItemsAdd(listId: $list, items: $items, expectedVersion: $v, idempotencyKey: $key) {{ {PAYLOAD} }} }}"""
REMOVE = f"""mutation($list: ID!, $ids: [ID!]!, $v: Int) {{
  listItemsRemove(listId: $list, itemIds: $ids, expectedVersion: $v) {{ {PAYLOAD} }} }}"""
SAVE_FOR_LATER = f"""mutation($cart: ID!, $lines: [ID!]!, $list: ID, $key: String) {{
  cartLinesSaveForLater(cartId: $cart, lineIds: $lines, listId: $list, idempotencyKey: $key) {{ {PAYLOAD} }} }}"""
MOVE_TO_CART = f"""mutation($list: ID!, $ids: [ID!]!, $cart: ID!, $key: String) {{
  listItemsMoveToCart(listId: $list, itemIds: $ids, cartId: $cart, idempotencyKey: $key) {{ {PAYLOAD} }} }}"""
SIGN_IN = f"""mutation($list: ID!, $key: String) {{
  listBuyerIdentityUpdate(listId: $list, idempotencyKey: $key) {{ {PAYLOAD} }} }}"""
NODE = f"query($id: ID!) {{ node(id: $id) {{ __typename ... on SavedList {{ {LIST_FIELDS} }} ... on SavedItem {{ id }} }} }}"


@pytest.fixture(scope="module")
def stocked(gql) -> list[dict]:
    variants = [v for e in gql(VARIANTS, {"first": 30})["data"]["products"]["edges"] for v in e["node"]["variants"]]
    return in_stock(variants, 5)


def items(*variants: dict) -> list[dict]:
    return [{"merchandiseId": v["id"]} for v in variants]


def default_list(client: GraphQLClient, who: dict) -> dict:
    lists = client(ME, headers=who)["data"]["me"]["lists"]
    assert lists[0]["default"] and lists[0]["name"] == "Saved for later"
    return lists[0]


def add(client: GraphQLClient, saved: dict, variants: list[dict], who: dict | None = None, **extra) -> dict:
    return payload(client(ADD, {"list": saved["id"], "items": items(*variants), **extra}, who), "listItemsAdd")


def skus(saved: dict) -> list[str]:
    return [i["merchandise"]["sku"] for i in saved["items"]]


def codes(result: dict) -> list[str]:
    return [e["code"] for e in result["userErrors"]]


def test_a_list_saved_on_the_web_is_seen_and_changed_in_the_app(gql, client_with_key, stocked):
    # given a customer who saves two variants on the web
    alice = customer()
    web = {**alice, "X-Channel": "WEB"}
    saved = default_list(gql, web)
    assert (saved["version"], saved["items"]) == (1, [])
    first, second = stocked[0], stocked[1]
    result = add(gql, saved, [first, second], web)
    assert codes(result) == [] and skus(result["list"]) == [first["sku"], second["sku"]]
    # then each item keeps the web's price and stock when saved, and where it was saved
    item = result["list"]["items"][0]
    assert item["channel"] == "WEB" and item["priceWhenSaved"]["amount"] == first["price"]["amount"]
    assert item["stockWhenSaved"] == first["quantityAvailable"]
    # when the app (another key, the same customer token) reads and changes it
    app = client_with_key("mobile")
    seen = default_list(app, {**alice, "X-Channel": "APP"})
    assert (seen["id"], skus(seen)) == (saved["id"], skus(result["list"]))
    removed = payload(app(REMOVE, {"list": saved["id"], "ids": [item["id"]], "v": seen["version"]},
                          {**alice, "X-Channel": "APP"}), "listItemsRemove")
    assert codes(removed) == [] and skus(removed["list"]) == [second["sku"]]
    # then the web sees the app's change
    assert skus(default_list(gql, web)) == [second["sku"]]


def test_a_stale_version_is_refused_with_the_current_list(gql, stocked):
    alice = customer()
    saved = default_list(gql, alice)
    add(gql, saved, [stocked[0]], alice)  # version 2, from another device
    # when a client that read version 1 adds
    result = add(gql, saved, [stocked[1]], alice, v=1)
    # then nothing is added, and the current list comes back to rebase on
    assert codes(result) == ["VERSION_CONFLICT"] and result["list"]["version"] == 2
    assert skus(result["list"]) == [stocked[0]["sku"]]


def test_a_retried_add_returns_the_first_answer_and_a_reused_key_is_refused(gql, stocked):
    alice = customer()
    saved = default_list(gql, alice)
    key = str(uuid.uuid4())
    first = add(gql, saved, [stocked[0]], alice, key=key)
    again = add(gql, saved, [stocked[0]], alice, key=key)
    assert again == first and first["list"]["version"] == 2
    assert default_list(gql, alice)["version"] == 2  # applied once
    other = add(gql, saved, [stocked[1]], alice, key=key)
    assert codes(other) == ["IDEMPOTENCY_KEY_REUSED"]


def test_a_saved_sku_is_kept_once(gql, stocked):
    alice = customer()
    saved = default_list(gql, alice)
    add(gql, saved, [stocked[0]], alice)
    result = add(gql, saved, [stocked[0], stocked[0], stocked[1]], alice)
    assert skus(result["list"]) == [stocked[0]["sku"], stocked[1]["sku"]]
    assert [w["code"] for w in result["warnings"]] == ["ALREADY_SAVED", "ALREADY_SAVED"]


def test_lists_have_unique_names_and_an_unknown_variant_is_refused(gql):
    alice = customer()
    made = payload(gql(CREATE_LIST, {"name": "  Birthday "}, alice), "listCreate")
    assert codes(made) == [] and made["list"]["name"] == "Birthday" and not made["list"]["default"]
    for taken in ("BIRTHDAY", "saved FOR later"):
        assert codes(payload(gql(CREATE_LIST, {"name": taken}, alice), "listCreate")) == ["NAME_TAKEN"]
    names = [s["name"] for s in gql(ME, headers=alice)["data"]["me"]["lists"]]
    assert names == ["Saved for later", "Birthday"]
    unknown = add(gql, made["list"], [{"id": "VmFyaWFudC9uby1zdWNo"}], alice)
    assert codes(unknown) == ["UNKNOWN_MERCHANDISE"]


@pytest.fixture(scope="module")
def small(simulators, mongo_url, api_key):
    """A client of a gateway whose customers have 3 lists of 2 items at most."""
    with served_gateway(simulators, mongo_url, CGW_LISTS__MAX_LISTS="3", CGW_LISTS__MAX_ITEMS="2") as url:
        client = GraphQLClient(url, api_key)
        yield client
        client.http.close()


def test_limits_on_lists_and_items(small, stocked):
    alice = customer()
    # the default list and two more fill the customer's three places
    for name in ("One", "Two"):
        assert codes(payload(small(CREATE_LIST, {"name": name}, alice), "listCreate")) == []
    third = payload(small(CREATE_LIST, {"name": "Three"}, alice), "listCreate")
    assert codes(third) == ["TOO_MANY_LISTS"] and "at most 3" in third["userErrors"][0]["message"]
    # a list holds two items
    saved = default_list(small, alice)
    assert codes(add(small, saved, stocked[:2], alice)) == []
    full = add(small, saved, [stocked[2]], alice)
    assert codes(full) == ["TOO_MANY_ITEMS"] and len(full["list"]["items"]) == 2


def new_cart(gql, lines: list[tuple[dict, int]], who: dict | None = None) -> dict:
    made = payload(gql(CREATE, {"input": {"lines": [{"merchandiseId": v["id"], "quantity": q} for v, q in lines]}},
                       who), "cartCreate")
    assert made["userErrors"] == [], made
    return made["cart"]


def test_save_for_later_and_move_back_lose_nothing(gql, stocked):
    # given a customer's cart of two lines
    alice = customer()
    a, b = stocked[0], stocked[1]
    cart = new_cart(gql, [(a, 1), (b, 2)], alice)
    line_b = next(line for line in cart["lines"] if line["merchandise"]["sku"] == b["sku"])
    # when B is saved for later
    saved = payload(gql(SAVE_FOR_LATER, {"cart": cart["id"], "lines": [line_b["id"]]}, alice),
                    "cartLinesSaveForLater")
    # then the cart lost it and the default list gained it
    assert codes(saved) == [] and saved["list"]["default"] and skus(saved["list"]) == [b["sku"]]
    assert [line["merchandise"]["sku"] for line in saved["cart"]["lines"]] == [a["sku"]]
    # when it is moved back to the cart
    item = saved["list"]["items"][0]
    moved = payload(gql(MOVE_TO_CART, {"list": saved["list"]["id"], "ids": [item["id"]], "cart": cart["id"]}, alice),
                    "listItemsMoveToCart")
    # then the list lost it and the cart has it again (one unit: a saved item has no quantity)
    assert codes(moved) == [] and moved["list"]["items"] == []
    assert {line["merchandise"]["sku"]: line["quantity"] for line in moved["cart"]["lines"]} == {a["sku"]: 1,
                                                                                                b["sku"]: 1}
    assert default_list(gql, alice)["items"] == []


def test_a_move_the_cart_refuses_moves_nothing(gql, stocked):
    # given a cart that holds all the stock of A, and A saved
    alice = customer()
    a = stocked[2]
    cart = new_cart(gql, [(a, a["quantityAvailable"])], alice)
    saved = default_list(gql, alice)
    saved = add(gql, saved, [a], alice)["list"]
    # when A is moved to the cart
    moved = payload(gql(MOVE_TO_CART, {"list": saved["id"], "ids": [saved["items"][0]["id"]], "cart": cart["id"]},
                        alice), "listItemsMoveToCart")
    # then the cart's rules refuse it, and both stay as they were
    assert codes(moved) == ["INSUFFICIENT_STOCK"]
    assert skus(default_list(gql, alice)) == [a["sku"]]
    assert moved["cart"]["version"] == cart["version"]


def test_a_retried_save_for_later_moves_once(gql, stocked):
    alice = customer()
    cart = new_cart(gql, [(stocked[0], 1), (stocked[1], 1)], alice)
    key = str(uuid.uuid4())
    variables = {"cart": cart["id"], "lines": [cart["lines"][0]["id"]], "key": key}
    first = payload(gql(SAVE_FOR_LATER, variables, alice), "cartLinesSaveForLater")
    again = payload(gql(SAVE_FOR_LATER, variables, alice), "cartLinesSaveForLater")
    assert again == first and len(first["list"]["items"]) == 1 and len(first["cart"]["lines"]) == 1


def test_a_guest_list_merges_into_the_customers_default_list_at_sign_in(gql, stocked):
    # given a guest's list (no token) and a customer who saved one of the same SKUs
    a, b, c = stocked[0], stocked[1], stocked[2]
    guest = payload(gql(CREATE_LIST, {"name": "Ideas"}), "listCreate")["list"]
    guest = add(gql, guest, [a, b])["list"]
    alice = customer()
    hers = add(gql, default_list(gql, alice), [b, c], alice)["list"]
    # when she signs in with the guest list
    key = str(uuid.uuid4())
    merged = payload(gql(SIGN_IN, {"list": guest["id"], "key": key}, alice), "listBuyerIdentityUpdate")
    # then its items joined her default list, each SKU once, B as she saved it first
    assert codes(merged) == [] and merged["list"]["id"] == hers["id"]
    assert skus(merged["list"]) == [b["sku"], c["sku"], a["sku"]]
    # and a retry, or signing in again, adds nothing
    assert payload(gql(SIGN_IN, {"list": guest["id"], "key": key}, alice), "listBuyerIdentityUpdate") == merged
    again = payload(gql(SIGN_IN, {"list": guest["id"]}, alice), "listBuyerIdentityUpdate")
    assert skus(again["list"]) == skus(merged["list"]) and again["list"]["version"] == merged["list"]["version"]
    # and the guest list is no guest's any more: closed to her, invisible to anyone else
    closed = add(gql, guest, [c], alice)
    assert codes(closed) == ["LIST_CLOSED"] and hers["id"] in closed["userErrors"][0]["message"]
    for stranger in ({}, customer()):
        assert codes(add(gql, guest, [c], stranger)) == ["LIST_NOT_FOUND"]
        assert gql(NODE, {"id": guest["id"]}, stranger)["data"]["node"] is None


def test_signing_in_needs_a_token(gql):
    guest = payload(gql(CREATE_LIST, {"name": "Ideas"}), "listCreate")["list"]
    assert codes(payload(gql(SIGN_IN, {"list": guest["id"]}), "listBuyerIdentityUpdate")) == ["CUSTOMER_REQUIRED"]


def test_lists_and_items_are_refetched_by_node_by_their_owner_only(gql, stocked):
    alice = customer()
    saved = add(gql, default_list(gql, alice), [stocked[0]], alice)["list"]
    found = gql(NODE, {"id": saved["id"]}, alice)["data"]["node"]
    assert found["__typename"] == "SavedList" and skus(found) == [stocked[0]["sku"]]
    item = saved["items"][0]["id"]
    assert gql(NODE, {"id": item}, alice)["data"]["node"] == {"__typename": "SavedItem", "id": item}
    for stranger in ({}, customer()):
        assert gql(NODE, {"id": saved["id"]}, stranger)["data"]["node"] is None
        assert gql(NODE, {"id": item}, stranger)["data"]["node"] is None
