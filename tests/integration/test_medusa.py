"""The Medusa adapter's contract (tests/adapters/medusa_contract.py) against a real Medusa v2."""

from __future__ import annotations

import pytest

from tests.adapters.medusa_contract import MedusaContract, MedusaStore


@pytest.fixture(scope="module")
def medusa_store(real_medusa: MedusaStore) -> MedusaStore:
    return real_medusa


class TestRealMedusa(MedusaContract):
    pass
