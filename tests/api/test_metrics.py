"""`GET /metrics`: what a scraper sees after real traffic. Each test reads its own gateway, so the
figures are this test's alone."""

from __future__ import annotations

import re
import secrets
from collections import Counter, defaultdict

import httpx
import pytest

from gateway.identity import issue_token
from gateway.settings import AuthSettings
from tests.conftest import GraphQLClient, scrape, served_gateway

LISTING = """query Listing { products(first: 20) { edges { node {
  sku title variants { sku price { amount } quantityAvailable }
  storeAvailability(first: 2, near: {latitude: 52.52, longitude: 13.40}) { store { name } quantity }
} } } }"""


def calls_made(before, after) -> dict[str, dict[str, float]]:
    """Backend → `METHOD route` → calls between two scrapes, as the simulators' /__stats count them."""
    delta = Counter(after["gateway_backend_requests_total"])
    delta.subtract(before["gateway_backend_requests_total"])
    made: dict[str, dict[str, float]] = defaultdict(dict)
    for labels, n in delta.items():
        if n:
            named = dict(labels)
            assert named["outcome"] == "ok", named
            made[named["backend"]][f"{named['method']} {named['route']}"] = n
    return made


@pytest.fixture
def metered(simulators, mongo_url, api_key):
    with served_gateway(simulators, mongo_url) as base:
        client = GraphQLClient(base, api_key)
        yield base, client
        client.http.close()


def test_a_listing_shows_under_its_operation_name_with_its_backend_calls(metered, simulators):
    base, gql = metered
    gql("{ stores(first: 1) { name } }")  # warm the store directory: its calls are not the listing's
    before = scrape(base)
    for sim in simulators.values():
        sim.reset_stats()
    # when
    assert "errors" not in gql(LISTING)
    # then the request is timed and counted under the operation's name
    after = scrape(base)
    assert after["gateway_request_duration_seconds_count"][(("operation", "Listing"),)] == 1
    assert after["gateway_request_duration_seconds_bucket"][(("le", "+Inf"), ("operation", "Listing"))] == 1
    assert after["gateway_request_duration_seconds_sum"][(("operation", "Listing"),)] > 0
    assert after["gateway_requests_total"][(("operation", "Listing"), ("status", "200"))] == 1
    # and every backend call it made is counted by backend and route, as the backends saw them
    made, seen = calls_made(before, after), {name: sim.stats() for name, sim in simulators.items()}
    assert made["woocommerce"] == seen["woocommerce"] == {"GET /wp-json/wc/v3/products": 1}
    assert {route.removeprefix("POST /json/2/").replace("/", "."): n for route, n in made["odoo"].items()} == \
        {call.removeprefix("rpc "): n for call, n in seen["odoo"].items() if call.startswith("rpc ")}
    assert sum(made["odoo"].values()) == seen["odoo"]["POST /json/2/{model}/{method}"]
    assert made.get("medusa", {}) == seen["medusa"]
    assert "ebay" not in made and seen["ebay"] == {}
    # and the time of those calls under the same labels
    woo = (("backend", "woocommerce"), ("method", "GET"), ("route", "/wp-json/wc/v3/products"))
    assert after["gateway_backend_request_duration_seconds_count"][woo] == 1
    assert after["gateway_backend_request_duration_seconds_sum"][woo] > 0


def test_unnamed_and_refused_operations_have_labels_of_their_own(metered):
    base, gql = metered
    # when an anonymous query runs, and a request without a key is refused
    gql("{ channels { code } }")
    refused = httpx.post(f"{base}/graphql", json={"query": "query Sneaky { channels { code } }"})
    # then
    figures = scrape(base)["gateway_requests_total"]
    assert refused.status_code == 401
    assert figures[(("operation", "(anonymous query)"), ("status", "200"))] == 1
    assert figures[(("operation", "(none)"), ("status", "401"))] == 1
    assert not any(("operation", "Sneaky") in labels for labels in figures)


def test_no_label_names_a_key_a_sku_or_a_customer(metered, api_key):
    base, gql = metered
    token = issue_token("customer-4711", AuthSettings(), ttl_seconds=600)
    # when a product is read by SKU and a signed-in customer reads their orders (from the ERP)
    gql('query One { product(sku: "CG-000007") { sku variants { sku } } }')
    mine = gql("query Mine { me { orders(first: 5) { nodes { number } } } }", headers={"Authorization": f"Bearer {token}"})
    # then the operations show, and none of the SKUs, the customer or the key
    text = httpx.get(f"{base}/metrics").text
    assert 'operation="One"' in text and 'operation="Mine"' in text
    assert mine["data"]["me"]["orders"]["nodes"] == [] and 'route="/json/2/sale.order/search_read"' in text  # asked the ERP
    # (the labels only: a figure such as a latency sum may hold the digits 4711 by chance)
    labels = " ".join(re.findall(r"\{[^}]*\}", text))
    assert "CG-0000" not in labels
    assert "4711" not in labels
    assert api_key.split("_")[1] not in labels  # the key's public id


def test_operation_labels_stop_growing_under_a_flood_of_invented_names(metered):
    base, gql = metered
    # when a client sends 130 operations, each under a new random name
    names = [f"Probe{secrets.token_hex(4)}" for _ in range(130)]
    for name in names:
        gql(f"query {name} {{ channels {{ code }} }}")
    # then the first 100 have their own label and the other 30 share one
    counted = {dict(labels)["operation"]: n
               for labels, n in scrape(base)["gateway_request_duration_seconds_count"].items()}
    assert set(counted) == {*names[:100], "(other)"}
    assert counted["(other)"] == 30


def test_metrics_can_be_turned_off(simulators, mongo_url):
    with served_gateway(simulators, mongo_url, CGW_METRICS__ENABLED="false") as base:
        assert httpx.get(f"{base}/metrics").status_code == 404
        assert httpx.get(f"{base}/healthz").status_code == 200
