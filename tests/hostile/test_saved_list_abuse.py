"""Attacks on saved lists: the largest add, huge and odd names, the same SKU added concurrently,
concurrent sign-ins with one guest list, one customer reaching another's list (or a merged guest
list) by its id, and marketplace keys, which never see lists."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.api.test_cart_sign_in import customer
from tests.api.test_lists import (
    ADD,
    CREATE_LIST,
    ME,
    MOVE_TO_CART,
    NODE,
    REMOVE,
    SAVE_FOR_LATER,
    SIGN_IN,
    add,
    codes,
    default_list,
    items,
    new_cart,
    skus,
    stocked,  # noqa: F401 - the fixture
)
from tests.api.test_carts import payload

PRODUCTS = """query($after: String) { products(first: 100, after: $after) {
  edges { node { variants { id } } } pageInfo { endCursor } } }"""


def test_a_thousand_items_in_one_add_are_refused_before_any_lookup(gql, simulators, stocked):  # noqa: F811
    alice = customer()
    saved = default_list(gql, alice)
    for sim in simulators.values():
        sim.reset_stats()
    flood = items(*(stocked * 1000)[:1000])
    started = time.perf_counter()
    result = payload(gql(ADD, {"list": saved["id"], "items": flood}, alice), "listItemsAdd")
    # then refused at once, naming the limit, and the list unchanged
    assert codes(result) == ["TOO_MANY_ITEMS"] and "at most 250" in result["userErrors"][0]["message"]
    assert time.perf_counter() - started < 2.0
    assert all(not sim.stats() for sim in simulators.values())  # no backend was asked anything
    assert default_list(gql, alice)["version"] == 1


def test_a_full_list_takes_no_more_and_a_list_at_the_limit_is_read_whole(gql, client_with_key):
    # 250 distinct variants, saved in one request
    variants: list[dict] = []
    after = None
    while len(variants) < 251:
        page = gql(PRODUCTS, {"after": after})["data"]["products"]
        variants += [v for e in page["edges"] for v in e["node"]["variants"]]
        after = page["pageInfo"]["endCursor"]
    assert len(variants) >= 251
    alice = customer()
    saved = default_list(gql, alice)
    full = payload(gql(ADD, {"list": saved["id"], "items": items(*variants[:250])}, alice), "listItemsAdd")
    assert codes(full) == [] and full["list"]["totalItems"] == 250
    more = payload(gql(ADD, {"list": saved["id"], "items": items(variants[250])}, alice), "listItemsAdd")
    assert codes(more) == ["TOO_MANY_ITEMS"]
    whole = gql("{ me { lists { items(first: 250) { id } } } }", headers=alice)["data"]["me"]["lists"][0]["items"]
    assert len(whole) == 250


@pytest.mark.parametrize(("name", "why"), [
    ("x" * 10_000, "at most 100 characters"),
    ("   ", "must not be empty"),
    ("Gifts\x00", "control"),
    ("Gifts\x1b[31m", "control"),
    ("Gifts\u202eslootuo", "text-direction"),   # right-to-left override: reads as something else
    ("Gifts\u2066x\u2069", "text-direction"),
    ("Gifts\ue000", "control"),                 # private use
])
def test_hostile_names_are_refused(gql, name, why):
    result = payload(gql(CREATE_LIST, {"name": name}, customer()), "listCreate")
    assert codes(result) == ["INVALID_NAME"] and why in result["userErrors"][0]["message"], result
    assert result["list"] is None


def test_odd_but_fair_names_are_kept_normalized(gql):
    alice = customer()
    decomposed = "Cafe\u0301 ☕ 👩‍👩‍👧 Geschenke für Oma"  # a combining accent, an emoji joined by ZWJ
    made = payload(gql(CREATE_LIST, {"name": f"  {decomposed}\t"}, alice), "listCreate")
    assert codes(made) == [] and made["list"]["name"] == "Café ☕ 👩‍👩‍👧 Geschenke für Oma"
    # the same name written the other way (composed, another case) is the same name
    again = payload(gql(CREATE_LIST, {"name": "CAFÉ ☕ 👩‍👩‍👧 GESCHENKE FÜR OMA"}, alice), "listCreate")
    assert codes(again) == ["NAME_TAKEN"]


def test_the_same_sku_added_concurrently_is_saved_once(gql, stocked):  # noqa: F811
    alice = customer()
    saved = default_list(gql, alice)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: add(gql, saved, [stocked[0]], alice), range(8)))
    assert all(codes(r) == [] for r in results)
    final = default_list(gql, alice)
    assert skus(final) == [stocked[0]["sku"]]


def test_concurrent_sign_ins_with_one_guest_list_merge_it_once(gql, stocked):  # noqa: F811
    guest = payload(gql(CREATE_LIST, {"name": "Ideas"}), "listCreate")["list"]
    guest = add(gql, guest, stocked[:3])["list"]
    alice = customer()
    hers = add(gql, default_list(gql, alice), [stocked[3]], alice)["list"]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: payload(gql(SIGN_IN, {"list": guest["id"]}, alice),
                                                  "listBuyerIdentityUpdate"), range(6)))
    assert all(set(codes(r)) <= {"VERSION_CONFLICT"} for r in results)  # a racer may be told to retry
    final = default_list(gql, alice)
    assert final["id"] == hers["id"]
    assert sorted(skus(final)) == sorted(v["sku"] for v in stocked[:4])


def test_concurrent_first_uses_make_one_default_list(gql):
    alice = customer()
    with ThreadPoolExecutor(6) as pool:
        seen = list(pool.map(lambda _: gql(ME, headers=alice)["data"]["me"]["lists"], range(6)))
    assert len({lists[0]["id"] for lists in seen}) == 1
    assert len(gql(ME, headers=alice)["data"]["me"]["lists"]) == 1


def test_one_customer_cannot_reach_anothers_list(gql, stocked):  # noqa: F811
    # given Alice's list with an item, and Bob with a cart of his own
    alice, bob = customer(), customer()
    hers = add(gql, default_list(gql, alice), [stocked[0]], alice)["list"]
    item = hers["items"][0]["id"]
    his_cart = new_cart(gql, [(stocked[1], 1)], bob)
    # when Bob (or a guest) names her list or item in every way there is
    for stranger in (bob, {}):
        attempts = {
            "listItemsAdd": gql(ADD, {"list": hers["id"], "items": items(stocked[2])}, stranger),
            "listItemsRemove": gql(REMOVE, {"list": hers["id"], "ids": [item]}, stranger),
            "listItemsMoveToCart": gql(MOVE_TO_CART, {"list": hers["id"], "ids": [item], "cart": his_cart["id"]},
                                       stranger),
            "cartLinesSaveForLater": gql(SAVE_FOR_LATER, {"cart": his_cart["id"],
                                                          "lines": [his_cart["lines"][0]["id"]],
                                                          "list": hers["id"]}, stranger),
            "listBuyerIdentityUpdate": gql(SIGN_IN, {"list": hers["id"]}, stranger),
        }
        # then each answers as if there were no such list
        for name, answer in attempts.items():
            result = payload(answer, name)
            assert result["list"] is None and codes(result) in (["LIST_NOT_FOUND"], ["CART_NOT_FOUND"],
                                                                ["CUSTOMER_REQUIRED"]), (name, result)
        assert gql(NODE, {"id": hers["id"]}, stranger)["data"]["node"] is None
        assert gql(NODE, {"id": item}, stranger)["data"]["node"] is None
    # and her list is as it was, Bob's cart line still his
    assert default_list(gql, alice) == hers
    assert "lines" in his_cart and len(his_cart["lines"]) == 1


def test_a_merged_guest_list_is_closed_to_its_guest_and_to_other_customers(gql, stocked):  # noqa: F811
    guest = payload(gql(CREATE_LIST, {"name": "Ideas"}), "listCreate")["list"]
    add(gql, guest, [stocked[0]])
    alice = customer()
    merged = payload(gql(SIGN_IN, {"list": guest["id"]}, alice), "listBuyerIdentityUpdate")
    assert codes(merged) == []
    # the guest who still has the id, and another customer signing in with it, find nothing
    for stranger in ({}, customer()):
        assert codes(add(gql, guest, [stocked[1]], stranger)) == ["LIST_NOT_FOUND"]
        signed = payload(gql(SIGN_IN, {"list": guest["id"]}, stranger), "listBuyerIdentityUpdate")
        assert codes(signed) in (["LIST_NOT_FOUND"], ["CUSTOMER_REQUIRED"]) and signed["list"] is None
    assert skus(default_list(gql, alice)) == [stocked[0]["sku"]]


MUTATIONS = {
    "listCreate": (CREATE_LIST, {"name": "x"}),
    "listItemsAdd": (ADD, {"list": "U2F2ZWRMaXN0L3g", "items": []}),
    "listItemsRemove": (REMOVE, {"list": "U2F2ZWRMaXN0L3g", "ids": []}),
    "listBuyerIdentityUpdate": (SIGN_IN, {"list": "U2F2ZWRMaXN0L3g"}),
    "listItemsMoveToCart": (MOVE_TO_CART, {"list": "U2F2ZWRMaXN0L3g", "ids": [], "cart": "Q2FydC94"}),
    "cartLinesSaveForLater": (SAVE_FOR_LATER, {"cart": "Q2FydC94", "lines": []}),
}


def test_a_marketplace_key_never_sees_or_changes_lists(gql, client_with_key, stocked):  # noqa: F811
    alice = customer()
    hers = add(gql, default_list(gql, alice), [stocked[0]], alice)["list"]
    market = client_with_key("marketplace")
    # reading: `me` is beyond its scopes, and so is her list by id
    answer = market(ME, headers=alice)
    assert (answer.get("data") or {}).get("me") is None
    assert any(e.get("extensions", {}).get("code") == "FORBIDDEN" for e in answer["errors"]), answer
    node = market(NODE, {"id": hers["id"]}, alice)
    assert (node.get("data") or {}).get("node") is None and "errors" in node
    # changing: every list mutation is refused for its scope
    for name, (document, variables) in MUTATIONS.items():
        refused = market(document, {**variables, "key": str(uuid.uuid4())} if "$key" in document else variables,
                         alice)
        assert refused.get("data") is None or refused["data"].get(name) is None, (name, refused)
        assert any(e.get("extensions", {}).get("code") == "FORBIDDEN" for e in refused["errors"]), (name, refused)
    assert default_list(gql, alice) == hers


@pytest.fixture(scope="module")
def sharing(simulators, mongo_url, api_key):
    """A client of a gateway that shares answers between requests (the answer cache on)."""
    from tests.conftest import GraphQLClient, served_gateway

    with served_gateway(simulators, mongo_url, CGW_CACHE__ANSWER_CACHE_BYTES=str(8 * 1024 * 1024)) as url:
        client = GraphQLClient(url, api_key)
        yield client
        client.http.close()


def test_a_customers_list_is_never_a_shared_answer(sharing, stocked):  # noqa: F811
    # given Alice reading her list by id (an answer the gateway could keep for the same document and variables)
    alice = customer()
    hers = add(sharing, default_list(sharing, alice), [stocked[0]], alice)["list"]
    assert sharing(NODE, {"id": hers["id"]}, alice)["data"]["node"]["id"] == hers["id"]
    # when Bob, and a guest, send the very same request
    for stranger in (customer(), {}):
        # then they are not answered from hers
        assert sharing(NODE, {"id": hers["id"]}, stranger)["data"]["node"] is None
