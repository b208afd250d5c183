"""The gateway with a real Medusa v2 as the app backend and the simulators for the other roles: a
retailer whose app backend owns the product copy. Content merges by variant SKU (the store's handles
are slugs of the titles), the app channel shows the app's sale price with the list price as
compareAtPrice, and a change made through Medusa's Admin API comes through delta sync."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from simulators.catalog import Catalog
from tests.adapters.medusa_contract import MedusaStore
from tests.clock import JumpingClock
from tests.conftest import GraphQLClient, served_gateway

APP_OWNS_CONTENT = {f"CGW_CATALOG__OWNERSHIP__{field.upper()}": '["app", "erp"]'
                    for field in ("title", "description", "categories", "images")}
SETTLE = 1.0  # the gateway's catalog.changes_settle_seconds here
# no test of faults here: the simulators get the time a real backend gets, on a machine busy with Medusa
PATIENT = {f"CGW_BACKENDS__{name}__TIMEOUT_SECONDS": "10" for name in ("WOOCOMMERCE", "ODOO", "EBAY")}
PRODUCT = """
query($sku: String!) {
  product(sku: $sku) {
    sku title description categories images { url } sources { field backend }
    variants { sku price { amount currencyCode } compareAtPrice { amount currencyCode } }
  }
}"""
CHANGES = """
query($since: String) {
  catalogChanges(since: $since, first: 100) {
    nodes { sku aspects product { title } }
    pageInfo { hasNextPage endCursor }
  }
}"""
APP = {"X-Channel": "APP"}


@pytest.fixture(scope="module")
def gql(simulators, mongo_url, api_key, real_medusa) -> Iterator[GraphQLClient]:
    """A gateway reading the real Medusa as the app backend, its clock a settle time and a second ahead of
    Medusa's (which stamps by real time): what Medusa did before a sync has settled by then."""
    clock = JumpingClock()
    clock.advance(SETTLE + 1)
    with served_gateway(simulators, mongo_url, clock, **real_medusa.settings_env(), **APP_OWNS_CONTENT, **PATIENT,
                        CGW_CATALOG__CHANGES_SETTLE_SECONDS=str(SETTLE)) as url:
        client = GraphQLClient(url, api_key)
        yield client
        client.http.close()


def test_the_app_backends_content_merges_by_variant_sku(gql, real_medusa: MedusaStore):
    # given a product of the store, whose handle is a slug of its title, not its SKU
    seed = next(p for p in real_medusa.products if len(p.variants) > 1)
    # when it is asked for by the ERP's SKU
    product = gql(PRODUCT, {"sku": seed.sku}, APP)["data"]["product"]
    # then its copy comes from the app backend, matched through its variants' SKUs
    assert (product["title"], product["description"], product["categories"]) == (
        seed.title, seed.description, [seed.category])
    assert [i["url"] for i in product["images"]] and all(
        i["url"].startswith("https://app-cdn.example.com/") for i in product["images"])
    sources = {s["field"]: s["backend"] for s in product["sources"]}
    assert {sources[f] for f in ("title", "description", "categories", "images")} == {"medusa"}
    assert sources["sku"] == sources["variants"] == "odoo"


def test_a_product_the_app_backend_lacks_keeps_the_erps_copy(gql, real_medusa, catalog: Catalog):
    held = {p.sku for p in real_medusa.products}
    seed = next(p for p in catalog.products if p.sku not in held)
    product = gql(PRODUCT, {"sku": seed.sku}, APP)["data"]["product"]
    assert product["title"] == seed.erp_title
    assert {s["field"]: s["backend"] for s in product["sources"]}["title"] == "odoo"


def test_the_app_channel_shows_the_sale_price_with_the_list_price_to_compare(gql, real_medusa):
    promoted = next(p for p in real_medusa.products if p.app_promotion and len(p.variants) > 1)
    plain = next(p for p in real_medusa.products if not p.app_promotion)
    for seed in (promoted, plain):
        variants = gql(PRODUCT, {"sku": seed.sku}, APP)["data"]["product"]["variants"]
        shown = {v["sku"]: (Decimal(v["price"]["amount"]), v["compareAtPrice"] and Decimal(v["compareAtPrice"]["amount"]))
                 for v in variants}
        assert shown == {v.sku: (seed.app_price(v), v.list_price if seed.app_promotion else None)
                         for v in seed.variants}
        assert {v["price"]["currencyCode"] for v in variants} == {"EUR"}
    # and the web channel, priced by the ERP, does not show the app's promotion
    web = gql(PRODUCT, {"sku": promoted.sku})["data"]["product"]["variants"]
    assert [(Decimal(v["price"]["amount"]), v["compareAtPrice"]) for v in web] == [
        (v.list_price, None) for v in promoted.variants]


def drain(gql: GraphQLClient, since: str | None) -> tuple[list[dict], str]:
    nodes: list[dict] = []
    while True:
        answer = gql(CHANGES, {"since": since}, APP)
        assert "errors" not in answer, answer["errors"]  # a feed that failed would be read again next time
        page = answer["data"]["catalogChanges"]
        nodes += page["nodes"]
        since = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes, since


def test_a_change_made_in_medusa_comes_through_delta_sync(gql, real_medusa):
    # given an app that has synced everything, the store's seeding included
    nodes, cursor = drain(gql, None)
    assert {n["sku"] for n in nodes} >= {p.sku for p in real_medusa.products}
    # when a product is renamed through Medusa's Admin API
    seed = next(p for p in real_medusa.products if len(p.variants) == 1)
    real_medusa.admin_update(seed, title="Renamed in the app")
    # then the next sync brings that product alone, as changed content, with its new title
    nodes, _ = drain(gql, cursor)
    assert nodes == [{"sku": seed.sku, "aspects": ["CONTENT"], "product": {"title": "Renamed in the app"}}]
