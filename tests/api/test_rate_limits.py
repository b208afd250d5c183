"""Per-key budgets over HTTP: requests and cost points per minute, 429 with Retry-After and the
RateLimit headers, and `extensions.cost` on every answer."""

from __future__ import annotations

import time

import pytest

LISTING_20 = "{ products(first: 20) { edges { node { sku title } } } }"  # costs 1 + 20 × 2 = 41


def refused_for_budget(response) -> dict:
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) >= 1
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    return error


def test_every_answer_carries_its_cost_and_the_budget_left(client_with_key):
    client = client_with_key("frontend", cost_per_minute=1_000)
    response = client.post(LISTING_20)
    assert response.status_code == 200
    assert response.json()["extensions"]["cost"] == {
        "requested": 41, "actual": 41, "maximum": 10_000, "budget": {"remaining": 959, "perMinute": 1_000}}
    assert response.headers["ratelimit-policy"] == '"requests";q=6000;w=60, "cost";q=1000;w=60'
    requests, cost = response.headers["ratelimit"].split(", ")
    assert requests.startswith('"requests";r=5999;t=') and cost.startswith('"cost";r=959;t=')


def test_an_operation_cheaper_than_estimated_is_charged_what_it_cost(client_with_key):
    client = client_with_key("frontend", cost_per_minute=1_000)
    # 10 variants are assumed per product; CG-000001 has fewer
    started = time.monotonic()
    figures = client.post('{ product(sku: "CG-000001") { variants { sku } } }').json()["extensions"]["cost"]
    refilled = (time.monotonic() - started) * 1_000 / 60  # the bucket refills while the request runs
    assert figures["requested"] == 11 and figures["actual"] < 11
    assert 1_000 - figures["actual"] <= figures["budget"]["remaining"] <= 1_000 - figures["actual"] + refilled


def test_the_request_budget(client_with_key):
    client = client_with_key("mobile", requests_per_minute=3)
    for _ in range(3):
        assert client.post("{ channels { code } }").status_code == 200
    response = client.post("{ channels { code } }")
    error = refused_for_budget(response)
    assert "3 requests per minute" in error["message"]
    assert response.headers["ratelimit"].startswith('"requests";r=0;')
    assert 1 <= int(response.headers["retry-after"]) <= 20


def test_the_cost_budget(client_with_key, simulators):
    client = client_with_key("frontend", cost_per_minute=50)
    assert client.post(LISTING_20).status_code == 200
    for sim in simulators.values():
        sim.reset_stats()
    error = refused_for_budget(client.post(LISTING_20))
    assert "cost budget is spent" in error["message"] and "needs 41" in error["message"]
    assert all(not sim.stats() for sim in simulators.values())  # refused before any backend call
    assert client.post('{ product(sku: "CG-000001") { sku } }').status_code == 200  # 1 point still fits


@pytest.mark.parametrize("kind", ["frontend", "marketplace"])
def test_an_operation_above_the_whole_budget_can_never_run(client_with_key, kind):
    client = client_with_key(kind, cost_per_minute=40)
    response = client.post(LISTING_20)
    assert response.status_code == 200  # a request error in application/json, not a budget to wait for
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "COST_LIMIT_EXCEEDED" and "can never run" in error["message"]
