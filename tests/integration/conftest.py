"""A real Medusa v2 (installed once into .cache/medusa/, over a PostgreSQL of its own), seeded through its
Admin API with part of the session's simulated catalog, for the whole test session. pytest collects
these tests only when tests/integration is named, as `make integration` does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulators.catalog import Catalog
from tests.adapters.medusa_contract import MedusaStore, app_products
from tests.integration.medusa_seed import seed
from tests.integration.medusa_server import ADMIN, running_medusa

SEEDED_PRODUCTS = 30  # of the catalog's products the app sells: every kind (sizes, one size, promotion) is among them


@pytest.fixture(scope="session")
def real_medusa(catalog: Catalog) -> Iterator[MedusaStore]:
    with running_medusa() as url:
        yield seed(url, *ADMIN, app_products(catalog, SEEDED_PRODUCTS))
