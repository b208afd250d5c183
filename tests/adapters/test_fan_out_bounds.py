"""One fan-out (a batch's chunks, a page walk, one lookup per SKU) never has more than its backend's
`fan_out_concurrency` requests in flight, counted where they arrive: at the simulator."""

from __future__ import annotations

import pytest

from tests.servers import Simulator

LATENCY_MS = 40  # long enough for requests sent together to overlap at the simulator


def most_in_flight(sim: Simulator, path: str) -> int:
    """The most requests to `path` the simulator was answering at once."""
    edges = []
    for call, arrived, answered in sim.spans():
        if call.split(" ", 1)[1].startswith(path):
            edges += [(arrived, 1), (answered, -1)]
    most = now = 0
    for _, step in sorted(edges, key=lambda e: (e[0], e[1])):  # an answer before an arrival at the same instant
        now += step
        most = max(most, now)
    return most


@pytest.fixture
def slow(simulators):
    """Each simulator, answering LATENCY_MS late, with its counts reset."""
    for sim in simulators.values():
        sim.faults(latency_ms=LATENCY_MS)
        sim.reset_stats()
    return simulators


async def test_the_web_shops_sku_batches_keep_to_the_bound(make_backends, slow, catalog):
    backends = make_backends(CGW_BACKENDS__WOOCOMMERCE__FAN_OUT_CONCURRENCY="2")
    skus = [p.sku for p in catalog.products] + [f"CG-NONE-{n}" for n in range(300)]  # six batches of 100
    assert await backends.content.content_by_sku(skus)
    # six batches, and the parents of the variations found (codeless products are found through them)
    assert slow["woocommerce"].stats()["GET /wp-json/wc/v3/products"] >= 6
    assert most_in_flight(slow["woocommerce"], "/wp-json/wc/v3/products") == 2


async def test_the_app_backends_sku_chunks_keep_to_the_bound(make_backends, slow, catalog):
    backends = make_backends(CGW_BACKENDS__MEDUSA__FAN_OUT_CONCURRENCY="2")
    skus = [v.sku for p in catalog.products for v in p.variants]  # chunks under the URL budget: five or more
    await backends.app.variants_by_sku(skus)
    assert slow["medusa"].stats()["GET /store/products"] >= 5
    assert most_in_flight(slow["medusa"], "/store/products") == 2


async def test_the_marketplaces_chunks_and_offer_lookups_keep_to_the_bound(make_backends, slow, catalog):
    backends = make_backends(CGW_BACKENDS__EBAY__FAN_OUT_CONCURRENCY="3")
    skus = [v.sku for p in catalog.products for v in p.variants][:250]  # ten chunks of 25
    await backends.marketplace.inventory_by_sku(skus)
    await backends.marketplace.offers_by_sku(skus[:20])  # 20 lookups, with 8 offer slots free
    assert most_in_flight(slow["ebay"], "/sell/inventory/v1/bulk_get_inventory_item") == 3
    assert most_in_flight(slow["ebay"], "/sell/inventory/v1/offer") == 3
