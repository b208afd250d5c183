"""WooCommerce REST v3 adapter against the web-shop simulator."""

from __future__ import annotations

import pytest

from commerce_gateway.domain.errors import BackendUnavailable


async def test_content_by_sku_maps_the_documented_fields(backends, catalog):
    seed = next(p for p in catalog.products if p.in_webshop and len(p.variants) > 1)
    [record] = await backends.content.content_by_sku([seed.sku])
    assert record.backend == "woocommerce"
    assert (record.sku, record.title, record.brand, record.categories) == (
        seed.sku, seed.title, seed.brand, (seed.category,))
    assert record.description == seed.description  # HTML stripped
    assert [i.url for i in record.images][0].endswith(f"{seed.sku.lower()}-1.jpg")
    assert [a.key for a in record.attributes] == ["Material"]  # variation attributes are not product facts
    assert record.updated_at is not None and record.updated_at.tzinfo is not None


async def test_unknown_skus_are_simply_absent(backends, catalog):
    missing = next(p for p in catalog.products if not p.in_webshop)
    assert await backends.content.content_by_sku([missing.sku, "NOPE"]) == []


async def test_more_skus_than_a_page_are_fetched_in_batches(backends, catalog, simulators):
    skus = [p.sku for p in catalog.products[:250]]
    simulators["woocommerce"].reset_stats()
    records = await backends.content.content_by_sku(skus)
    assert {r.sku for r in records} == {p.sku for p in catalog.products[:250] if p.in_webshop}
    assert simulators["woocommerce"].stats() == {"GET /wp-json/wc/v3/products": 3}


async def test_query_string_auth_works_too(make_backends, catalog):
    backends = make_backends(CGW_BACKENDS__WOOCOMMERCE__AUTH="query")
    seed = next(p for p in catalog.products if p.in_webshop)
    assert len(await backends.content.content_by_sku([seed.sku])) == 1


async def test_wrong_credentials_are_reported_as_unavailable(make_backends):
    backends = make_backends(CGW_BACKENDS__WOOCOMMERCE__CONSUMER_SECRET="wrong")
    with pytest.raises(BackendUnavailable, match="woocommerce_rest_cannot_view"):
        await backends.content.ping()
