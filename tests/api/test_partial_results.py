"""A slow, failed or garbled backend costs its own fields, never the whole answer."""

from __future__ import annotations

import time

import pytest

from simulators.catalog import marketplace_pool
from tests.conftest import BACKEND_TIMEOUT

LISTING = """query { products(first: 5) { edges { node {
  sku title brand categories images { url }
  variants { sku price { amount } quantityAvailable availableForSale }
  availableForSale totalInventory
} } } }"""

APP_LISTING = "query @inContext(channel: APP) " + LISTING.removeprefix("query ")
MARKETPLACE_LISTING = "query @inContext(channel: MARKETPLACE) " + LISTING.removeprefix("query ")


def errors_by_field(answer: dict) -> dict[str, set[tuple[str, str]]]:
    found: dict[str, set[tuple[str, str]]] = {}
    for e in answer.get("errors", []):
        field = next(p for p in reversed(e["path"]) if isinstance(p, str))
        found.setdefault(field, set()).add((e["extensions"]["code"], e["extensions"].get("backend")))
    return found


FAULTS = [
    pytest.param({"down": True}, "BACKEND_UNAVAILABLE", id="down"),
    pytest.param({"latency_ms": BACKEND_TIMEOUT * 1000 + 300}, "BACKEND_TIMEOUT", id="timeout"),
    pytest.param({"malformed": True}, "BACKEND_ERROR", id="malformed"),
]


CONTENT = ("title", "brand", "categories", "images")  # the web-shop's fields in LISTING


@pytest.mark.parametrize(("fault", "code"), FAULTS)
def test_web_shop_failure_nulls_only_the_content_it_owns(gql, simulators, fault, code):
    # given
    simulators["woocommerce"].faults(**fault)
    # when
    answer = gql(LISTING)
    # then every product is still listed with ERP SKUs, prices and stock
    edges = answer["data"]["products"]["edges"]
    assert len(edges) == 5
    assert all(e["node"]["sku"] and e["node"]["variants"] for e in edges)
    assert all(v["price"] is not None and v["quantityAvailable"] is not None
               for e in edges for v in e["node"]["variants"])
    # and the content fields are empty, each with an error naming the web-shop
    assert all(e["node"]["title"] is None and e["node"]["images"] == [] for e in edges)
    errors = errors_by_field(answer)
    assert set(errors) == set(CONTENT)
    assert all(found == {(code, "woocommerce")} for found in errors.values())
    # one error per content field of each product listed, at that field
    assert sorted(e["path"] for e in answer["errors"]) == sorted(
        ["products", "edges", n, "node", field] for n in range(5) for field in CONTENT)


@pytest.mark.parametrize(("fault", "code"), FAULTS)
def test_erp_failure_is_reported_with_the_erp_named(gql, simulators, fault, code):
    simulators["odoo"].faults(**fault)
    answer = gql('{ product(sku: "CG-000001") { sku title } }')
    assert answer["data"] == {"product": None}
    assert [(e["path"], e["extensions"]) for e in answer["errors"]] == [
        (["product"], {"code": code, "backend": "odoo"})]


def test_an_erp_outage_fails_the_listing_with_the_erp_named(gql, simulators):
    # the ERP owns the assortment: without it there is no list to return
    simulators["odoo"].faults(down=True)
    answer = gql(LISTING)
    assert answer["data"] is None
    assert [(e["path"], e["extensions"]["code"], e["extensions"]["backend"]) for e in answer["errors"]] == [
        (["products"], "BACKEND_UNAVAILABLE", "odoo")]


@pytest.mark.parametrize(("fault", "code"), FAULTS)
def test_app_backend_failure_nulls_app_prices_only(gql, simulators, fault, code):
    simulators["medusa"].faults(**fault)
    answer = gql(APP_LISTING)
    edges = answer["data"]["products"]["edges"]
    assert len(edges) == 5
    assert all(v["price"] is None for e in edges for v in e["node"]["variants"])
    assert all(v["quantityAvailable"] is not None for e in edges for v in e["node"]["variants"])
    assert errors_by_field(answer)["price"] == {(code, "medusa")}


@pytest.mark.parametrize(("fault", "code"), FAULTS)
def test_marketplace_failure_nulls_marketplace_prices_and_stock_only(gql, simulators, catalog, fault, code):
    simulators["ebay"].faults(**fault)
    answer = gql(MARKETPLACE_LISTING)
    edges = answer["data"]["products"]["edges"]
    assert len(edges) == 5
    # the content is all there, as seeded
    assert [e["node"]["title"] for e in edges] == [catalog.by_sku[e["node"]["sku"]].title for e in edges]
    variants = [v for e in edges for v in e["node"]["variants"]]
    assert all(v["price"] is None and v["quantityAvailable"] is None for v in variants)
    assert all(v["availableForSale"] is False for v in variants)
    errors = errors_by_field(answer)
    for field in ("price", "quantityAvailable", "availableForSale", "totalInventory"):
        assert errors[field] == {(code, "ebay")}, field


def test_a_slow_backend_costs_its_timeout_not_more(gql, simulators):
    # given the web-shop takes ten times its timeout
    simulators["woocommerce"].faults(latency_ms=BACKEND_TIMEOUT * 10_000)
    # when
    started = time.perf_counter()
    answer = gql(LISTING)
    elapsed = time.perf_counter() - started
    # then the answer comes after about one timeout
    assert answer["data"]["products"]["edges"]
    assert elapsed < BACKEND_TIMEOUT * 3, elapsed


MARKETPLACE_STOCK = """query($s: String!) @inContext(channel: MARKETPLACE, maxStockAge: 0) {
  product(sku: $s) { variants { sku price { amount } quantityAvailable } } }"""


def test_a_marketplace_item_without_quantity_costs_its_own_variant_only(gql, simulators, catalog):
    # given a product on the marketplace one of whose items eBay holds without a quantity
    seed = next(p for p in catalog.products if p.on_marketplace and len(p.variants) > 2)
    bad = seed.variants[1]
    ebay, item = {"Authorization": "Bearer ebay-demo-token"}, f"/sell/inventory/v1/inventory_item/{bad.sku}"
    simulators["ebay"].http.put(item, json={"condition": "NEW"}, headers=ebay).raise_for_status()
    try:
        # when
        answer = gql(MARKETPLACE_STOCK, {"s": seed.sku})
    finally:
        simulators["ebay"].http.put(item, headers=ebay, json={"availability": {"shipToLocationAvailability": {
            "quantity": marketplace_pool(bad.erp_id)}}}).raise_for_status()
    # then that variant's stock is null with an error naming the marketplace; the rest stands
    variants = answer["data"]["product"]["variants"]
    assert [v["quantityAvailable"] for v in variants] == [
        None if v is bad else marketplace_pool(v.erp_id) for v in seed.variants]
    assert all(v["price"] is not None for v in variants)
    assert [(e["path"], e["extensions"]) for e in answer["errors"]] == [
        (["product", "variants", 1, "quantityAvailable"], {"code": "BACKEND_ERROR", "backend": "ebay"})]
