"""Bad input gets a GraphQL error with BAD_USER_INPUT and a message saying what is allowed."""

from __future__ import annotations

import pytest

LISTING = "query($first: Int!, $after: String) { products(first: $first, after: $after) { edges { cursor } } }"


def only_error(answer: dict) -> dict:
    assert len(answer["errors"]) == 1, answer
    return answer["errors"][0]


@pytest.mark.parametrize("first", [0, -1, 101, 10_000])
def test_first_out_of_range(gql, first):
    error = only_error(gql(LISTING, {"first": first}))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "between 1 and 100" in error["message"]
    assert error["path"] == ["products"]


def test_first_at_the_limit(gql):
    answer = gql(LISTING, {"first": 100})
    assert "errors" not in answer and len(answer["data"]["products"]["edges"]) == 100


@pytest.mark.parametrize("cursor", ["nonsense", "Y2d3MTotNQ", "", "%%%", "eyJvZmZzZXQiOjF9"])
def test_malformed_cursor(gql, cursor):
    answer = gql(LISTING, {"first": 5, "after": cursor})
    if cursor == "":
        assert "errors" not in answer  # an empty cursor means from the start
        return
    error = only_error(answer)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "cursor" in error["message"]


def test_unknown_channel_in_the_header(gql):
    error = only_error(gql("{ channels { code } }", headers={"X-Channel": "TELEPATHY"}))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "allowed: WEB, APP, STORE, CALL_CENTER, MARKETPLACE" in error["message"]


def test_unknown_channel_in_the_directive(gql):
    error = only_error(gql("query @inContext(channel: TELEPATHY) { channels { code } }"))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "ChannelCode" in error["message"]


def test_unknown_channel_in_a_variable(gql):
    error = only_error(gql("query($c: ChannelCode) @inContext(channel: $c) { channels { code } }", {"c": "NOPE"}))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_currency_the_channel_does_not_price_in(gql):
    error = only_error(gql("query @inContext(currency: USD) { channels { code } }"))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "EUR" in error["message"] and "USD" in error["message"]


@pytest.mark.parametrize("query", [
    '{ product { sku } }',
    '{ product(sku: "A", gtin: "1") { sku } }',
    '{ product(id: "not-an-id") { sku } }',
    '{ node(id: "!!!") { id } }',
    '{ stores(first: 0) { name } }',
    '{ stores(first: 1, near: {latitude: 91, longitude: 0}) { name } }',
    '{ products(first: 5, filter: {price: {min: "10", max: "5"}}) { edges { cursor } } }',
])
def test_other_bad_arguments(gql, query):
    error = only_error(gql(query))
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error


def test_a_product_id_of_another_kind(gql):
    store_id = gql("{ stores(first: 1) { id } }")["data"]["stores"][0]["id"]
    error = only_error(gql("query($i: ID!) { product(id: $i) { sku } }", {"i": store_id}))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Store" in error["message"]


def test_a_document_that_does_not_validate(gql):
    error = only_error(gql("{ products(first: 1) { nope } }"))
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_errors_never_carry_a_stack_trace(gql):
    answer = gql('{ product(sku: "x") }')
    for error in answer.get("errors", []):
        assert "Traceback" not in str(error)
        assert set(error) <= {"message", "locations", "path", "extensions"}
