"""Store IDs are the pickup stores `stores` lists. A client that makes Store IDs of its own must not
reach the other warehouses (a distribution centre) through `node(id:)`, nor have an unknown store
read as one holding nothing."""

from __future__ import annotations

import pytest

from resolvers import global_ids

NODE = "query($id: ID!) { node(id: $id) { id ... on Store { name } } }"
IN_STORE = """query($store: ID!) @inContext(store: $store) {
  products(first: 1) { edges { node { variants { sku quantityAvailable } } } } }"""


def store_id(code: str) -> str:
    """A Store ID made the way the API makes them, as a client could."""
    return global_ids.encode("Store", code)


def test_node_does_not_return_a_warehouse_that_is_no_store(gql):
    # given a pickup store, and a distribution centre of the ERP that is none
    listed = [s["id"] for s in gql("{ stores(first: 10) { id } }")["data"]["stores"]]
    assert store_id("BER") in listed and store_id("DC1") not in listed
    # when a client asks for the distribution centre by an ID it made
    answer = gql(NODE, {"id": store_id("DC1")})
    # then there is no such node; the store is there
    assert answer == {"data": {"node": None}}
    assert gql(NODE, {"id": store_id("BER")})["data"]["node"]["name"]


@pytest.mark.parametrize("code", ["NOPE", "DC1"])
def test_an_unknown_store_in_context_is_bad_user_input(gql, code):
    # when an operation asks for stock in a store that is not one
    answer = gql(IN_STORE, {"store": store_id(code)})
    # then it is refused, rather than answered with no stock
    assert answer["data"] is None
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "pickup store" in error["message"], error


def test_a_store_in_context_still_counts_its_stock(gql):
    answer = gql(IN_STORE, {"store": store_id("BER")})
    assert "errors" not in answer and answer["data"]["products"]["edges"]
