"""Delta sync over the live gateway: changes made through each backend's own write API show up
once, removals too, the cursor pages and survives another gateway process; a failing backend
keeps its place for the next sync. Time is a clock the simulators stamp changes with and the gateway
reads as now: a test moves it past the settle time instead of waiting for it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from simulators.catalog import LOCATIONS
from tests.clock import JumpingClock, MovingClock
from tests.conftest import UNLIMITED, GraphQLClient, issue_key, served_gateway

SETTLE = 1.0  # the gateway's catalog.changes_settle_seconds in these tests
CHANGES = """
query Changes($since: String, $first: Int!) {
  catalogChanges(since: $since, first: $first) {
    nodes { sku removed aspects changedAt product { sku title } }
    changedForEveryProduct
    pageInfo { hasNextPage endCursor }
  }
}"""
ODOO = {"Authorization": "bearer odoo-demo-key"}
WOO = ("ck_demo", "cs_demo")
MEDUSA = {"Authorization": "Basic c2tfZGVtbzo="}  # sk_demo:


DATABASE = "delta_sync_tests"  # its own: the marketplace fingerprints belong to these simulators
# the marketplace sweep: one per SWEEP seconds of the clock (the lease), looked for every SWEEP real seconds
SWEEP = 0.2
GATEWAY = {"CGW_CATALOG__CHANGES_SETTLE_SECONDS": str(SETTLE), "CGW_MONGO__DATABASE": DATABASE,
           "CGW_CATALOG__MARKETPLACE_SWEEP_SECONDS": str(SWEEP)}


@pytest.fixture(scope="module")
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture(scope="module")
def sync(backends, mongo_url, clock) -> Iterator[Callable[..., dict]]:
    _, simulators = backends
    key = issue_key(mongo_url, "frontend", database=DATABASE, **UNLIMITED)
    with served_gateway(simulators, mongo_url, clock, **GATEWAY) as url:
        client = GraphQLClient(url, key)

        def run(since: str | None, first: int = 100, channel: str = "WEB") -> dict:
            return client(CHANGES, {"since": since, "first": first}, headers={"X-Channel": channel})

        run.url = url  # type: ignore[attr-defined]
        yield run
        client.http.close()


def drain(sync, since: str | None, channel: str = "WEB", first: int = 100) -> tuple[list[dict], str]:
    """Every change waiting after `since`, page by page, and the cursor after the last."""
    nodes: list[dict] = []
    while True:
        page = sync(since, first, channel)["data"]["catalogChanges"]
        nodes += page["nodes"]
        since = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes, since


def settled(clock: MovingClock) -> None:
    """Changes are reported once they are older than the settle time: the clock moves past it (and
    past the second the ERP stamped them with)."""
    clock.advance(SETTLE + 1)


def odoo(simulators, model: str, method: str, **body) -> object:
    response = httpx.post(f"{simulators['odoo'].url}/json/2/{model}/{method}", json=body, headers=ODOO)
    response.raise_for_status()
    return response.json()


def count_stock(simulators, variant_id: int, stock_location_id: int, quantity: int) -> None:
    """Counts a variant at a location as Odoo's Physical Inventory does: the quant of that place takes the
    count (a new one where none is: Odoo deletes empty quants), then the count is applied."""
    quant = odoo(simulators, "stock.quant", "create", context={"inventory_mode": True}, vals_list=[
        {"product_id": variant_id, "location_id": stock_location_id, "inventory_quantity": quantity}])
    odoo(simulators, "stock.quant", "action_apply_inventory", ids=quant)


def test_from_the_beginning_every_product_comes_and_then_nothing(backends, sync):
    catalog, _ = backends
    # when an app syncs with no cursor, page by page
    nodes, cursor = drain(sync, None, first=15)
    # then it has heard of every product of the assortment
    assert {n["sku"] for n in nodes} == {p.sku for p in catalog.products}
    assert all(not n["removed"] and n["product"]["sku"] == n["sku"] for n in nodes)
    # and the cursor it ends with has nothing more to tell
    again = sync(cursor)["data"]["catalogChanges"]
    assert again["nodes"] == [] and again["pageInfo"]["hasNextPage"] is False


def test_a_change_in_each_backend_shows_up_once(backends, sync, clock):
    catalog, simulators = backends
    _, cursor = drain(sync, None)
    erp, stocked = catalog.products[1], catalog.products[4]
    web = next(p for p in catalog.products[2:] if p.in_webshop and p is not stocked)
    app = next(p for p in catalog.products[2:] if p.in_app and p not in (web, stocked))
    # given a change through each backend's own write API
    odoo(simulators, "product.template", "write", ids=[erp.erp_id], vals={"list_price": 123.45})
    httpx.put(f"{simulators['woocommerce'].url}/wp-json/wc/v3/products/{web.erp_id}", auth=WOO,
              json={"name": "Renamed on the web-shop"}).raise_for_status()
    httpx.post(f"{simulators['medusa'].url}/admin/products/prod_{app.erp_id:08d}", headers=MEDUSA,
               json={"description": "Rewritten for the app"}).raise_for_status()
    count_stock(simulators, stocked.variants[0].erp_id, LOCATIONS[0].stock_location_id, 3)  # DC1: a web warehouse
    # then nothing is reported while the changes are younger than the settle time
    assert drain(sync, cursor)[0] == []
    settled(clock)
    # when the app syncs from its cursor
    nodes, cursor = drain(sync, cursor)
    # then each changed product comes once, saying what may have changed
    by_sku = {n["sku"]: n for n in nodes}
    assert len(nodes) == len(by_sku) == 4
    assert set(by_sku[erp.sku]["aspects"]) == {"CONTENT", "PRICE"}
    assert by_sku[web.sku]["aspects"] == ["CONTENT"]
    assert by_sku[web.sku]["product"]["title"] == "Renamed on the web-shop"
    assert by_sku[app.sku]["aspects"] == ["CONTENT"]
    assert by_sku[stocked.sku]["aspects"] == ["STOCK"]
    # and the next sync has nothing
    assert drain(sync, cursor)[0] == []


def test_a_channel_price_change_reaches_only_that_channel(backends, sync, clock):
    catalog, simulators = backends
    _, store_cursor = drain(sync, None, channel="STORE")
    _, web_cursor = drain(sync, None, channel="WEB")
    priced = next(p for p in catalog.products if p.store_price is not None)
    item = priced.variants[0].erp_id * 10 + 2  # its fixed price on the store pricelist
    odoo(simulators, "product.pricelist.item", "write", ids=[item], vals={"fixed_price": 9.99})
    settled(clock)
    store_nodes, _ = drain(sync, store_cursor, channel="STORE")
    assert [(n["sku"], n["aspects"]) for n in store_nodes] == [(priced.sku, ["PRICE"])]
    assert drain(sync, web_cursor, channel="WEB")[0] == []


def test_a_pricelist_rule_for_every_product_says_so_to_that_channel(backends, sync, clock):
    _, simulators = backends
    _, store_cursor = drain(sync, None, channel="STORE")
    _, web_cursor = drain(sync, None, channel="WEB")
    # when the store pricelist's rule for every product changes (it crashed the feed, which never moved on)
    [every] = odoo(simulators, "product.pricelist.item", "search",
                   domain=[["pricelist_id", "=", 2], ["applied_on", "=", "3_global"]])
    odoo(simulators, "product.pricelist.item", "write", ids=[every], vals={"percent_price": 4})
    settled(clock)
    # then the store's sync says any product's price may have changed, naming none
    page = sync(store_cursor, 100, "STORE")["data"]["catalogChanges"]
    assert page["nodes"] == [] and page["changedForEveryProduct"] == ["PRICE"]
    # and the cursor has moved past it; the web channel, with no pricelist, hears nothing
    after = sync(page["pageInfo"]["endCursor"], 100, "STORE")["data"]["catalogChanges"]
    assert after["nodes"] == [] and after["changedForEveryProduct"] == []
    web = sync(web_cursor, 100, "WEB")["data"]["catalogChanges"]
    assert web["nodes"] == [] and web["changedForEveryProduct"] == []


def test_a_variant_written_in_the_erp_comes_as_its_product(backends, sync, clock):
    catalog, simulators = backends
    _, cursor = drain(sync, None)
    product = next(p for p in catalog.products[14:] if p.active)
    # given a new barcode on one of its variants, written on the ERP's product.product
    odoo(simulators, "product.product", "write", ids=[product.variants[-1].erp_id], vals={"barcode": "4000000099996"})
    settled(clock)
    # then delta sync reports the product the variant belongs to, once
    nodes, _ = drain(sync, cursor)
    assert [(n["sku"], sorted(n["aspects"])) for n in nodes] == [(product.sku, ["CONTENT", "PRICE"])]


def test_first_counts_products_however_many_backends_mention_one(backends, sync, clock):
    catalog, simulators = backends
    _, cursor = drain(sync, None)
    both = next(p for p in catalog.products[35:] if p.in_webshop and p.active)
    odoo(simulators, "product.template", "write", ids=[both.erp_id], vals={"list_price": 55.5})
    httpx.put(f"{simulators['woocommerce'].url}/wp-json/wc/v3/products/{both.erp_id}", auth=WOO,
              json={"name": "Changed in two places"}).raise_for_status()
    settled(clock)
    page = sync(cursor, 1)["data"]["catalogChanges"]
    assert [(n["sku"], sorted(n["aspects"])) for n in page["nodes"]] == [(both.sku, ["CONTENT", "PRICE"])]
    assert page["pageInfo"]["hasNextPage"] is False


def test_an_archived_product_comes_as_removed(backends, sync, clock):
    catalog, simulators = backends
    _, cursor = drain(sync, None)
    archived = catalog.products[10]
    odoo(simulators, "product.template", "write", ids=[archived.erp_id], vals={"active": False})
    settled(clock)
    nodes, _ = drain(sync, cursor)
    assert nodes == [{"sku": archived.sku, "removed": True, "aspects": ["CONTENT", "PRICE"],
                      "changedAt": nodes[0]["changedAt"], "product": None}]


def test_pages_split_a_burst_without_losing_or_repeating(backends, sync, clock):
    catalog, simulators = backends
    _, cursor = drain(sync, None)
    burst = [p for p in catalog.products[20:27] if p.active]
    # seven products written in one call: one second, one write_date
    odoo(simulators, "product.template", "write", ids=[p.erp_id for p in burst], vals={"description_sale": "New"})
    settled(clock)
    pages = []
    while True:
        page = sync(cursor, 2)["data"]["catalogChanges"]
        pages.append([n["sku"] for n in page["nodes"]])
        cursor = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    assert all(len(p) <= 2 for p in pages)
    seen = [sku for p in pages for sku in p]
    assert sorted(seen) == sorted(p.sku for p in burst)


def test_the_cursor_means_the_same_to_another_gateway_process(backends, sync, mongo_url, clock):
    catalog, simulators = backends
    _, cursor = drain(sync, None)
    changed = catalog.products[30]
    odoo(simulators, "product.template", "write", ids=[changed.erp_id], vals={"name": "Restarted"})
    settled(clock)
    key = issue_key(mongo_url, "frontend", database=DATABASE, **UNLIMITED)
    with served_gateway(simulators, mongo_url, clock, **GATEWAY) as other:
        client = GraphQLClient(other, key)
        answer = client(CHANGES, {"since": cursor, "first": 10})
        client.http.close()
    assert [n["sku"] for n in answer["data"]["catalogChanges"]["nodes"]] == [changed.sku]


def test_a_failing_backend_keeps_its_place(backends, sync, clock):
    catalog, simulators = backends
    _, cursor = drain(sync, None)
    web = next(p for p in catalog.products[32:] if p.in_webshop and p.active)
    httpx.put(f"{simulators['woocommerce'].url}/wp-json/wc/v3/products/{web.erp_id}", auth=WOO,
              json={"name": "Changed while the sync failed"}).raise_for_status()
    settled(clock)
    simulators["woocommerce"].faults(down=True)
    try:
        answer = sync(cursor)
    finally:
        simulators["woocommerce"].heal()
    # the web-shop's failure is named, the rest answered
    assert answer["errors"][0]["extensions"]["backend"] == "woocommerce"
    assert answer["data"]["catalogChanges"]["nodes"] == []
    # and its change comes with the next sync from the cursor that answer gave
    nodes, _ = drain(sync, answer["data"]["catalogChanges"]["pageInfo"]["endCursor"])
    assert [n["sku"] for n in nodes] == [web.sku]


def swept(simulators, clock: MovingClock | JumpingClock) -> None:
    """Moves the clock past the sweep's interval and returns once a sweep has started and ended; a
    sweep reads the marketplace's items once (17 here: one page), so the count of those reads tells."""
    def reads() -> int:
        return simulators["ebay"].stats().get("GET /sell/inventory/v1/inventory_item", 0)

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 15
        while reads() < count:
            assert time.monotonic() < deadline, "the gateway did not sweep the marketplace"
            time.sleep(0.02)

    # the sweep after next starts only once the next has recorded what it saw
    for _ in range(2):
        before = reads()
        clock.advance(SWEEP)
        wait_for(before + 1)


