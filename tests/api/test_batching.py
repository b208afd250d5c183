"""One query for 50 products makes at most one call per backend resource (proved with /__stats), and
the calls that do not depend on each other are in flight at once (proved with the simulators' spans)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import GraphQLClient, served_gateway

LISTING_50 = """
query {
  products(first: 50) {
    edges { node {
      sku title description brand categories images { url } priceRange { minVariantPrice { amount } }
      availableForSale totalInventory
      variants { sku title selectedOptions { name value } price { amount } compareAtPrice { amount }
                 quantityAvailable stock { quantity asOf } availableForSale }
      storeAvailability(first: 3, near: {latitude: 52.52, longitude: 13.40}) { store { name } quantity }
    } }
  }
}
"""


@pytest.fixture(scope="module")
def gql(simulators, mongo_url, api_key) -> Iterator[GraphQLClient]:
    """A gateway of this module's own that reads stock live: with the shared gateway's stock cache,
    whether a listing calls the ERP for stock would depend on which tests ran before."""
    with served_gateway(simulators, mongo_url, CGW_CATALOG__STOCK_CACHE_SECONDS="0") as url:
        client = GraphQLClient(url, api_key)
        yield client
        client.http.close()


def call_counts(simulators) -> dict[str, dict[str, int]]:
    return {name: sim.stats() for name, sim in simulators.items()}


def test_fifty_products_with_everything_make_one_call_per_backend_resource(gql, simulators):
    # given a warm warehouse directory and clean counters
    gql("{ stores(first: 1) { name } }")
    for sim in simulators.values():
        sim.reset_stats()
    # when
    answer = gql(LISTING_50)
    # then the answer is complete
    assert "errors" not in answer
    assert len(answer["data"]["products"]["edges"]) == 50
    counts = call_counts(simulators)
    # and the ERP was asked once per model: products, variants, options, stock; and once more for the
    # codes of the variants of the page's one template without a code of its own (its SKU)
    assert counts["odoo"] == {
        "POST /json/2/{model}/{method}": 5,
        "rpc product.template.search_read": 1,
        "rpc product.product.search_read": 2,
        "rpc product.template.attribute.value.read": 1,
        "rpc stock.quant.search_read": 1,
    }
    # and the web-shop once for all content, once for the parent of the variation that SKU found, and
    # once for the variants of the products it lacks under their own SKUs; the app backend and
    # marketplace not at all on WEB
    assert counts["woocommerce"] == {"GET /wp-json/wc/v3/products": 3}
    assert sum(counts["medusa"].values()) <= 1  # only for titles the web-shop lacks
    assert counts["ebay"] == {}


def test_the_app_channel_adds_one_app_backend_call(gql, simulators):
    gql("{ stores(first: 1) { name } }")
    for sim in simulators.values():
        sim.reset_stats()
    answer = gql("query @inContext(channel: APP) { products(first: 50) { edges { node { title "
                 "variants { price { amount } compareAtPrice { amount } } } } } }")
    assert "errors" not in answer
    # one call for every price; a second only when the title fallback for products the web-shop lacks
    # arrives after the price batch has left (it waits on the web-shop first)
    calls = simulators["medusa"].stats()
    assert set(calls) == {"GET /store/products"}
    assert 1 <= calls["GET /store/products"] <= 2


def test_the_marketplace_batches_inventory_by_twenty_five(gql, simulators):
    gql("{ stores(first: 1) { name } }")
    for sim in simulators.values():
        sim.reset_stats()
    answer = gql("query @inContext(channel: MARKETPLACE) { products(first: 20) { edges { node { "
                 "variants { sku quantityAvailable } } } } }")
    assert "errors" not in answer
    variants = sum(len(e["node"]["variants"]) for e in answer["data"]["products"]["edges"])
    assert simulators["ebay"].stats() == {"POST /sell/inventory/v1/bulk_get_inventory_item": -(-variants // 25)}


LATENCY = 0.3  # seconds


def test_backends_are_called_concurrently(gql, simulators):
    # given backends slow enough (300 ms a call) that calls in flight at once clearly overlap
    gql("{ stores(first: 1) { name } }")
    for sim in (simulators["woocommerce"], simulators["odoo"]):
        sim.faults(latency_ms=LATENCY * 1000)
        sim.reset_stats()
    # when a listing needs the ERP's products, then their variants and stock, and the web-shop's content
    answer = gql("{ products(first: 10) { edges { node { title variants { price { amount } "
                 "quantityAvailable } } } } }")
    assert "errors" not in answer
    spans = {path: (arrived, answered) for sim in (simulators["woocommerce"], simulators["odoo"])
             for path, arrived, answered in sim.spans()}
    # then each resource is asked once
    assert sorted(spans) == ["GET /wp-json/wc/v3/products", "POST /json/2/product.product/search_read",
                             "POST /json/2/product.template/search_read", "POST /json/2/stock.quant/search_read"]
    # and the products come first: every other call needs their ids, so arrives after the ERP held
    # the products call for its latency
    products_arrived, _ = spans.pop("POST /json/2/product.template/search_read")
    assert all(arrived >= products_arrived + LATENCY for arrived, _ in spans.values()), spans
    # and the web-shop, the variants and the stock are then asked at once: each call arrives before
    # any of the others is answered (in sequence, each would wait for the one before)
    assert max(arrived for arrived, _ in spans.values()) < min(answered for _, answered in spans.values()), spans
