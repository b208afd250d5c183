"""Kept answers end when a backend's own change feed says what they hold has changed: a change
written through each backend's write API shows in a kept answer within seconds (settle time + poll
interval), long before the answer's lifetime ends; pages whose composition a change can alter end
too; every gateway process hears of it, and one process reads the feeds. The simulators stamp changes
with a clock the gateways read as now, and a test moves it past the settle time instead of waiting."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal

import httpx
import pytest

from simulators.catalog import LOCATIONS
from tests.api.test_catalog_changes import MEDUSA, WOO, count_stock, odoo, swept
from tests.clock import JumpingClock
from tests.conftest import UNLIMITED, GraphQLClient, issue_key, served_gateway

DATABASE = "answer_invalidation_tests"
POLL, SETTLE = 0.5, 1.0
GATEWAY = {"CGW_CACHE__ANSWER_CACHE_BYTES": str(8 * 1024 * 1024), "CGW_MONGO__DATABASE": DATABASE,
           "CGW_CACHE__INVALIDATION_POLL_SECONDS": str(POLL), "CGW_CATALOG__CHANGES_SETTLE_SECONDS": str(SETTLE),
           "CGW_CATALOG__MARKETPLACE_SWEEP_SECONDS": "0.5"}
# the clock moves past the settle time (and the second Odoo stamps to); then a poll, then a follow
WITHIN = POLL + POLL / 4 + 2.5  # seconds, with room for a slow machine
EBAY = {"Authorization": "Bearer ebay-demo-token"}


@pytest.fixture(autouse=True)
def healed(backends) -> Iterator[None]:
    yield
    for sim in backends[1].values():
        sim.heal()


@pytest.fixture(scope="module")
def clock() -> JumpingClock:
    return JumpingClock()


@pytest.fixture(scope="module")
def client(backends, mongo_url, clock) -> Iterator[GraphQLClient]:
    _, simulators = backends
    with served_gateway(simulators, mongo_url, clock, **GATEWAY) as url:
        made = GraphQLClient(url, issue_key(mongo_url, "frontend", database=DATABASE, **UNLIMITED))
        yield made
        made.http.close()


def kept(client: GraphQLClient, query: str, **headers: str) -> dict:
    """The answer, once it comes from the cache (it says how old it is). Asked until it does: a
    change an earlier test made may still be ending answers. Backend calls cannot tell a hit here,
    as the feeds are read in the background."""
    deadline = time.monotonic() + WITHIN
    while True:
        response = client.post(query, headers=headers)
        answer = response.json()
        assert "errors" not in answer, answer
        if "age" in response.headers:
            return answer["data"]
        assert time.monotonic() < deadline, f"{query} is never answered from the cache"
        time.sleep(0.05)


def changes_within(client: GraphQLClient, query: str, shows: Callable[[dict], bool], **headers: str) -> float:
    """Seconds until the gateway's answer to `query` shows the change (asserted within WITHIN)."""
    started = time.monotonic()
    while time.monotonic() - started < WITHIN:
        if shows(client(query, headers=headers)["data"]):
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"the kept answer did not change within {WITHIN} s")


def settled(clock: JumpingClock) -> None:
    """The changes made so far are older than the settle time (and the second Odoo stamped them with)."""
    clock.advance(SETTLE + 1)


def product_query(sku: str, fields: str) -> str:
    return '{ product(sku: "%s") { %s } }' % (sku, fields)


def test_an_erp_list_price(backends, client, clock):
    catalog, simulators = backends
    product = catalog.products[1]
    listing = "{ products(first: 5) { edges { node { sku priceRange { minVariantPrice { amount } } } } } }"
    kept(client, listing)
    odoo(simulators, "product.template", "write", ids=[product.erp_id], vals={"list_price": 123.45})
    settled(clock)
    changes_within(client, listing, lambda d: d["products"]["edges"][1]["node"]["priceRange"]
                   ["minVariantPrice"]["amount"] == "123.45")


