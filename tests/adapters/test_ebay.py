"""eBay Sell Inventory adapter against the marketplace simulator."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient

from adapters.deadline import request_deadline
from adapters.ebay.adapter import LIST_PAGE
from adapters.mongo.fingerprints import MongoFingerprintStore
from domain.errors import BackendTimeout, BackendUnavailable, MalformedRecord, RecordError
from domain.records import MarketplaceItem
from resolvers.marketplace_sweep import sweep
from simulators.catalog import marketplace_pool

EBAY = {"Authorization": "Bearer ebay-demo-token"}


async def test_inventory_comes_in_bulk_calls_of_twenty_five(backends, catalog, simulators):
    listed = [v for p in catalog.products if p.on_marketplace for v in p.variants][:60]
    simulators["ebay"].reset_stats()
    items = await backends.marketplace.inventory_by_sku([v.sku for v in listed] + ["NOPE"])
    assert {i.sku: i.quantity for i in items} == {v.sku: marketplace_pool(v.erp_id) for v in listed}
    assert simulators["ebay"].stats() == {"POST /sell/inventory/v1/bulk_get_inventory_item": 3}


async def test_the_whole_inventory_is_listed_page_by_page(backends, catalog, simulators):
    # given more items than a page holds, where `offset` counts pages (the spec's getInventoryItems)
    listed = [v for p in catalog.products if p.on_marketplace for v in p.variants]
    assert len(listed) > 2 * LIST_PAGE
    simulators["ebay"].reset_stats()
    # when
    items = await backends.marketplace.all_inventory()
    # then every page was read, one call each, by the `next` link of the one before
    assert {i.sku: i.quantity for i in items} == {v.sku: marketplace_pool(v.erp_id) for v in listed}
    assert simulators["ebay"].stats() == {"GET /sell/inventory/v1/inventory_item": -(-len(listed) // LIST_PAGE)}


def test_the_inventory_list_links_its_pages_as_ebay_does(simulators, catalog):
    listed = [v for p in catalog.products if p.on_marketplace for v in p.variants]
    second = simulators["ebay"].http.get("/sell/inventory/v1/inventory_item", params={"limit": 100, "offset": 1},
                                         headers=EBAY).json()
    assert [i["sku"] for i in second["inventoryItems"]] == [v.sku for v in listed[100:200]]
    assert {k: v for k, v in second.items() if k != "inventoryItems"} == {
        "href": "/sell/inventory/v1/inventory_item?offset=1&limit=100",
        "next": "/sell/inventory/v1/inventory_item?offset=2&limit=100",
        "prev": "/sell/inventory/v1/inventory_item?offset=0&limit=100",
        "limit": 100, "size": -(-len(listed) // 100), "total": len(listed)}


def sold_beside_other_offers(catalog, kind: int):
    """A SKU the simulator offers in another way too (simulators/ebay.py: erp_id % 5)."""
    return next((p, v) for p in catalog.products if p.on_marketplace for v in p.variants if v.erp_id % 5 == kind)


async def test_the_published_fixed_price_offer_prices_a_sku_with_several(backends, catalog, simulators):
    # given SKUs listed after an unpublished auction without a price, a published auction with a
    # Buy It Now price, and a fixed-price offer on another marketplace
    seeds = [sold_beside_other_offers(catalog, kind) for kind in (0, 1, 2)]
    answers = [simulators["ebay"].http.get("/sell/inventory/v1/offer", params={"sku": v.sku}, headers=EBAY).json()
               for _, v in seeds]
    assert [[(o["format"], o["status"], o["marketplaceId"]) for o in a["offers"]] for a in answers] == [
        [("AUCTION", "UNPUBLISHED", "EBAY_DE"), ("FIXED_PRICE", "PUBLISHED", "EBAY_DE")],
        [("AUCTION", "PUBLISHED", "EBAY_DE"), ("FIXED_PRICE", "PUBLISHED", "EBAY_DE")],
        [("FIXED_PRICE", "PUBLISHED", "EBAY_AT"), ("FIXED_PRICE", "PUBLISHED", "EBAY_DE")]]
    # when
    offers = await backends.marketplace.offers_by_sku([v.sku for _, v in seeds])
    # then each is priced by its fixed-price listing on the configured marketplace
    assert [(o.sku, o.price.amount) for o in offers] == [(v.sku, catalog.offer_price(p, v)) for p, v in seeds]


@contextlib.contextmanager
def without_quantity(simulators, variant):
    """The variant's inventory item replaced by one without availability (eBay allows it until an offer
    is published), then restored."""
    url = f"/sell/inventory/v1/inventory_item/{variant.sku}"
    simulators["ebay"].http.put(url, json={"condition": "NEW"}, headers=EBAY).raise_for_status()
    try:
        yield
    finally:
        simulators["ebay"].http.put(url, headers=EBAY, json={"availability": {"shipToLocationAvailability": {
            "quantity": marketplace_pool(variant.erp_id)}}}).raise_for_status()


async def test_an_item_without_quantity_is_reported_for_its_sku_only(backends, catalog, simulators):
    listed = [v for p in catalog.products if p.on_marketplace for v in p.variants]
    bad, good = listed[1], [listed[0], *listed[2:30]]
    with without_quantity(simulators, bad):
        items = await backends.marketplace.inventory_by_sku([v.sku for v in listed[:30]])
        everything = await backends.marketplace.all_inventory()
    for found in (items, everything):
        errors = [i for i in found if isinstance(i, RecordError)]
        assert [(e.key, type(e)) for e in errors] == [(bad.sku, MalformedRecord)]
        assert "no availability.shipToLocationAvailability.quantity" in str(errors[0])
    assert {i.sku: i.quantity for i in items if isinstance(i, MarketplaceItem)} == {
        v.sku: marketplace_pool(v.erp_id) for v in good}
    assert len(everything) == len(listed)


async def test_the_sweep_goes_on_past_a_bad_record(backends, catalog, simulators, mongo_url):
    listed = [v for p in catalog.products if p.on_marketplace for v in p.variants]
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    store = MongoFingerprintStore(client, f"test_sweep_{uuid.uuid4().hex}")
    await store.prepare()
    try:
        with without_quantity(simulators, listed[5]):
            changed = await sweep(backends.marketplace, store, 60)
        # every item was fingerprinted, the one without a quantity as such
        assert changed == len(listed)
        seen = await store.changes("ebay", None, datetime.now(UTC) + timedelta(hours=1), 1_000)
        assert sorted(c.key for c in seen) == sorted(v.sku for v in listed)
    finally:
        await client.close()


async def test_offers_carry_the_marketplace_price(backends, catalog):
    seed = next(p for p in catalog.products if p.on_marketplace)
    missing = next(p for p in catalog.products if not p.on_marketplace)
    offers = await backends.marketplace.offers_by_sku([seed.variants[0].sku, missing.variants[0].sku])
    assert [(o.sku, o.price.amount, o.price.currency) for o in offers] == [
        (seed.variants[0].sku, seed.marketplace_price, "EUR")]


async def test_a_wrong_token_is_reported_as_unavailable(make_backends):
    backends = make_backends(CGW_BACKENDS__EBAY__ACCESS_TOKEN="expired")
    with pytest.raises(BackendUnavailable, match="1001"):
        await backends.marketplace.inventory_by_sku(["CG-000001-S"])


async def test_the_offer_lookups_of_one_request_share_one_deadline(make_backends, catalog, simulators):
    # given one slot for offer lookups and calls that take 200 ms, with a 500 ms timeout
    backends = make_backends(CGW_BACKENDS__EBAY__OFFER_CONCURRENCY="1")
    simulators["ebay"].faults(latency_ms=200)
    skus = [v.sku for p in catalog.products if p.on_marketplace for v in p.variants][:5]
    # when one request asks for five offers (a second of calls one after another)
    started = time.perf_counter()
    with pytest.raises(BackendTimeout):
        await backends.marketplace.offers_by_sku(skus)
    # then the wait for the slot counted: the lookups ended together by the one deadline
    assert time.perf_counter() - started < 0.8


async def test_a_request_deadline_ends_backend_calls_sooner_than_their_timeout(backends, simulators):
    simulators["ebay"].faults(latency_ms=300)
    started = time.perf_counter()
    with request_deadline(0.1), pytest.raises(BackendTimeout):
        await backends.marketplace.inventory_by_sku(["CG-000001-S"])
    assert time.perf_counter() - started < 0.25


async def test_the_sweep_has_slots_of_its_own(make_backends, catalog, simulators):
    # given a sweep holding its one slot for a slow lookup
    backends = make_backends(CGW_BACKENDS__EBAY__SWEEP_OFFER_CONCURRENCY="1")
    simulators["ebay"].faults(latency_ms=300)
    sku = next(p for p in catalog.products if p.on_marketplace).variants[0].sku
    sweeping = asyncio.ensure_future(backends.marketplace.offers_by_sku([sku] * 3, sweep=True))
    await asyncio.sleep(0.05)
    # when a request asks for the same offer
    started = time.perf_counter()
    offers = await backends.marketplace.offers_by_sku([sku])
    # then it is answered in one call's time, not after the sweep's three
    assert [o.sku for o in offers] == [sku] and time.perf_counter() - started < 0.5
    assert len(await sweeping) == 3
