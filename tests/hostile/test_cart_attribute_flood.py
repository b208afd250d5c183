"""Attack: cart attributes are client text stored with the cart, unbounded in count and length: one
cartCreate or cartAttributesUpdate could store thousands of attributes or values of 100 KB, in every
cart it makes. Now a cart (and each line) has at most 32 attributes, keys of at most 64 characters
and values of at most 500; past that the mutation changes nothing and answers a user error."""

from __future__ import annotations

CREATE = """mutation($input: CartInput!) { cartCreate(input: $input) {
  cart { id attributes { key value } } userErrors { code field message } } }"""
ATTRIBUTES = """mutation($cart: ID!, $attributes: [AttributeInput!]!) {
  cartAttributesUpdate(cartId: $cart, attributes: $attributes) {
    cart { id attributes { key value } } userErrors { code field message } } }"""


def attributes(count: int, value: str = "v") -> list[dict]:
    return [{"key": f"k{n}", "value": value} for n in range(count)]


def test_a_cart_with_thousands_of_attributes_is_not_made(gql):
    # when
    answer = gql(CREATE, {"input": {"attributes": attributes(2_000)}})["data"]["cartCreate"]
    # then
    assert answer["cart"] is None
    assert [(e["code"], e["field"]) for e in answer["userErrors"]] == [("TOO_MANY_ATTRIBUTES", ["input", "attributes"])]


def test_long_or_many_attributes_change_nothing_and_at_the_limit_they_are_kept(gql):
    # given
    cart = gql(CREATE, {"input": {"attributes": attributes(32, "x" * 500)}})["data"]["cartCreate"]
    assert cart["userErrors"] == [] and len(cart["cart"]["attributes"]) == 32
    cart_id = cart["cart"]["id"]
    # when: a value of 90 KB, a long key, then 33 attributes
    long_value = gql(ATTRIBUTES, {"cart": cart_id, "attributes": [{"key": "gift", "value": "x" * 90_000}]})
    long_key = gql(ATTRIBUTES, {"cart": cart_id, "attributes": [{"key": "k" * 65, "value": "v"}]})
    too_many = gql(ATTRIBUTES, {"cart": cart_id, "attributes": attributes(33)})
    # then
    assert [(e["code"], e["field"]) for e in long_value["data"]["cartAttributesUpdate"]["userErrors"]] == [
        ("ATTRIBUTE_TOO_LONG", ["attributes", "0"])]
    assert long_key["data"]["cartAttributesUpdate"]["userErrors"][0]["code"] == "ATTRIBUTE_TOO_LONG"
    assert too_many["data"]["cartAttributesUpdate"]["userErrors"][0]["code"] == "TOO_MANY_ATTRIBUTES"
    for refused in (long_value, long_key, too_many):  # the payload shows the cart as it stays
        assert (refused["data"]["cartAttributesUpdate"]["cart"] or {"attributes": attributes(32, "x" * 500)})[
            "attributes"] == attributes(32, "x" * 500)
    read = gql("query($id: ID!) { cart(id: $id) { attributes { key value } } }", {"id": cart_id})
    assert read["data"]["cart"]["attributes"] == attributes(32, "x" * 500)
