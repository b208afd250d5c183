"""A key without `stock:read` cannot read `quantityAvailable`; it must not learn the quantity by
asking a cart for more than there is and reading the refusal."""

from __future__ import annotations

from domain.api_keys import Scope

VARIANTS = "{ products(first: 10) { edges { node { variants { id sku quantityAvailable } } } } }"
CREATE = """mutation($input: CartInput!) { cartCreate(input: $input) {
  cart { id } userErrors { code field message } } }"""
ADD = """mutation($cart: ID!, $lines: [CartLineInput!]!) { cartLinesAdd(cartId: $cart, lines: $lines) {
  cart { totalQuantity warnings { code message } } userErrors { code field message } } }"""
WITHOUT_STOCK = (Scope.CATALOG_READ, Scope.CART_WRITE, Scope.CHECKOUT_WRITE)


def test_insufficient_stock_tells_no_quantity_to_a_key_without_stock_read(gql, client_with_key):
    # given a variant in stock (read with a key that may), and a key that may not read stock
    variants = [v for e in gql(VARIANTS)["data"]["products"]["edges"] for v in e["node"]["variants"]]
    variant = next(v for v in variants if v["quantityAvailable"] >= 2)
    probe = client_with_key("frontend", scopes=WITHOUT_STOCK)
    created = probe(CREATE, {"input": {"lines": [{"merchandiseId": variant["id"], "quantity": 1}]}})
    cart = created["data"]["cartCreate"]["cart"]
    # when that key asks for more than there is
    answer = probe(ADD, {"cart": cart["id"], "lines": [{"merchandiseId": variant["id"], "quantity": 998}]})
    # then it is refused without the quantity available
    (error,) = answer["data"]["cartLinesAdd"]["userErrors"]
    assert error["code"] == "INSUFFICIENT_STOCK"
    assert error["message"] == f"not enough of {variant['sku']} available, 999 asked", error
    # and the key that may read stock is told the figure, as before
    told = gql(ADD, {"cart": cart["id"], "lines": [{"merchandiseId": variant["id"], "quantity": 998}]})
    (figure,) = told["data"]["cartLinesAdd"]["userErrors"]
    assert f"only {variant['quantityAvailable']} of {variant['sku']}" in figure["message"]
