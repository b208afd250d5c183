"""A backend's circuit breaker as operators see it: `/readyz` names the backends whose breaker is
open, `/metrics` shows each breaker's state and the retries made, and queries meanwhile answer the
backend's fields as unavailable without calling it. The gateway's clock is moved, never waited for."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.clock import MovingClock
from tests.conftest import GraphQLClient, scrape, served_gateway

COOLDOWN = 30
MARKETPLACE_PRICE = '''query @inContext(channel: MARKETPLACE) {
  product(sku: "CG-000001") { variants { price { amount } } }
}'''


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture
def gateway(simulators, mongo_url, clock) -> Iterator[str]:
    """A gateway whose marketplace breaker opens after two failures, reads retried once, and /readyz
    checked on every hit."""
    with served_gateway(simulators, mongo_url, clock, CGW_BACKENDS__EBAY__BREAKER_FAILURES="2",
                        CGW_BACKENDS__EBAY__BREAKER_COOLDOWN_SECONDS=str(COOLDOWN), CGW_BACKENDS__EBAY__RETRIES="1",
                        CGW_SERVER__READINESS_CACHE_SECONDS="0") as url:
        yield url


@pytest.fixture
def gql(gateway, api_key) -> Iterator[GraphQLClient]:
    client = GraphQLClient(gateway, api_key)
    yield client
    client.http.close()


def breaker_state(metrics: dict, backend: str) -> str:
    states = metrics["gateway_backend_breaker_state"]
    return next(dict(labels)["state"] for labels, value in states.items()
                if dict(labels)["backend"] == backend and value == 1)


def test_an_open_breaker_shows_in_readyz_and_metrics_and_fails_fast_until_a_probe_closes_it(
        gateway, gql, simulators, clock):
    ebay = simulators["ebay"]
    assert breaker_state(scrape(gateway), "ebay") == "closed"
    # given the marketplace down: the readiness check's call and its retry fail
    ebay.faults(down=True)
    ebay.reset_stats()
    down = httpx.get(f"{gateway}/readyz")
    # then the breaker is open, and /readyz names it, and nothing else
    assert down.status_code == 503
    assert down.json() == {"status": "unavailable", "down": ["ebay"], "breakers_open": ["ebay"]}
    assert sum(ebay.stats().values()) == 2
    metrics = scrape(gateway)
    assert breaker_state(metrics, "ebay") == "open"
    assert metrics["gateway_backend_retries_total"][(("backend", "ebay"), ("reason", "http_503"))] == 1

    # given the marketplace well again, within the cool-down
    ebay.heal()
    ebay.reset_stats()
    # when its prices are asked for
    answer = gql(MARKETPLACE_PRICE)
    # then they fail fast, as unavailable, and the marketplace was not called
    assert {(e["extensions"]["code"], e["extensions"]["backend"]) for e in answer["errors"]} == {
        ("BACKEND_UNAVAILABLE", "ebay")}
    assert httpx.get(f"{gateway}/readyz").json()["breakers_open"] == ["ebay"]
    assert ebay.stats() == {}
    assert scrape(gateway)["gateway_backend_breaker_rejections_total"][(("backend", "ebay"),)] >= 2

    # when the cool-down is over, the next check is the probe, and its answer closes the breaker
    clock.advance(COOLDOWN)
    ready = httpx.get(f"{gateway}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "down": [], "breakers_open": []}
    assert breaker_state(scrape(gateway), "ebay") == "closed"
    assert "errors" not in gql(MARKETPLACE_PRICE)
