"""eBay Sell Inventory adapter against the marketplace simulator."""

from __future__ import annotations

import pytest

from domain.errors import BackendUnavailable
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
