"""A real normalized client cache (Apollo Client's InMemoryCache, driven from Node.js) over the
gateway's answers: a cart mutation's answer updates the cached cart and the cached product list
through their global IDs, with no refetch."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.http.node_packages import node_script

pytestmark = pytest.mark.slow
PACKAGES = ["@apollo/client@3.13.8", "graphql@16.11.0"]


def test_a_cart_mutation_updates_the_cached_cart_and_product_list(gateway, api_key):
    script = node_script("apollo-normalized-cache", PACKAGES, Path(__file__).parent / "normalized_cache.mjs")
    run = subprocess.run(["node", str(script), f"{gateway}/graphql", api_key], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    # four requests: list, create, cart, add; nothing was fetched again
    assert seen["requests"] == 4
    # the cached cart query reads the mutation's cart: one line more, three units
    assert (seen["cart"]["before"], seen["cart"]["cached"], seen["cart"]["version"]) == (1, 3, 2)
    assert len(seen["cart"]["skus"]) == 2
    # the cached product list reads the variant as the mutation last saw it
    assert seen["list"]["cachedAsOf"] == seen["list"]["mutationAsOf"] != seen["list"]["listedAsOf"]
    assert seen["entities"] >= 4
