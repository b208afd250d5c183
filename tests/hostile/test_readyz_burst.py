"""Attack: a burst on /readyz, which needs no key. Each hit made four backend calls (one an ERP
`search_count`) and a MongoDB ping, and a failed check returned the backend's error text. Now a
round of checks runs at most once per `server.readiness_cache_seconds`, and the body names only the
checks that are down."""

from __future__ import annotations

import asyncio
import math
import time

import httpx

from tests.conftest import served_gateway
from tests.hostile.conftest import assert_responsive

CACHE_SECONDS = 2.0
BURST = 300


async def burst(base_url: str) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        async def some(count: int) -> list[httpx.Response]:
            return [await client.get("/readyz") for _ in range(count)]
        batches = await asyncio.gather(*(some(BURST // 30) for _ in range(30)))
    return [answer for batch in batches for answer in batch]


def test_a_readyz_burst_costs_one_round_of_checks_per_period(simulators, mongo_url, api_key):
    with served_gateway(simulators, mongo_url, CGW_SERVER__READINESS_CACHE_SECONDS=str(CACHE_SECONDS)) as url:
        time.sleep(CACHE_SECONDS)  # no round left from the start
        for sim in simulators.values():
            sim.reset_stats()
        # when: 300 unauthenticated hits, 30 at a time
        started = time.perf_counter()
        answers = asyncio.run(assert_responsive(url, api_key, burst(url)))
        took = time.perf_counter() - started
        # then: every one answered ready, from at most one round of checks per period
        assert {a.status_code for a in answers} == {200}
        assert {a.text for a in answers} == {'{"status":"ready","down":[],"breakers_open":[]}'}
        rounds = math.ceil(took / CACHE_SECONDS) + 1
        calls = {name: sum(sim.stats().values()) for name, sim in simulators.items()}
        assert all(1 <= n <= rounds for n in calls.values()), (calls, took)

        # given: the app backend down, and its failure's text a backend detail
        simulators["medusa"].faults(down=True)
        time.sleep(CACHE_SECONDS)
        # when
        down = httpx.get(f"{url}/readyz", timeout=10)
        # then: 503, naming only which check is down: no error text, code or timing
        assert down.status_code == 503
        assert down.json() == {"status": "unavailable", "down": ["medusa"], "breakers_open": []}
