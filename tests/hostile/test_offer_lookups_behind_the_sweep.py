"""eBay offers are read one SKU a call, on a bounded number of slots. The marketplace sweep reads
every item's offer; requests asking for marketplace prices while it runs must not queue behind it,
and a request's lookups end by its deadline, the wait for a slot included."""

from __future__ import annotations

import time

import httpx

from tests.conftest import BACKEND_TIMEOUT, UNLIMITED, issue_key, served_gateway

LATENCY_MS = 200  # each eBay call: the sweep's ~200 offer lookups then take seconds
PRICES = """query @inContext(channel: MARKETPLACE) {
  products(first: 2) { edges { node { variants { sku price { amount } } } } } }"""
MARGIN = 0.4  # the gateway's own work on top of the backend's deadline, on a loaded machine


def offer_lookups(simulators) -> int:
    return simulators["ebay"].stats().get("GET /sell/inventory/v1/offer", 0)


def test_requests_for_offers_do_not_wait_behind_the_marketplace_sweep(simulators, mongo_url, api_key):
    # given a slow marketplace, and a gateway whose sweep starts at once (a database of its own for its lease)
    simulators["ebay"].faults(latency_ms=LATENCY_MS)
    simulators["ebay"].reset_stats()
    env = {"CGW_CATALOG__MARKETPLACE_SWEEP_SECONDS": "3600", "CGW_MONGO__DATABASE": "hostile_offer_slots"}
    key = issue_key(mongo_url, "frontend", database="hostile_offer_slots", **UNLIMITED)
    with served_gateway(simulators, mongo_url, **env) as url, \
            httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30) as client:
        deadline = time.monotonic() + 15
        while offer_lookups(simulators) < 8:  # the sweep is reading offers
            assert time.monotonic() < deadline, "the gateway did not sweep the marketplace"
            time.sleep(0.02)
        # when requests ask for marketplace prices while the sweep goes on
        took = []
        for _ in range(3):
            started = time.perf_counter()
            answer = client.post("/graphql", json={"query": PRICES}).json()
            took.append(time.perf_counter() - started)
            # then each answers within the backend's deadline, with the prices
            assert "errors" not in answer, answer
            assert all(v["price"] for e in answer["data"]["products"]["edges"] for v in e["node"]["variants"])
        sweep_calls = offer_lookups(simulators)
    assert max(took) < BACKEND_TIMEOUT + MARGIN, f"requests took {[round(t * 1000) for t in took]} ms"
    assert sweep_calls < 200, "the sweep had ended before the requests: nothing was proven"
