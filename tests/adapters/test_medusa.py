"""Medusa v2 Store API adapter against the app-backend simulator."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import BackendError
from simulators.medusa import sold_variants


async def test_variants_carry_calculated_and_original_prices(backends, catalog):
    seed = next(p for p in catalog.products if p.in_app and p.app_promotion)
    found = await backends.app.variants_by_sku([v.sku for v in seed.variants])
    assert [v.sku for v in found] == [v.sku for v in seed.variants]
    first = found[0]
    assert first.original_price == seed.variants[0].list_price
    assert first.price == (seed.variants[0].list_price * seed.app_promotion).quantize(Decimal("0.01"))
    assert first.currency == "EUR"
    assert first.product.title == seed.title and first.product.backend == "medusa"


async def test_only_the_asked_variants_come_back(backends, catalog):
    seed = next(p for p in catalog.products if p.in_app and len(p.variants) > 1)
    found = await backends.app.variants_by_sku([seed.variants[0].sku, "NOPE-1"])
    assert [v.sku for v in found] == [seed.variants[0].sku]


async def test_pages_are_followed_by_offset(backends, catalog, simulators):
    sold = [p for p in catalog.products[:200] if p.in_app]
    skus = [v.sku for p in sold for v in sold_variants(p)]
    simulators["medusa"].reset_stats()
    found = await backends.app.variants_by_sku(skus)
    assert {v.sku for v in found} == set(skus)
    assert simulators["medusa"].stats()["GET /store/products"] == -(-len(sold) // 100)


async def test_a_wrong_publishable_key_is_reported(make_backends):
    backends = make_backends(CGW_BACKENDS__MEDUSA__PUBLISHABLE_KEY="pk_wrong")
    with pytest.raises(BackendError, match="publishable key"):
        await backends.app.ping()


async def test_an_unknown_region_is_reported(make_backends):
    backends = make_backends(CGW_BACKENDS__MEDUSA__REGION_ID="reg_mars")
    with pytest.raises(BackendError, match="reg_mars"):
        await backends.app.variants_by_sku(["CG-000001-S"])


async def test_app_content_is_matched_through_variant_skus_not_the_handle(backends, catalog, simulators):
    # given a product whose handle is a URL slug, as on a real store
    seed = next(p for p in catalog.products if p.in_app and p.codeless)
    listed = simulators["medusa"].http.get("/store/products", params={"variants[sku][]": seed.variants[1].sku},
                                           headers={"x-publishable-api-key": "pk_demo"}).json()["products"]
    assert listed[0]["handle"].startswith(seed.title.lower().replace(" ", "-"))
    # when its variants are asked for
    found = await backends.app.variants_by_sku([v.sku for v in seed.variants])
    # then its content names no SKU of its own, only its variants' (the app sells all but the first)
    assert {v.product.sku for v in found} == {None}
    assert found[0].product.variant_skus == tuple(v.sku for v in seed.variants[1:])
