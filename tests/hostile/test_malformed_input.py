"""Malformed input that once reached the code unchecked and was answered INTERNAL with a stack trace
in the log: each is the caller's mistake, answered BAD_USER_INPUT (GRAPHQL_VALIDATION_FAILED for a
document that does not validate; HTTP 400 for a JSON body with a number Python's int() refuses,
once a 500), and nothing is logged as an error."""

from __future__ import annotations

import logging

import pytest

HUGE = "9" * 4_400  # past Python's 4,300 digits for int()

CASES = [
    # a currency code that is not three letters, as a literal of the operation's directive
    ('query @inContext(currency: "EURO") { channels { code } }', None, "BAD_USER_INPUT", "currency"),
    # the same through a variable
    ("query($c: CurrencyCode) @inContext(currency: $c) { channels { code } }", {"c": "EURO"},
     "BAD_USER_INPUT", "currency"),
    # an Int literal too long for int(): as a page size, and where an Int is not expected at all
    (f"{{ products(first: {HUGE}) {{ nodes {{ sku }} }} }}", None, "BAD_USER_INPUT", "Int"),
    (f"{{ products(first: -{HUGE}) {{ nodes {{ sku }} }} }}", None, "BAD_USER_INPUT", "Int"),
    (f"query @inContext(maxStockAge: {HUGE}) {{ channels {{ code }} }}", None, "BAD_USER_INPUT", "Int"),
    # a spread of a fragment the document does not define
    ("{ ...Missing }", None, "GRAPHQL_VALIDATION_FAILED", "Unknown fragment 'Missing'"),
    ("{ channels { ...Missing } }", None, "GRAPHQL_VALIDATION_FAILED", "Unknown fragment 'Missing'"),
]


@pytest.mark.parametrize(("document", "variables", "code", "says"), CASES)
def test_malformed_input_is_the_callers_error(gql, caplog, document, variables, code, says):
    # when
    with caplog.at_level(logging.ERROR):
        answer = gql(document, variables)
    # then
    assert answer.get("data") is None, answer
    assert answer["errors"], answer
    for error in answer["errors"]:
        assert error["extensions"]["code"] == code, answer
    assert any(says in error["message"] for error in answer["errors"]), answer
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@pytest.mark.parametrize("value", [HUGE, f"-{HUGE}", f"{HUGE}.5", "1e400"])
def test_a_number_too_long_for_python_in_the_variables_is_the_callers_error(gql, caplog, value):
    # given a JSON body whose variable is a number Python's int() (or float) refuses or overflows
    body = '{"query": "query($n: Int!) { products(first: $n) { nodes { sku } } }", "variables": {"n": ' + value + "}}"
    # when
    with caplog.at_level(logging.ERROR):
        response = gql.http.post("/graphql", content=body, headers={"content-type": "application/json"})
    # then
    assert response.status_code in (200, 400), response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] in ("BAD_USER_INPUT", "BAD_REQUEST"), error
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
