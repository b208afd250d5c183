"""Price selection and stock aggregation per channel."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.channels import Channel
from domain.errors import BackendUnavailable
from domain.records import (
    AppVariant,
    ContentRecord,
    GeoPoint,
    MarketplaceItem,
    MarketplaceOffer,
    PriceListEntry,
    StockQuant,
)
from resolvers.pricing import price_range, variant_price
from resolvers.stock import store_availability, variant_stock
from tests.unit.fakes import World, money, product, variant

V = variant(10, "P-1-M", 1, "20.00")


@pytest.fixture
def world() -> World:
    w = World()
    w.erp.products = [product(1, "P-1")]
    w.erp.variants = [V, variant(11, "P-1-L", 1, "25.00")]
    w.erp.prices = {2: [PriceListEntry(10, Decimal("18.00"), Decimal(5)), PriceListEntry(10, Decimal("19.00"))]}
    w.erp.quants = [StockQuant(10, 11, Decimal(7), Decimal(2)), StockQuant(10, 21, Decimal(3), Decimal(0)),
                    StockQuant(10, 22, Decimal(1), Decimal(4)), StockQuant(11, 11, Decimal(0), Decimal(0))]
    w.app.records = [AppVariant("P-1-M", Decimal("15.00"), Decimal("20.00"), "EUR",
                                ContentRecord(backend="medusa", sku="p-1"))]
    w.marketplace.items = [MarketplaceItem("P-1-M", 4)]
    w.marketplace.offers = [MarketplaceOffer("P-1-M", money("22.99"), 4)]
    return w


async def test_the_erp_list_price_is_the_default_everywhere(world):
    for channel in (Channel.WEB, Channel.CALL_CENTER):
        quote = await variant_price(world.context(channel), V)
        assert (quote.price, quote.compare_at, quote.source) == (money("20.00"), None, "odoo")


async def test_a_channel_pricelist_overrides_with_its_unit_price(world):
    # the entry for quantity 0 wins over the bulk entry for 5+
    quote = await variant_price(world.context(Channel.STORE), V)
    assert (quote.price, quote.source) == (money("19.00"), "odoo")


async def test_the_app_shows_its_promotion_with_the_original_as_compare_at(world):
    quote = await variant_price(world.context(Channel.APP), V)
    assert (quote.price, quote.compare_at, quote.source) == (money("15.00"), money("20.00"), "medusa")


async def test_a_variant_the_app_backend_lacks_keeps_the_erp_price(world):
    quote = await variant_price(world.context(Channel.APP), world.erp.variants[1])
    assert (quote.price, quote.source) == (money("25.00"), "odoo")


async def test_an_app_price_in_another_currency_is_not_shown_as_euros(world):
    world.app.records = [AppVariant("P-1-M", Decimal("9.00"), Decimal("9.00"), "USD",
                                    ContentRecord(backend="medusa", sku="p-1"))]
    quote = await variant_price(world.context(Channel.APP), V)
    assert quote.price == money("20.00")


async def test_the_marketplace_uses_its_offer_price(world):
    quote = await variant_price(world.context(Channel.MARKETPLACE), V)
    assert (quote.price, quote.source) == (money("22.99"), "ebay")


async def test_an_outage_of_the_channels_price_owner_raises(world):
    world.app.fail()
    with pytest.raises(BackendUnavailable):
        await variant_price(world.context(Channel.APP), V)


async def test_price_range_spans_the_variants(world):
    low, high = await price_range(world.context(), world.erp.variants)
    assert (low, high) == (money("20.00"), money("25.00"))


async def test_stock_is_on_hand_minus_reserved_over_the_channels_warehouses(world):
    figure = await variant_stock(world.context(Channel.WEB), V)
    assert (figure.quantity, figure.source) == (5, "odoo")
    assert figure.as_of.tzinfo is not None


async def test_reservations_above_on_hand_never_count_negative(world):
    figure = await variant_stock(world.context(Channel.STORE), V)
    assert figure.quantity == 3  # Berlin 3 − 0, Munich max(0, 1 − 4)


async def test_the_store_in_context_narrows_stock_to_that_store(world):
    ctx = world.context(Channel.STORE)
    ctx.store_code = "BER"
    assert (await variant_stock(ctx, V)).quantity == 3


async def test_the_marketplace_sees_its_own_pool(world):
    figure = await variant_stock(world.context(Channel.MARKETPLACE), V)
    assert (figure.quantity, figure.source) == (4, "ebay")


async def test_store_availability_is_sorted_by_distance_and_sums_variants(world):
    munich_centre = GeoPoint(48.137, 11.575)
    rows = await store_availability(world.context(), world.erp.variants, munich_centre, 10)
    assert [(r.store.code, r.quantity, r.ready_within) for r in rows] == [("MUC", 0, None), ("BER", 3, "PT2H")]
    assert rows[0].distance_km < 1 < rows[1].distance_km


async def test_one_stock_call_serves_every_variant_and_location(world):
    import asyncio

    ctx = world.context()
    await asyncio.gather(*(variant_stock(ctx, v) for v in world.erp.variants),
                         store_availability(ctx, world.erp.variants, None, 5))
    assert [c[0] for c in world.erp.calls].count("stock_quants") == 1
