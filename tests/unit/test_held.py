"""What an answer was built from, as its loaders record it for the shared answer cache: the ERP
products it holds, whatever record led to them, and what else can change what it shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.records import ChangeAspect
from resolvers import catalog
from resolvers.loaders import ASSORTMENT, STOCK_TAG, StockSnapshot
from resolvers.stock_cache import StockCache
from tests.unit.fakes import World, product, variant


@pytest.fixture
def world() -> World:
    w = World()
    w.erp.products = [product(1, "P-1"), product(2, "P-2"), product(3, "P-3")]
    w.erp.variants = [variant(10, "P-1-M", 1), variant(20, "P-2-M", 2)]
    return w


async def test_a_page_holds_its_products_and_depends_on_the_assortment(world):
    ctx = world.context()
    await catalog.list_products(ctx, first=2, after=None, text=None, filters=catalog.ProductFilters(),
                                sort_key="ID", reverse=False)
    assert ctx.loaders.held.product_ids == {1, 2}
    assert ctx.loaders.held.depends_on == {ASSORTMENT}


async def test_a_page_filtered_by_availability_depends_on_stock_anywhere(world):
    ctx = world.context()
    await catalog.list_products(ctx, first=2, after=None, text=None,
                                filters=catalog.ProductFilters(available_for_sale=True), sort_key="ID", reverse=False)
    assert ctx.loaders.held.depends_on == {ASSORTMENT, ChangeAspect.STOCK}


async def test_a_lookup_holds_what_it_found_and_only_a_miss_depends_on_the_assortment(world):
    found, missed = world.context(), world.context()
    await catalog.find_product(found, id=None, sku="P-2", gtin=None)
    await catalog.find_product(missed, id=None, sku="P-404", gtin=None)
    assert (found.loaders.held.product_ids, found.loaders.held.depends_on) == ({2}, set())
    assert (missed.loaders.held.product_ids, missed.loaders.held.depends_on) == (set(), {ASSORTMENT})


async def test_a_variant_alone_holds_its_product(world):
    ctx = world.context()
    await ctx.loaders.variant_by_sku.load("P-1-M")
    assert ctx.loaders.held.product_ids == {1}


async def test_the_oldest_stock_figure_is_kept(world):
    now = datetime.now(UTC)
    cache = StockCache(10, clock=lambda: now)
    # given one variant's figure read five seconds ago and kept, the other's not kept
    cache.keep({(STOCK_TAG, 10): StockSnapshot({}, now - timedelta(seconds=5))})
    ctx = world.context()
    ctx.loaders.stock_cache, ctx.loaders.stock_max_age = cache, lambda: 10.0
    # when an answer reads both
    await ctx.loaders.stock_by_variant_id.load_many([10, 20])
    # then it knows when its oldest figure was read
    assert ctx.loaders.held.oldest_stock == now - timedelta(seconds=5)
