"""What the overload attacks share: a lookup that waits for slow backends, and a flood of it."""

from __future__ import annotations

import asyncio
import time

import httpx

# the product, then its prices and stock in a second round: with slow backends, a request that holds a slot
LOOKUP = {"query": '{ product(sku: "CG-000001") { sku title priceRange { minVariantPrice { amount } } '
                   'totalInventory } }'}
SLOW_MS = 300  # every backend's latency during these attacks (under the tests' 0.5 s backend timeout)


async def timed_post(client: httpx.AsyncClient, key: str, body: dict = LOOKUP) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    answer = await client.post("/graphql", json=body, headers={"X-API-Key": key})
    return answer, time.perf_counter() - started


async def flood(base_url: str, keys: list[str], requests: int) -> list[tuple[httpx.Response, float]]:
    """`requests` lookups at once, spread over `keys`, each on a connection of its own."""
    limits = httpx.Limits(max_connections=requests, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        return await asyncio.gather(*(timed_post(client, keys[n % len(keys)]) for n in range(requests)))
