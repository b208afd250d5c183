"""Field ownership with fallback, and what an outage does to it."""

from __future__ import annotations

import asyncio

import pytest

from domain.errors import BackendUnavailable
from domain.records import AppVariant, ContentRecord
from domain.roles import Role
from resolvers.merge import content_field
from resolvers.rules import CatalogRules
from tests.unit.fakes import World, product, variant


@pytest.fixture
def world() -> World:
    w = World()
    w.erp.products = [product(1, "P-1", "ERP TITLE"), product(2, "P-2", "SECOND")]
    w.erp.variants = [variant(10, "P-1-M", 1), variant(20, "P-2-M", 2)]
    w.content.records = [ContentRecord(backend="woocommerce", sku="P-1", title="Web Title", brand=None)]
    w.app.records = [AppVariant(sku="P-2-M", price=None, original_price=None, currency=None,
                                product=ContentRecord(backend="medusa", sku="p-2", title="App Title"))]
    return w


async def test_the_first_owner_that_knows_the_field_supplies_it(world):
    ctx = world.context()
    title = await content_field(ctx, world.erp.products[0], "title")
    assert (title.value, title.backend) == ("Web Title", "woocommerce")


async def test_an_empty_field_falls_through_to_the_next_owner(world):
    # the web-shop knows P-1 but has no brand for it
    brand = await content_field(world.context(), world.erp.products[0], "brand")
    assert (brand.value, brand.backend) == ("ErpBrand", "odoo")


async def test_a_product_the_first_owner_lacks_comes_from_the_second(world):
    title = await content_field(world.context(), world.erp.products[1], "title")
    assert (title.value, title.backend) == ("App Title", "medusa")


async def test_an_outage_of_the_owner_is_an_error_not_a_silent_fallback(world):
    world.content.fail()
    with pytest.raises(BackendUnavailable) as raised:
        await content_field(world.context(), world.erp.products[0], "title")
    assert raised.value.backend == "woocommerce"


async def test_the_ownership_order_is_configuration(world):
    world.rules = CatalogRules(channels=world.rules.channels,
                               ownership={**world.rules.ownership, "title": (Role.ERP, Role.WEB_SHOP)})
    title = await content_field(world.context(), world.erp.products[0], "title")
    assert (title.value, title.backend) == ("ERP TITLE", "odoo")


async def test_nothing_known_anywhere_gives_an_empty_value_without_source(world):
    world.rules = CatalogRules(channels=world.rules.channels,
                               ownership={**world.rules.ownership, "images": (Role.WEB_SHOP,)})
    images = await content_field(world.context(), world.erp.products[1], "images")
    assert (images.value, images.backend) == ((), None)


async def test_one_content_call_serves_every_product_of_a_request(world):
    ctx = world.context()
    await asyncio.gather(*(content_field(ctx, p, "title") for p in world.erp.products))
    # one for the products' SKUs, one for the variants of those the web-shop lacks under their own
    assert [c for c in world.content.calls if c[0] == "content_by_sku"] == [
        ("content_by_sku", (("P-1", "P-2"),)), ("content_by_sku", (("P-2-M",),))]


async def test_content_under_a_sku_of_its_own_is_matched_through_a_variant(world):
    # given a web-shop product whose own SKU is not the ERP's: it answers to its variation's SKU
    world.erp.products.append(product(3, "P-3", "THIRD"))
    world.erp.variants += [variant(30, "P-3-S", 3), variant(31, "P-3-M", 3)]
    world.content.records.append(ContentRecord(backend="woocommerce", sku="WEB-3", title="Web Third",
                                               variant_skus=("P-3-M",)))
    ctx = world.context()
    title = await content_field(ctx, world.erp.products[2], "title")
    assert (title.value, title.backend) == ("Web Third", "woocommerce")


async def test_app_content_is_matched_through_any_variant_the_app_sells(world):
    # given a product whose first variant the app does not sell
    world.erp.products.append(product(3, "P-3", "THIRD"))
    world.erp.variants += [variant(30, "P-3-S", 3), variant(31, "P-3-M", 3)]
    world.app.records.append(AppVariant(sku="P-3-M", price=None, original_price=None, currency=None,
                                        product=ContentRecord(backend="medusa", sku=None, title="App Third",
                                                              variant_skus=("P-3-M",))))
    title = await content_field(world.context(), world.erp.products[2], "title")
    assert (title.value, title.backend) == ("App Third", "medusa")
