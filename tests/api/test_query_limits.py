"""Query protection: every limit just under and just over, refused before anything runs."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import GraphQLClient, served_gateway

LIMITS = {"CGW_LIMITS__MAX_DEPTH": "5", "CGW_LIMITS__MAX_ALIASES": "3", "CGW_LIMITS__MAX_TOKENS": "60",
          "CGW_LIMITS__MAX_DIRECTIVES": "2", "CGW_LIMITS__MAX_BODY_BYTES": "2000", "CGW_LIMITS__MAX_COST": "300"}


@pytest.fixture(scope="module")
def strict(simulators, mongo_url, api_key) -> Iterator[tuple[str, GraphQLClient]]:
    with served_gateway(simulators, mongo_url, **LIMITS) as url:
        client = GraphQLClient(url, api_key)
        yield url, client
        client.http.close()


def refused(answer: dict, says: str) -> None:
    assert answer.get("data") is None, answer
    (error,) = answer["errors"]
    assert says in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_depth(strict):
    _, gql = strict
    # the root field is at depth 0, so `amount` here is at 5 and `sku` below at 6
    at_limit = '{ product(sku: "CG-000001") { variants { product { variants { price { amount } } } } } }'
    assert "errors" not in gql(at_limit)
    refused(gql('{ product(sku: "CG-000001") { variants { product { variants { product { variants { sku } } } } } } }'),
            "exceeds maximum operation depth of 5")


def test_aliases(strict):
    _, gql = strict
    assert "errors" not in gql("{ a: channels { code } b: channels { code } c: channels { code } }")
    refused(gql("{ a: channels { code } b: channels { code } c: channels { code } d: channels { code } }"),
            "4 aliases found. Allowed: 3")


def test_tokens(strict):
    _, gql = strict
    def fields(n: int) -> str:  # n + 5 tokens
        return "{ channels { " + " ".join(["code"] * n) + " } }"

    assert "errors" not in gql(fields(52))
    refused(gql(fields(58)), "more than 60 tokens")


def test_directives(strict):
    _, gql = strict
    assert "errors" not in gql("{ channels { code @include(if: true) name @skip(if: false) } }")
    refused(gql("{ channels { code @include(if: true) name @skip(if: false) currencyCode @include(if: true) } }"),
            "more than 2 directives")


def test_cost(strict, simulators):
    _, gql = strict
    def three_pages(last: int) -> str:  # 3 × (1 + n)
        return f"{{ a: products(first: 99) {{ nodes {{ sku }} }} b: products(first: 99) {{ nodes {{ sku }} }} " \
               f"c: products(first: {last}) {{ nodes {{ sku }} }} }}"

    assert "errors" not in gql(three_pages(99))
    for sim in simulators.values():
        sim.reset_stats()
    answer = gql(three_pages(100))
    assert answer["data"] is None
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "COST_LIMIT_EXCEEDED" and "cost is 301 points" in error["message"]
    assert all(not sim.stats() for sim in simulators.values())  # refused before any backend call


def test_body_size_by_declared_length_and_by_stream(strict):
    url, gql = strict
    assert gql("{ channels { code } }" + " " * 1500)["data"] is not None
    declared = httpx.post(f"{url}/graphql", content=b'{"query": "{ channels { code } }"}' + b" " * 2500,
                          headers={"content-type": "application/json"})
    assert declared.status_code == 413
    assert declared.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

    def chunks():
        yield b'{"query": "{ channels { code } }"'
        for _ in range(30):
            yield b" " * 100
        yield b"}"

    streamed = httpx.post(f"{url}/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


def test_no_field_suggestions(gql):
    answer = gql("{ channel { code } }")
    assert "Did you mean" not in answer["errors"][0]["message"]


def test_the_default_limits_let_graphiql_introspect(gql):
    from graphql import get_introspection_query

    answer = gql(get_introspection_query(descriptions=True, input_value_deprecation=True))
    assert "errors" not in answer and answer["data"]["__schema"]["queryType"]["name"] == "Query"
