"""eBay Sell Inventory adapter against the marketplace simulator."""

from __future__ import annotations

import asyncio
import time

import pytest

from adapters.deadline import request_deadline
from domain.errors import BackendTimeout, BackendUnavailable
from simulators.catalog import marketplace_pool


async def test_inventory_comes_in_bulk_calls_of_twenty_five(backends, catalog, simulators):
    listed = [v for p in catalog.products if p.on_marketplace for v in p.variants][:60]
    simulators["ebay"].reset_stats()
    items = await backends.marketplace.inventory_by_sku([v.sku for v in listed] + ["NOPE"])
    assert {i.sku: i.quantity for i in items} == {v.sku: marketplace_pool(v.erp_id) for v in listed}
    assert simulators["ebay"].stats() == {"POST /sell/inventory/v1/bulk_get_inventory_item": 3}


async def test_the_whole_inventory_is_listed_page_by_page(backends, catalog, simulators):
    listed = [v for p in catalog.products if p.on_marketplace for v in p.variants]
    simulators["ebay"].reset_stats()
    items = await backends.marketplace.all_inventory()
    assert {i.sku: i.quantity for i in items} == {v.sku: marketplace_pool(v.erp_id) for v in listed}
    assert simulators["ebay"].stats() == {"GET /sell/inventory/v1/inventory_item": -(-len(listed) // 100)}


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
