"""What the Medusa adapter relies on of the Store API, as tests that run over the simulator
(tests/adapters/test_medusa.py, in make test) and over a real Medusa v2 (tests/integration, in make
integration). A subclass provides the `medusa_store` fixture: a store holding `products` of the
simulated catalog, as tests/integration/medusa_seed.py seeds a real one."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from adapters.medusa import MedusaAdapter
from domain.errors import BackendError
from gateway.settings import load_settings
from gateway.wiring import Wired, wire_backends
from simulators.catalog import Catalog, SeedProduct


@dataclass(frozen=True, slots=True)
class MedusaStore:
    """A Medusa holding `products` of the simulated catalog: where it is and the keys to read and write it."""

    base_url: str
    publishable_key: str
    secret_key: str  # an Admin API key, sent as the HTTP Basic user with no password
    region_id: str  # its currency is the catalog's (EUR)
    products: tuple[SeedProduct, ...]

    def settings_env(self) -> dict[str, str]:
        """The gateway's settings for this store as the app backend (a real one on a busy machine is slow)."""
        return {"CGW_BACKENDS__MEDUSA__BASE_URL": self.base_url,
                "CGW_BACKENDS__MEDUSA__PUBLISHABLE_KEY": self.publishable_key,
                "CGW_BACKENDS__MEDUSA__REGION_ID": self.region_id,
                "CGW_BACKENDS__MEDUSA__TIMEOUT_SECONDS": "10"}

    def product_id(self, product: SeedProduct) -> str:
        """The store's id of the product, found by its first variant's SKU through the Store API."""
        answer = httpx.get(f"{self.base_url}/store/products", headers={"x-publishable-api-key": self.publishable_key},
                           params={"variants[sku][]": product.variants[0].sku, "fields": "id"}, timeout=30)
        answer.raise_for_status()
        [found] = answer.json()["products"]
        return found["id"]

    def admin_update(self, product: SeedProduct, **fields: str) -> None:
        """Changes a product through the Admin API, with the secret key."""
        httpx.post(f"{self.base_url}/admin/products/{self.product_id(product)}", auth=(self.secret_key, ""),
                   json=fields, timeout=30).raise_for_status()


def app_products(catalog: Catalog, count: int) -> tuple[SeedProduct, ...]:
    """The first `count` products the app sells with all their variants (the simulator serves every one
    the app sells; a codeless product is sold there without its first variant)."""
    return tuple([p for p in catalog.products if p.in_app and not p.codeless][:count])


def by_sku(variants: list) -> dict:
    """Variants by SKU: Medusa lists a product's variants in no set order."""
    return {v.sku: v for v in variants}


class MedusaContract:
    """The contract; the subclass's `medusa_store` fixture says which Medusa it runs against."""

    @pytest.fixture
    async def app_backend(self, medusa_store: MedusaStore) -> AsyncIterator[Callable[..., MedusaAdapter]]:
        """Builds the adapter as the gateway wires it, over `medusa_store`, with setting overrides."""
        opened: list[Wired] = []

        def make(**overrides: str) -> MedusaAdapter:
            wired = wire_backends(load_settings(environ={"CGW_CONFIG": os.devnull, **medusa_store.settings_env(),
                                                         **overrides}))
            opened.append(wired)
            return wired.backends.app  # type: ignore[return-value]

        yield make
        for wired in opened:
            await wired.aclose()

    async def test_a_promotion_gives_the_sale_price_with_the_list_price_as_original(self, medusa_store, app_backend):
        # given a product the app sells on promotion (a sale price list)
        seed = next(p for p in medusa_store.products if p.app_promotion and len(p.variants) > 1)
        # when its variants are asked for by SKU
        found = by_sku(await app_backend().variants_by_sku([v.sku for v in seed.variants]))
        # then each carries the sale price, its list price as the original, in the region's currency
        assert set(found) == {v.sku for v in seed.variants}
        for v in seed.variants:
            assert (found[v.sku].price, found[v.sku].original_price) == (seed.app_price(v), v.list_price)
            assert found[v.sku].price < v.list_price and found[v.sku].currency == "EUR"

    async def test_without_a_promotion_the_price_is_the_list_price(self, medusa_store, app_backend):
        seed = next(p for p in medusa_store.products if not p.app_promotion)
        found = by_sku(await app_backend().variants_by_sku([v.sku for v in seed.variants]))
        assert {sku: (v.price, v.original_price) for sku, v in found.items()} == {
            v.sku: (v.list_price, v.list_price) for v in seed.variants}

    async def test_each_variant_carries_its_products_content(self, medusa_store, app_backend):
        seed = next(p for p in medusa_store.products if len(p.variants) > 1)
        found = await app_backend().variants_by_sku([v.sku for v in seed.variants])
        contents = {(v.product.title, v.product.description, v.product.categories) for v in found}
        assert contents == {(seed.title, seed.description, (seed.category,))}
        assert all(v.product.backend == "medusa" and v.product.images for v in found)
        assert all(i.url.startswith("https://app-cdn.example.com/") for i in found[0].product.images)

    async def test_only_the_asked_variants_come_back(self, medusa_store, app_backend):
        seed = next(p for p in medusa_store.products if len(p.variants) > 1)
        found = await app_backend().variants_by_sku([seed.variants[0].sku, "NOPE-1"])
        assert [v.sku for v in found] == [seed.variants[0].sku]

    async def test_every_variant_of_the_store_is_found_in_one_lookup(self, medusa_store, app_backend):
        skus = {v.sku for p in medusa_store.products for v in p.variants}
        found = await app_backend().variants_by_sku(sorted(skus))
        assert {v.sku for v in found} == skus and len(found) == len(skus)

    async def test_a_wrong_publishable_key_is_reported(self, app_backend):
        with pytest.raises(BackendError, match="publishable key"):
            await app_backend(CGW_BACKENDS__MEDUSA__PUBLISHABLE_KEY="pk_wrong").ping()

    async def test_an_unknown_region_is_reported(self, medusa_store, app_backend):
        with pytest.raises(BackendError, match="reg_mars"):
            await app_backend(CGW_BACKENDS__MEDUSA__REGION_ID="reg_mars").variants_by_sku(
                [medusa_store.products[0].variants[0].sku])

    async def test_the_change_feed_lists_products_by_update_time(self, medusa_store, app_backend):
        changes = await app_backend().content_changes(None, datetime.now(UTC), 10_000)
        # every product of the store comes, oldest first, named by its id and one of its variants' SKUs
        assert [(c.at, c.order) for c in changes] == sorted((c.at, c.order) for c in changes)
        assert len({c.key for c in changes}) == len(changes)
        product_of = {v.sku: p.sku for p in medusa_store.products for v in p.variants}
        assert {product_of.get(c.variant_sku) for c in changes} >= {p.sku for p in medusa_store.products}

    async def test_a_change_through_the_admin_api_comes_after_the_mark(self, medusa_store, app_backend):
        adapter = app_backend()
        before = await adapter.content_changes(None, datetime.now(UTC), 10_000)
        seed = medusa_store.products[-1]
        # when a product is changed through the Admin API
        medusa_store.admin_update(seed, description="Rewritten for the app")
        # then the feed read from the last mark has it, and only it, later than the mark
        after = await adapter.content_changes(before[-1].mark, datetime.now(UTC), 100)
        assert [(c.key, c.variant_sku in {v.sku for v in seed.variants}) for c in after] == [
            (medusa_store.product_id(seed), True)]
        assert after[0].at > before[-1].at
        # and it is read with its new content
        found = await adapter.variants_by_sku([seed.variants[0].sku])
        assert found[0].product.description == "Rewritten for the app"
