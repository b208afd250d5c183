"""Medusa v2 Store API adapter against the app-backend simulator."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import BackendError


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
    skus = [v.sku for p in catalog.products[:200] if p.in_app for v in p.variants]
    simulators["medusa"].reset_stats()
    found = await backends.app.variants_by_sku(skus)
    assert {v.sku for v in found} == set(skus)
    assert simulators["medusa"].stats()["GET /store/products"] == -(-len({s.rsplit("-", 1)[0] for s in skus}) // 100)


async def test_a_wrong_publishable_key_is_reported(make_backends):
    backends = make_backends(CGW_BACKENDS__MEDUSA__PUBLISHABLE_KEY="pk_wrong")
    with pytest.raises(BackendError, match="publishable key"):
        await backends.app.ping()


async def test_an_unknown_region_is_reported(make_backends):
    backends = make_backends(CGW_BACKENDS__MEDUSA__REGION_ID="reg_mars")
    with pytest.raises(BackendError, match="reg_mars"):
        await backends.app.variants_by_sku(["CG-000001-S"])
