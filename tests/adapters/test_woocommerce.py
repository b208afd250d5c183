"""WooCommerce REST v3 adapter against the web-shop simulator."""

from __future__ import annotations

import pytest

from domain.errors import BackendUnavailable


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
    answered = {sku for r in records for sku in (r.sku, *r.variant_skus)} & set(skus)
    assert answered == {p.sku for p in catalog.products[:250] if p.in_webshop}
    # three pages of SKUs, and in each the parents of the variations found (products 46, 96, …)
    assert simulators["woocommerce"].stats() == {"GET /wp-json/wc/v3/products": 6}


async def test_a_variable_product_with_a_sku_of_its_own_is_found_through_a_variation(backends, catalog):
    # given a variable product whose parent SKU is not the ERP's (the ERP's names a variant)
    seed = next(p for p in catalog.products if p.codeless and p.in_webshop)
    assert seed.webshop_sku != seed.sku
    # when its content is asked under the ERP's SKU and another variant's
    records = await backends.content.content_by_sku([seed.sku, seed.variants[2].sku])
    # then the parent product comes back once, with the variations it was found through
    [record] = records
    assert (record.sku, record.title, record.categories) == (seed.webshop_sku, seed.title, (seed.category,))
    assert sorted(record.variant_skus) == sorted([seed.sku, seed.variants[2].sku])


async def test_query_string_auth_works_too(make_backends, catalog):
    backends = make_backends(CGW_BACKENDS__WOOCOMMERCE__AUTH="query")
    seed = next(p for p in catalog.products if p.in_webshop)
    assert len(await backends.content.content_by_sku([seed.sku])) == 1


async def test_wrong_credentials_are_reported_as_unavailable(make_backends):
    backends = make_backends(CGW_BACKENDS__WOOCOMMERCE__CONSUMER_SECRET="wrong")
    with pytest.raises(BackendUnavailable, match="woocommerce_rest_cannot_view"):
        await backends.content.ping()


async def test_coupons_are_read_by_code_one_call_each(backends, simulators):
    simulators["woocommerce"].reset_stats()
    coupons = await backends.content.coupons_by_code(["SAVE5", "summer2025", "no-such-code"])
    assert {c.code for c in coupons} == {"save5", "summer2025"}
    save5 = next(c for c in coupons if c.code == "save5")
    assert (save5.discount_type, str(save5.amount), str(save5.minimum_amount), save5.usage_limit) == (
        "fixed_cart", "5.00", "50.00", 1000)
    assert save5.expires_at is not None and save5.expires_at.tzinfo is not None
    assert simulators["woocommerce"].stats() == {"GET /wp-json/wc/v3/coupons": 3}