def test_the_marketplace_without_a_change_query_is_swept(backends, sync, clock):
    catalog, simulators = backends
    offered = next(p for p in catalog.products if p.on_marketplace and p.active)
    variant = offered.variants[0]
    ebay = {"Authorization": "Bearer ebay-demo-token"}
    swept(simulators, clock)
    settled(clock)
    _, cursor = drain(sync, None, channel="MARKETPLACE")
    # given a new offer price, written through eBay's updateOffer
    httpx.put(f"{simulators['ebay'].url}/sell/inventory/v1/offer/{8_000_000_000 + variant.erp_id}", headers=ebay,
              json={"pricingSummary": {"price": {"value": "77.70", "currency": "EUR"}}}).raise_for_status()
    # when sweeps have seen it and the settle time has passed
    swept(simulators, clock)
    assert drain(sync, cursor, channel="MARKETPLACE")[0] == []  # not settled yet
    settled(clock)
    nodes, cursor_after = drain(sync, cursor, channel="MARKETPLACE")
    # then the marketplace channel hears of that product once
    assert [(n["sku"], sorted(n["aspects"])) for n in nodes] == [(offered.sku, ["PRICE", "STOCK"])]
    # and later sweeps, which see the same price, have nothing new to tell
    swept(simulators, clock)
    settled(clock)
    assert drain(sync, cursor_after, channel="MARKETPLACE")[0] == []


def test_since_may_be_left_out(backends, sync, mongo_url):
    client = GraphQLClient(sync.url, issue_key(mongo_url, "frontend", database=DATABASE, **UNLIMITED))
    answer = client("{ catalogChanges(first: 1) { nodes { sku } pageInfo { hasNextPage } } }")
    client.http.close()
    assert "errors" not in answer and len(answer["data"]["catalogChanges"]["nodes"]) == 1


@pytest.mark.parametrize(("since", "first"), [("not-a-cursor", 10), (None, 0), (None, 101)])
def test_bad_arguments_are_named(sync, since, first):
    answer = sync(since, first)
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
