"""`node`/`nodes` refetch carts and the signed-in customer too, each under its own scope and
access rule, so a normalized client cache can refresh any object it holds by ID."""

from __future__ import annotations

import time

import jwt

from gateway.settings import AuthSettings
from tests.api.test_carts import create, in_stock, variants  # noqa: F401 (fixture)

NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Cart { version totalQuantity lines { quantity merchandise { sku } } }
  ... on Customer { cart { id } } } }"""
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
CART = "query($id: ID!) { cart(id: $id) { id version totalQuantity lines { quantity merchandise { sku } } } }"
SIGN_IN = """mutation($cart: ID!) { cartBuyerIdentityUpdate(cartId: $cart) { cart { id buyerIdentity { customerId } }
  userErrors { code } } }"""


def bearer(customer: str) -> dict[str, str]:
    token = jwt.encode({"sub": customer, "exp": int(time.time()) + 600}, AuthSettings().jwt_secret, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


def test_a_cart_is_refetched_by_node_as_cart_reads_it(gql, variants):  # noqa: F811
    cart = create(gql, [{"merchandiseId": in_stock(variants, 5)[0]["id"], "quantity": 2}])
    node = gql(NODE, {"id": cart["id"]})["data"]["node"]
    read = gql(CART, {"id": cart["id"]})["data"]["cart"]
    assert node.pop("__typename") == "Cart" and node == read


def test_a_customer_and_their_cart_only_with_their_token(gql, variants):  # noqa: F811
    alice = bearer(f"alice-{time.time_ns()}")
    cart = create(gql, [{"merchandiseId": in_stock(variants, 5)[0]["id"]}])
    signed = gql(SIGN_IN, {"cart": cart["id"]}, headers=alice)["data"]["cartBuyerIdentityUpdate"]["cart"]
    customer_id = signed["buyerIdentity"]["customerId"]
    me = gql(NODE, {"id": customer_id}, headers=alice)["data"]["node"]
    assert me == {"__typename": "Customer", "id": customer_id, "cart": {"id": cart["id"]}}
    # someone else's token, or none: nothing, as for an ID that does not exist
    assert gql(NODE, {"id": customer_id}, headers=bearer("mallory"))["data"]["node"] is None
    assert gql(NODE, {"id": cart["id"]})["data"]["node"] is None


def test_nodes_mixes_kinds_in_order(gql, variants):  # noqa: F811
    variant = in_stock(variants, 1)[0]
    cart = create(gql, [{"merchandiseId": variant["id"]}])
    line_id = cart["lines"][0]["id"]  # a line that exists: still refetched through its cart, not by node
    found = gql(NODES, {"ids": [variant["id"], cart["id"], line_id]})["data"]["nodes"]
    assert found == [{"__typename": "Variant", "id": variant["id"]}, {"__typename": "Cart", "id": cart["id"]}, None]


def test_a_marketplace_key_cannot_refetch_a_cart(gql, client_with_key, variants):  # noqa: F811
    cart = create(gql, [])
    answer = client_with_key("marketplace")(NODE, {"id": cart["id"]})
    assert answer["data"]["node"] is None
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN" and error["path"] == ["node"]
