"""WooCommerce REST v3 adapter against the web-shop simulator."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from domain.errors import BackendUnavailable
from domain.records import Attribute
from simulators.woocommerce import DRAFT_SKU

WOO = ("ck_demo", "cs_demo")


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


@pytest.mark.parametrize(("setting", "said"), [
    ("CONSUMER_SECRET", "woocommerce_rest_authentication_error: Consumer secret is invalid."),
    ("CONSUMER_KEY", "woocommerce_rest_cannot_view: Sorry, you cannot list resources."),
])
async def test_wrong_credentials_are_reported_naming_the_settings(make_backends, simulators, setting, said):
    # given a key pair the shop does not accept: its 401 says nothing of how to authenticate
    refused = httpx.get(f"{simulators['woocommerce'].url}/wp-json/wc/v3/products", auth=("ck_demo", "wrong"))
    assert refused.status_code == 401 and "www-authenticate" not in refused.headers
    backends = make_backends(**{f"CGW_BACKENDS__WOOCOMMERCE__{setting}": "wrong"})
    # when the web-shop is asked, then the error says what the shop said and which settings to check
    with pytest.raises(BackendUnavailable) as refusal:
        await backends.content.ping()
    assert said in str(refusal.value)
    assert "backends.woocommerce.consumer_key and consumer_secret" in str(refusal.value)
    assert "backends.woocommerce.auth = query" in str(refusal.value)


async def test_a_draft_is_neither_content_nor_a_change(backends):
    # given a draft product in the shop, which a read key sees unless published ones are asked for
    # when it is asked for by SKU, and the shop's changes are read
    records = await backends.content.content_by_sku([DRAFT_SKU])
    changes = await backends.content.content_changes(None, datetime(2100, 1, 1, tzinfo=UTC), 10_000)
    # then it is in neither
    assert records == []
    assert DRAFT_SKU not in {c.sku for c in changes} and changes


async def test_a_variation_sku_finds_its_parent_product_and_its_content(backends, catalog, simulators):
    # given a variable product's variation, which the shop answers with one `option` and no text or terms
    seed = next(p for p in catalog.products if p.in_webshop and len(p.variants) > 1)
    variant = seed.variants[1]
    simulators["woocommerce"].reset_stats()
    # when its SKU is asked for
    [record] = await backends.content.content_by_sku([variant.sku])
    # then the record is its parent product's (text, brand, categories, images), found through the variation
    assert (record.sku, record.variant_skus) == (seed.webshop_sku, (variant.sku,))
    assert (record.title, record.description, record.brand, record.categories) == (
        seed.title, seed.description, seed.brand, (seed.category,))
    assert "Size" not in [a.key for a in record.attributes]  # one variation's choice is not the product's
    assert len(record.images) == 2 and record.shop_product_id == seed.index + 1
    # from one call by SKU and one for the parents
    assert simulators["woocommerce"].stats() == {"GET /wp-json/wc/v3/products": 2}


async def test_the_parents_of_many_variations_come_in_one_call(backends, catalog, simulators):
    variable = [p for p in catalog.products if p.in_webshop and len(p.variants) > 1][:40]
    skus = [v.sku for p in variable for v in p.variants[:2]]
    simulators["woocommerce"].reset_stats()
    records = await backends.content.content_by_sku(skus)
    assert {s: r.title for r in records for s in r.variant_skus} == {
        v.sku: p.title for p in variable for v in p.variants[:2]}
    assert simulators["woocommerce"].stats() == {"GET /wp-json/wc/v3/products": 2}


async def test_skus_match_without_case_and_come_back_as_asked(backends, catalog):
    # given a product whose SKU is asked in another case than the shop writes it, and in its own
    seed = next(p for p in catalog.products if p.in_webshop)
    # when both are asked, then the shop's product comes back under each spelling, as MySQL matches them
    records = await backends.content.content_by_sku([seed.sku.lower(), seed.sku])
    assert sorted(r.sku for r in records) == sorted([seed.sku.lower(), seed.sku])
    assert {r.title for r in records} == {seed.title}


async def test_coupon_codes_are_kept_lower_cased_and_found_in_any_case(backends, simulators):
    # given a coupon created as SAVE-…, which WooCommerce keeps as save-…
    code = f"SAVE-{uuid.uuid4().hex[:8].upper()}"
    created = httpx.post(f"{simulators['woocommerce'].url}/wp-json/wc/v3/coupons", auth=WOO,
                         json={"code": code, "discount_type": "percent", "amount": "10"})
    assert created.json()["code"] == code.lower()
    # when it is looked up in another case, then it is found, under its lower-cased code
    [coupon] = await backends.content.coupons_by_code([code.title()])
    assert (coupon.code, coupon.discount_type) == (code.lower(), "percent")


async def test_coupons_are_read_by_code_one_call_each(backends, simulators):
    simulators["woocommerce"].reset_stats()
    coupons = await backends.content.coupons_by_code(["SAVE5", "summer2025", "no-such-code"])
    assert {c.code for c in coupons} == {"save5", "summer2025"}
    save5 = next(c for c in coupons if c.code == "save5")
    assert (save5.discount_type, str(save5.amount), str(save5.minimum_amount), save5.usage_limit) == (
        "fixed_cart", "5.00", "50.00", 1000)
    assert save5.expires_at is not None and save5.expires_at.tzinfo is not None
    assert simulators["woocommerce"].stats() == {"GET /wp-json/wc/v3/coupons": 3}
