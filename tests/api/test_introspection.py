"""Introspection is off for marketplace keys, and for every key in production mode (with no GraphiQL)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import UNLIMITED, GraphQLClient, issue_key, served_gateway

SCHEMA = "{ __schema { queryType { name } } }"
TYPE = '{ __type(name: "Product") { name } }'


def forbidden(answer: dict) -> None:
    assert answer["data"] is None
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN" and "Introspection is off" in error["message"]


@pytest.mark.parametrize("query", [SCHEMA, TYPE])
def test_marketplace_keys_cannot_introspect(client_with_key, query):
    forbidden(client_with_key("marketplace")(query))
    assert "errors" not in client_with_key("frontend")(query)


def test_typename_is_not_introspection(client_with_key):
    assert client_with_key("marketplace")("{ __typename }")["data"] == {"__typename": "Query"}


def test_production_mode_turns_introspection_and_graphiql_off(simulators, mongo_url):
    key = issue_key(mongo_url, "admin", **UNLIMITED)
    with served_gateway(simulators, mongo_url, CGW_SERVER__PRODUCTION="true",
                        CGW_AUTH__JWT_SECRET="a-secret-of-this-installation-0123456789") as url:
        client = GraphQLClient(url, key)
        try:
            forbidden(client(SCHEMA))
            assert client('{ product(sku: "CG-000001") { sku } }')["data"]["product"]["sku"] == "CG-000001"
        finally:
            client.http.close()
        ide = httpx.get(f"{url}/graphql", headers={"Accept": "text/html"})
        assert "graphiql" not in ide.text.lower()