def test_an_erp_variant(backends, client, clock):
    catalog, simulators = backends
    product = catalog.products[2]
    query = product_query(product.sku, "variants { sku gtin }")
    kept(client, query)
    odoo(simulators, "product.product", "write", ids=[product.variants[0].erp_id], vals={"barcode": "4000000077774"})
    settled(clock)
    changes_within(client, query, lambda d: d["product"]["variants"][0]["gtin"] == "4000000077774")


def test_an_erp_channel_pricelist(backends, client, clock):
    catalog, simulators = backends
    product = catalog.products[5]  # priced on the store pricelist
    query = product_query(product.sku, "variants { price { amount } }")
    kept(client, query, **{"X-Channel": "STORE"})
    odoo(simulators, "product.pricelist.item", "write", ids=[product.variants[0].erp_id * 10 + 2],
         vals={"fixed_price": 9.99})
    settled(clock)
    changes_within(client, query, lambda d: d["product"]["variants"][0]["price"]["amount"] == "9.99",
                   **{"X-Channel": "STORE"})


def test_an_erp_pricelist_rule_for_every_product(backends, client, clock):
    catalog, simulators = backends
    product = next(p for p in catalog.products if p.store_price is None and p.category != "Knitwear")
    query = product_query(product.sku, "variants { price { amount } }")
    kept(client, query, **{"X-Channel": "STORE"})
    # when the store's 3 % off every product becomes 10 %: a change of no one product
    [every] = odoo(simulators, "product.pricelist.item", "search",
                   domain=[["pricelist_id", "=", 2], ["applied_on", "=", "3_global"]])
    odoo(simulators, "product.pricelist.item", "write", ids=[every], vals={"percent_price": 10})
    settled(clock)
    # then the kept answers showing prices end all the same
    ten_off = (product.variants[0].list_price * Decimal("0.9")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    changes_within(client, query, lambda d: Decimal(d["product"]["variants"][0]["price"]["amount"]) == ten_off,
                   **{"X-Channel": "STORE"})


def test_erp_stock_even_while_the_figure_is_kept(backends, client, clock):
    catalog, simulators = backends
    product = catalog.products[3]
    query = product_query(product.sku, "variants { quantityAvailable }")
    before = kept(client, query)["product"]["variants"][0]["quantityAvailable"]
    # every DC of the web channel counted to 50 (the figure is kept for 10 s in the process too)
    for location in LOCATIONS[:3]:
        count_stock(simulators, product.variants[0].erp_id, location.stock_location_id, 50)
    counted = sum(catalog.stock(product.variants[0].erp_id, loc)[0] - catalog.stock(product.variants[0].erp_id, loc)[1]
                  for loc in LOCATIONS[:3])
    assert counted != before
    settled(clock)
    changes_within(client, query, lambda d: d["product"]["variants"][0]["quantityAvailable"] == counted)


def rename_on_the_web_shop(simulators, product) -> str:
    httpx.put(f"{simulators['woocommerce'].url}/wp-json/wc/v3/products/{product.erp_id}", auth=WOO,
              json={"name": "Renamed on the web-shop"}).raise_for_status()
    return "Renamed on the web-shop"


def rewrite_in_the_app_backend(simulators, product) -> str:
    httpx.post(f"{simulators['medusa'].url}/admin/products/prod_{product.erp_id:08d}", headers=MEDUSA,
               json={"description": "Rewritten for the app"}).raise_for_status()
    return "Rewritten for the app"


@pytest.mark.parametrize(("field", "owned_by", "write"), [
    pytest.param("title", lambda p: p.index >= 6 and p.in_webshop, rename_on_the_web_shop, id="web-shop"),
    pytest.param("description", lambda p: p.in_app and not p.in_webshop, rewrite_in_the_app_backend, id="app backend"),
])
def test_content_of_the_backend_that_owns_it(backends, client, field, owned_by, write, clock):
    catalog, simulators = backends
    product = next(p for p in catalog.products if owned_by(p))
    query = product_query(product.sku, field)
    kept(client, query)
    written = write(simulators, product)
    settled(clock)
    changes_within(client, query, lambda d: d["product"][field] == written)


def test_a_marketplace_price_found_by_the_sweep(backends, client, clock):
    catalog, simulators = backends
    product = next(p for p in catalog.products if p.on_marketplace and p.active)
    query = product_query(product.sku, "variants { price { amount } }")
    # the sweep has seen the marketplace as it is (every half second here), and what it found has settled
    swept(simulators, clock)
    settled(clock)
    kept(client, query, **{"X-Channel": "MARKETPLACE"})
    httpx.put(f"{simulators['ebay'].url}/sell/inventory/v1/offer/{8_000_000_000 + product.variants[0].erp_id}",
              headers=EBAY, json={"pricingSummary": {"price": {"value": "77.70", "currency": "EUR"}}}
              ).raise_for_status()
    swept(simulators, clock)
    settled(clock)
    changes_within(client, query, lambda d: d["product"]["variants"][0]["price"]["amount"] == "77.70",
                   **{"X-Channel": "MARKETPLACE"})


def test_a_page_sorted_by_price_takes_in_a_product_it_did_not_hold(backends, client, clock):
    catalog, simulators = backends
    cheapest = "{ products(first: 3, sortKey: PRICE) { edges { node { sku } } } }"
    page = [e["node"]["sku"] for e in kept(client, cheapest)["products"]["edges"]]
    outsider = next(p for p in catalog.products[30:] if p.active and p.sku not in page)
    # a product the page does not hold becomes the cheapest: the page is not what it was
    odoo(simulators, "product.template", "write", ids=[outsider.erp_id], vals={"list_price": 1.0})
    settled(clock)
    changes_within(client, cheapest, lambda d: d["products"]["edges"][0]["node"]["sku"] == outsider.sku)


def set_on_hand(simulators, product, quantity: int) -> None:
    """Counts every variant of `product` at the web channel's warehouses (DC1–DC3)."""
    for variant in product.variants:
        for location in LOCATIONS[:3]:
            count_stock(simulators, variant.erp_id, location.stock_location_id, quantity)


def test_a_page_of_what_is_in_stock_takes_in_a_product_back_in_stock(backends, client, clock):
    catalog, simulators = backends
    in_stock = "{ products(first: 3, filter: {availableForSale: true}) { edges { node { sku } } } }"
    returning = catalog.products[0]
    assert returning.sku in str(kept(client, in_stock))
    # given it is sold out, and the kept page has heard of it
    set_on_hand(simulators, returning, 0)
    settled(clock)
    changes_within(client, in_stock, lambda d: returning.sku not in str(d))
    assert returning.sku not in str(kept(client, in_stock))
    # when it is counted again: a stock change of a product the page does not hold
    set_on_hand(simulators, returning, 5)
    settled(clock)
    changes_within(client, in_stock, lambda d: d["products"]["edges"][0]["node"]["sku"] == returning.sku)


def test_every_gateway_process_hears_of_a_change_and_one_reads_the_feeds(backends, client, mongo_url, clock):
    catalog, simulators = backends
    product = next(p for p in catalog.products[12:] if p.in_webshop)
    query = product_query(product.sku, "title")
    with served_gateway(simulators, mongo_url, clock, **GATEWAY) as url:
        other = GraphQLClient(url, issue_key(mongo_url, "frontend", database=DATABASE, **UNLIMITED))
        kept(client, query)
        kept(other, query)
        # one process reads the feeds per interval: two gateways read the ERP's two channel pricelists
        # (only the feeds do here, each in two calls: the pricelists it starts from, then the items) at
        # most twice per interval, not four times (a rate: counted over a window of three intervals)
        window = 3 * POLL
        simulators["odoo"].reset_stats()
        time.sleep(window)
        assert simulators["odoo"].stats().get("rpc product.pricelist.item.search_read", 0) <= \
            2 * 2 * (window / POLL + 1)
        httpx.put(f"{simulators['woocommerce'].url}/wp-json/wc/v3/products/{product.erp_id}", auth=WOO,
                  json={"name": "Renamed for every process"}).raise_for_status()
        settled(clock)
        for gateway in (client, other):
            changes_within(gateway, query, lambda d: d["product"]["title"] == "Renamed for every process")
        other.http.close()
