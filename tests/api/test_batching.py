"""One query for 50 products makes at most one call per backend resource (proved with /__stats)."""

from __future__ import annotations

import time

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
    # and the ERP was asked once per model: products, variants, options, stock
    assert counts["odoo"] == {
        "POST /json/2/{model}/{method}": 4,
        "rpc product.template.search_read": 1,
        "rpc product.product.search_read": 1,
        "rpc product.template.attribute.value.read": 1,
        "rpc stock.quant.search_read": 1,
    }
    # and the web-shop once for all content; the app backend and marketplace not at all on WEB
    assert counts["woocommerce"] == {"GET /wp-json/wc/v3/products": 1}
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


def test_backends_are_called_concurrently(gql, simulators):
    # given a slow web-shop (400 ms) and an ERP that takes 100 ms a call
    gql("{ stores(first: 1) { name } }")
    simulators["woocommerce"].faults(latency_ms=400)
    simulators["odoo"].faults(latency_ms=100)
    # when a listing needs the ERP three times in a row (products, variants, stock) and the web-shop once
    started = time.perf_counter()
    answer = gql("{ products(first: 10) { edges { node { title variants { price { amount } "
                 "quantityAvailable } } } } }")
    elapsed = time.perf_counter() - started
    # then the web-shop call overlaps the ERP's: 100 + max(400, 100 + 100) = 500 ms, not 700 ms in sequence
    assert "errors" not in answer
    assert 0.5 <= elapsed < 0.65, elapsed
