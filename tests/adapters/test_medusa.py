"""Medusa v2 Store API adapter against the app-backend simulator: the contract it shares with a real
Medusa (tests/adapters/medusa_contract.py; make integration runs it against one), and what only the
simulator can show (how many requests a lookup makes)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from adapters.medusa.adapter import FIELDS, PAGE, QUERY_BUDGET, SKU_PARAM, sku_chunks
from domain.errors import BackendError
from gateway.settings import MedusaSettings
from simulators import medusa
from simulators.catalog import Catalog
from simulators.medusa import NODE_MAX_HEADER_SIZE, sold_variants
from simulators.registry import SERVED_HEAD_BYTES, build_app
from tests.adapters.medusa_contract import MedusaContract, MedusaStore, app_products
from tests.servers import ServerThread

BASE_QUERY_BYTES = len(str(httpx.QueryParams([("region_id", "reg_01EUROPE"), ("fields", FIELDS), ("limit", PAGE),
                                              ("offset", 0)])))


@pytest.fixture(scope="module")
def medusa_store() -> Iterator[MedusaStore]:
    """A simulator of its own over a small catalog: the contract changes a product."""
    catalog = Catalog(60)
    server = ServerThread(build_app("medusa", catalog), h11_max_incomplete_event_size=SERVED_HEAD_BYTES).start()
    try:
        yield MedusaStore(server.url, "pk_demo", "sk_demo", "reg_01EUROPE", app_products(catalog, 30))
    finally:
        server.stop()


class TestSimulatedMedusa(MedusaContract):
    pass


async def test_a_long_sku_list_is_split_under_the_url_budget(backends, catalog, simulators):
    # given every variant SKU of the catalog: in one URL, more than Node's 16 KiB head (431)
    skus = [v.sku for p in catalog.products for v in p.variants]
    assert len(str(httpx.QueryParams([(SKU_PARAM, s) for s in skus]))) > NODE_MAX_HEADER_SIZE
    simulators["medusa"].reset_stats()
    # when the app backend is asked for them
    found = await backends.app.variants_by_sku(skus)
    # then every one in the app comes back, from requests of at most QUERY_BUDGET bytes of query string,
    # at most `fan_out_concurrency` of them at once
    assert {v.sku for v in found} == {v.sku for p in catalog.products if p.in_app for v in sold_variants(p)}
    chunks = sku_chunks(skus, BASE_QUERY_BYTES)
    assert all(BASE_QUERY_BYTES + 1 + len(str(httpx.QueryParams([(SKU_PARAM, s) for s in chunk]))) <= QUERY_BUDGET
               for chunk in chunks)
    assert simulators["medusa"].stats()["GET /store/products"] == len(chunks) >= 5
    spans = [(arrived, answered) for what, arrived, answered in simulators["medusa"].spans()]
    assert max(sum(1 for a, b in spans if a <= at < b) for at, _ in spans) <= MedusaSettings.fan_out_concurrency


def test_the_simulator_refuses_a_head_past_node_s_limit_with_a_bare_431(simulators):
    # given a URL of 17 KiB, within uvicorn's own limit for the simulators
    long_query = {"q": "x" * (17 * 1024)}
    # when it is sent to the app backend, then Node's answer comes back: 431, no body, connection closed
    refused = httpx.get(f"{simulators['medusa'].url}/store/products", params=long_query,
                        headers={"x-publishable-api-key": "pk_demo"})
    assert (refused.status_code, refused.content, refused.headers["connection"]) == (431, b"", "close")


async def test_a_medusa_without_the_sku_filter_is_named_with_the_version_needed(make_backends, catalog):
    # given a Medusa older than 2.5.0, which ignores `variants[sku]` and answers the whole catalog
    old = ServerThread(medusa.create_app(catalog, variant_sku_filter=False),
                       h11_max_incomplete_event_size=SERVED_HEAD_BYTES).start()
    try:
        backends = make_backends(CGW_BACKENDS__MEDUSA__BASE_URL=old.url)
        # when a few SKUs are asked, then the error says so and names the version needed
        with pytest.raises(BackendError, match=r"ignores the `variants\[sku\]` filter.*2\.5\.0 or later"):
            await backends.app.variants_by_sku([catalog.products[0].variants[0].sku, "NOPE-1"])
    finally:
        old.stop()


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
    assert set(found[0].product.variant_skus) == {v.sku for v in seed.variants[1:]}  # in no set order
