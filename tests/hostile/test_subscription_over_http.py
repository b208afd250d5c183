"""A subscription sent over HTTP (by a client that does not know better, or to get past the WebSocket
limits) is a bad request that names where subscriptions are served, never an internal error, and
never runs: its stream would have no connection to admit, limit or ping."""

from __future__ import annotations

import httpx
import pytest

SUBSCRIPTION = 'subscription { stockChanged(skus: ["CG-000001-S"]) { sku quantity } }'
SAYS = "Subscriptions are served over WebSocket only"


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json",
                                    "application/json, multipart/mixed", 'multipart/mixed;subscriptionSpec="1.0"'])
def test_a_subscription_posted_over_http_is_a_bad_request(gateway, api_key, accept):
    answer = httpx.post(f"{gateway}/graphql", json={"query": SUBSCRIPTION},
                        headers={"X-API-Key": api_key, "Accept": accept})
    assert answer.status_code == 400
    assert answer.json() == {"errors": [{"message": answer.json()["errors"][0]["message"],
                                         "extensions": {"code": "BAD_REQUEST"}}]}
    assert answer.json()["errors"][0]["message"].startswith(SAYS)


def test_a_subscription_over_get_is_a_bad_request_too(gateway, api_key):
    answer = httpx.get(f"{gateway}/graphql", params={"query": SUBSCRIPTION}, headers={"X-API-Key": api_key})
    assert answer.status_code == 400 and answer.json()["errors"][0]["message"].startswith(SAYS)


def test_a_mutation_over_get_is_still_405(gateway, api_key):
    answer = httpx.get(f"{gateway}/graphql", params={"query": "mutation { cartCreate(input: {}) { cart { id } } }"},
                       headers={"X-API-Key": api_key})
    assert answer.status_code == 405 and answer.headers["Allow"] == "POST"
