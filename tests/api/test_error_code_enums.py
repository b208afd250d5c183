"""User error and warning codes are enums per slice: a client finds every code, with what it means,
by introspection, and answers carry the code as the enum value's name."""

from __future__ import annotations

import pytest

from domain.error_codes import (
    CartErrorCode,
    CartWarningCode,
    CheckoutErrorCode,
    CustomerErrorCode,
    KeyErrorCode,
    ListErrorCode,
    ListWarningCode,
)

CODE_TYPE = """query($type: String!) { __type(name: $type) { kind interfaces { name }
  fields { name type { kind ofType { kind name } } } } }"""
ENUM = """query($name: String!) { __type(name: $name) { kind description enumValues { name description } } }"""
PAYLOAD_ERRORS = """query($type: String!) { __type(name: $type) { fields { name
  type { ofType { ofType { ofType { name } } } } } } }"""
ADD_TO_NO_CART = """mutation { cartLinesAdd(cartId: "Q2FydC9uby1zdWNoLWNhcnQ", lines: []) {
  userErrors { __typename code field message ... on UserError { message } } } }"""

SLICES = [
    ("CartUserError", "CartErrorCode", CartErrorCode),
    ("CheckoutUserError", "CheckoutErrorCode", CheckoutErrorCode),
    ("KeyUserError", "KeyErrorCode", KeyErrorCode),
    ("CustomerUserError", "CustomerErrorCode", CustomerErrorCode),
    ("CartWarning", "CartWarningCode", CartWarningCode),
    ("ListUserError", "ListErrorCode", ListErrorCode),
    ("ListWarning", "ListWarningCode", ListWarningCode),
]


@pytest.mark.parametrize(("type_name", "enum_name", "codes"), SLICES)
def test_the_code_field_is_a_non_null_enum_of_the_slice(gql, type_name, enum_name, codes):
    # when a client introspects the type's `code` field
    answer = gql(CODE_TYPE, {"type": type_name})
    fields = {f["name"]: f["type"] for f in answer["data"]["__type"]["fields"]}
    # then it is the slice's enum, not a String
    assert fields["code"] == {"kind": "NON_NULL", "ofType": {"kind": "ENUM", "name": enum_name}}
    if type_name.endswith("UserError"):
        assert answer["data"]["__type"]["interfaces"] == [{"name": "UserError"}]


@pytest.mark.parametrize(("type_name", "enum_name", "codes"), SLICES)
def test_the_enum_lists_every_code_with_what_it_means(gql, type_name, enum_name, codes):
    # when a client introspects the enum
    enum = gql(ENUM, {"name": enum_name})["data"]["__type"]
    # then it lists the domain's codes, in order, each described
    assert enum["kind"] == "ENUM" and enum["description"]
    assert [v["name"] for v in enum["enumValues"]] == [c.name for c in codes]
    assert all(v["description"] for v in enum["enumValues"])


def test_the_expected_codes_are_listed(gql):
    # the codes clients already handle, by slice
    def names(enum: str) -> set[str]:
        return {v["name"] for v in gql(ENUM, {"name": enum})["data"]["__type"]["enumValues"]}

    assert {"CART_NOT_FOUND", "CART_CLOSED", "VERSION_CONFLICT", "LINE_NOT_FOUND", "UNKNOWN_MERCHANDISE",
            "INVALID_QUANTITY", "TOO_MANY_LINES", "INSUFFICIENT_STOCK", "INVALID_NOTE", "DISCOUNT_CODE_INVALID",
            "CUSTOMER_REQUIRED", "IDEMPOTENCY_KEY_INVALID", "IDEMPOTENCY_KEY_REUSED",
            "IDEMPOTENCY_KEY_IN_USE"} <= names("CartErrorCode")
    assert {"CHECKOUT_IN_PROGRESS", "CART_EMPTY", "INVALID_EMAIL", "INVALID_ADDRESS", "DELIVERY_REQUIRED",
            "PICKUP_STORE_UNKNOWN", "PAYMENT_REFERENCE_REQUIRED", "CART_NOT_FOUND",
            "IDEMPOTENCY_KEY_REUSED"} <= names("CheckoutErrorCode")
    assert {"INVALID_INPUT", "KEY_NOT_FOUND"} <= names("KeyErrorCode")
    assert {"LIST_NOT_FOUND", "LIST_CLOSED", "VERSION_CONFLICT", "ITEM_NOT_FOUND", "TOO_MANY_ITEMS", "TOO_MANY_LISTS",
            "INVALID_NAME", "NAME_TAKEN", "LINE_NOT_FOUND", "INSUFFICIENT_STOCK",
            "IDEMPOTENCY_KEY_REUSED"} <= names("ListErrorCode")
    assert {"ALREADY_SAVED", "LIST_FULL"} <= names("ListWarningCode")
    assert {"PRICE_CHANGED", "ITEM_UNAVAILABLE", "INSUFFICIENT_STOCK", "DISCOUNT_CODE_NOT_APPLICABLE",
            "PRICES_UNCONFIRMED", "QUANTITY_CAPPED", "TOO_MANY_LINES"} <= names("CartWarningCode")


@pytest.mark.parametrize(("payload", "error_type"), [
    ("CartPayload", "CartUserError"), ("CheckoutPayload", "CheckoutUserError"),
    ("ApiKeyPayload", "KeyUserError"), ("ApiKeySecretPayload", "KeyUserError"), ("ListPayload", "ListUserError")])
def test_each_payload_answers_its_slices_errors(gql, payload, error_type):
    fields = {f["name"]: f["type"] for f in gql(PAYLOAD_ERRORS, {"type": payload})["data"]["__type"]["fields"]}
    assert fields["userErrors"] == {"ofType": {"ofType": {"ofType": {"name": error_type}}}}  # [X!]!


def test_an_answer_carries_the_code_as_its_name(gql):
    # when a cart mutation fails as expected
    answer = gql(ADD_TO_NO_CART)
    # then the code reads as before the enums: the same string
    assert "errors" not in answer, answer
    assert answer["data"]["cartLinesAdd"]["userErrors"] == [{"__typename": "CartUserError", "code": "CART_NOT_FOUND",
                                                             "field": ["cartId"], "message": "no cart with this id"}]
