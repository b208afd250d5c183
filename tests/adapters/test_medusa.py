"""Medusa v2 Store API adapter against the app-backend simulator: the contract it shares with a real
Medusa (tests/adapters/medusa_contract.py; make integration runs it against one), and what only the
simulator can show (how many requests a lookup makes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulators.catalog import Catalog
from simulators.registry import build_app
from tests.adapters.medusa_contract import MedusaContract, MedusaStore, app_products
from tests.servers import ServerThread


@pytest.fixture(scope="module")
def medusa_store() -> Iterator[MedusaStore]:
    """A simulator of its own over a small catalog: the contract changes a product."""
    catalog = Catalog(60)
    server = ServerThread(build_app("medusa", catalog)).start()
    try:
        yield MedusaStore(server.url, "pk_demo", "sk_demo", "reg_01EUROPE", app_products(catalog, 30))
    finally:
        server.stop()


class TestSimulatedMedusa(MedusaContract):
    pass


async def test_pages_are_followed_by_offset(backends, catalog, simulators):
    skus = [v.sku for p in catalog.products[:200] if p.in_app for v in p.variants]
    simulators["medusa"].reset_stats()
    found = await backends.app.variants_by_sku(skus)
    assert {v.sku for v in found} == set(skus)
    assert simulators["medusa"].stats()["GET /store/products"] == -(-len({s.rsplit("-", 1)[0] for s in skus}) // 100)
