"""eBay sync calls against a marketplace simulator of their own (they write): price and quantity
updates in bulk, and the orders modified in a window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest

from domain.errors import BackendError, RecordError
from domain.records import Money, PriceQuantityUpdate, PriceQuantityUpdated
from simulators import ebay
from simulators.catalog import Catalog
from tests.clock import MovingClock
from tests.servers import ServerThread, Simulator

EBAY = {"Authorization": "Bearer ebay-demo-token"}


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture
def market(clock) -> Iterator[tuple[Catalog, Simulator]]:
    catalog = Catalog(120, clock=clock)
    sim = Simulator("ebay", ServerThread(ebay.create_app(catalog)).start())
    yield catalog, sim
    sim.http.close()
    sim.server.stop()


@pytest.fixture
def marketplace(make_backends, market):
    return make_backends(CGW_BACKENDS__EBAY__BASE_URL=market[1].url).marketplace


def listed(catalog: Catalog):
    return [v for p in catalog.products if p.on_marketplace for v in p.variants]


def update(variant, quantity: int, price: str = "19.99") -> PriceQuantityUpdate:
    return PriceQuantityUpdate(variant.sku, f"{ebay.OFFER_ID_BASE + variant.erp_id}", quantity,
                               Money(Decimal(price), "EUR"))


async def test_updates_go_in_calls_of_twenty_five_and_read_back(market, marketplace):
    catalog, sim = market
    variants = listed(catalog)[:60]
    sim.reset_stats()
    # when 60 SKUs get new quantities and prices
    results = await marketplace.update_price_quantity([update(v, i % 7, f"{10 + i}.50") for i, v in enumerate(variants)])
    # then three calls carried them, and the items and offers read back as written
    assert sim.stats() == {"POST /sell/inventory/v1/bulk_update_price_quantity": 3}
    assert results == [PriceQuantityUpdated(v.sku, f"{ebay.OFFER_ID_BASE + v.erp_id}") for v in variants]
    items = await marketplace.inventory_by_sku([v.sku for v in variants])
    assert {i.sku: i.quantity for i in items} == {v.sku: i % 7 for i, v in enumerate(variants)}
    offers = await marketplace.offers_by_sku([v.sku for v in variants[:5]])
    assert [(o.price.amount, o.available_quantity) for o in offers] == [
        (Decimal(f"{10 + i}.50"), i % 7) for i in range(5)]


async def test_an_unknown_sku_fails_alone(market, marketplace):
    catalog, sim = market
    good = listed(catalog)[:3]
    unknown = PriceQuantityUpdate("NO-SUCH-SKU", "8000000000", 4)
    # the simulator answers 207 with the unknown SKU's error beside the others' success
    raw = sim.http.post("/sell/inventory/v1/bulk_update_price_quantity", headers=EBAY, json={"requests": [
        {"sku": "NO-SUCH-SKU", "shipToLocationAvailability": {"quantity": 1}}]})
    assert raw.status_code == 207 and raw.json()["responses"][0]["errors"][0]["errorId"] == 25702
    results = await marketplace.update_price_quantity([update(good[0], 5), unknown, update(good[1], 6)])
    assert isinstance(results[1], RecordError) and results[1].key == "NO-SUCH-SKU"
    assert "SKU NO-SUCH-SKU is not available" in str(results[1]) and results[1].error_id == "25702"
    assert [type(r) for r in (results[0], results[2])] == [PriceQuantityUpdated] * 2
    assert [i.quantity for i in await marketplace.inventory_by_sku([good[0].sku, good[1].sku])] == [5, 6]


def test_more_than_twenty_five_requests_are_refused(market):
    _, sim = market
    answer = sim.http.post("/sell/inventory/v1/bulk_update_price_quantity", headers=EBAY,
                           json={"requests": [{"sku": f"S{i}"} for i in range(26)]})
    assert answer.status_code == 400 and answer.json()["errors"][0]["errorId"] == 25709


async def test_orders_are_read_by_modification_window_page_by_page(market, marketplace, clock):
    catalog, sim = market
    variant = listed(catalog)[0]
    pool = catalog.pool(variant.erp_id)
    assert pool >= 3
    # given an order before the window and five within it, a second apart
    sim.http.post("/__orders", json={"sku": variant.sku, "quantity": 1}).raise_for_status()
    since = clock.advance(60)
    made = []
    for _ in range(5):
        clock.advance(1)
        made.append(sim.http.post("/__orders", json={"sku": listed(catalog)[1].sku, "quantity": 1}).json())
    sim.reset_stats()
    # when read two a page
    orders = await marketplace.orders_modified(since, clock(), 2)
    # then the five came in three pages, whole, and the purchases lowered the pools
    assert [o.order_id for o in orders] == [m["orderId"] for m in made]
    assert sim.stats() == {"GET /sell/fulfillment/v1/order": 3}
    first = orders[0]
    assert (first.lines[0].sku, first.lines[0].quantity, first.buyer) == (listed(catalog)[1].sku, 1, "buyer_one")
    assert first.total.amount == catalog.offer_price(*catalog.variants_by_sku[listed(catalog)[1].sku])
    assert first.modified_at == since + timedelta(seconds=1)
    assert catalog.pool(variant.erp_id) == pool - 1
    [item] = await marketplace.inventory_by_sku([variant.sku])
    assert item.quantity == pool - 1


async def test_a_refused_order_filter_is_a_clear_error(market, marketplace, clock):
    _, sim = market
    raw = sim.http.get("/sell/fulfillment/v1/order", headers=EBAY, params={"filter": "lastmodifieddate:[yesterday..]"})
    assert raw.status_code == 400 and raw.json()["errors"][0]["errorId"] == 30810
    # a window that ends before it starts is refused by the marketplace, and said so
    with pytest.raises(BackendError, match=r"refused the order query lastmodifieddate:\[.*30840: Start date should"):
        await marketplace.orders_modified(clock(), clock() - timedelta(hours=1), 50)
    # as is one that ends after the marketplace's now (a clock ahead of eBay's): a window left open is not
    with pytest.raises(BackendError, match=r"30850: Start and end dates can't be in the future"):
        await marketplace.orders_modified(clock() - timedelta(hours=1), clock() + timedelta(seconds=1), 50)
    assert await marketplace.orders_modified(clock() - timedelta(hours=1), None, 50) == []
    for params, error_id in (({"filter": "creationdat:[2026-01-01T00:00:00.000Z..]"}, 30700),
                             ({"filter": "lastmodifieddate:2026"}, 30800), ({"limit": "201"}, 31100),
                             ({"offset": "-1"}, 31000)):
        raw = sim.http.get("/sell/fulfillment/v1/order", headers=EBAY, params=params)
        assert raw.json()["errors"][0]["errorId"] == error_id, params
