"""Attack: requests with random key ids. Each unknown id cost a MongoDB read, and at 10,000 cached ids
the key cache was flushed, keys in use included. Unknown ids now fill a bounded cache of their own,
and a client address with many failed authentications is refused with 429 before any read, while
keys in use keep answering from the cache."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from domain.api_keys import ApiKey, KeyKind
from gateway import access
from gateway.access import CachedKeyStore, Gatekeeper
from gateway.app import create_app
from gateway.settings import load_settings
from tests.conftest import gateway_environ
from tests.hostile.conftest import CHEAP, assert_responsive
from tests.servers import ServerThread

KEY = ApiKey(key_id="a1b2c3d4e5f6", name="in use", kind=KeyKind.FRONTEND, channel=None, scopes=(),
             requests_per_minute=60, cost_per_minute=60, secret_sha256="", created_at=datetime.now(UTC))
ATTACK_REQUESTS = 3_000  # over HTTP; the cache itself meets 20,000 below
FAILURES_PER_MINUTE = 60  # auth.failed_auth_per_minute's default


class CountingGatekeeper(Gatekeeper):
    """The gatekeeper, with the key store's reads counted."""

    reads: ClassVar[Counter[str]] = Counter()

    def __init__(self, store: Any, *args: Any, **kwargs: Any) -> None:
        real_get = store.get

        async def get(key_id: str) -> Any:
            CountingGatekeeper.reads[key_id] += 1
            return await real_get(key_id)

        store.get = get
        super().__init__(store, *args, **kwargs)


async def random_ids(base_url: str, count: int) -> Counter[int]:
    statuses: Counter[int] = Counter()
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        async def one(batch: int) -> None:
            for _ in range(batch):
                raw = f"cgw_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
                answer = await client.post("/graphql", json=CHEAP, headers={"X-API-Key": raw})
                statuses[answer.status_code] += 1
        await asyncio.gather(*(one(count // 20) for _ in range(20)))
    return statuses


def test_random_key_ids_cost_bounded_reads_and_the_address_is_refused(simulators, mongo_url, api_key):
    settings = load_settings(environ=gateway_environ(simulators, mongo_url))
    server = ServerThread(create_app(settings, gatekeeper=CountingGatekeeper), lifespan="on").start()
    try:
        known = api_key.split("_")[1]
        # given: a key in use, read once
        assert httpx.post(f"{server.url}/graphql", json=CHEAP, headers={"X-API-Key": api_key}).status_code == 200
        CountingGatekeeper.reads.clear()
        # when: 3,000 requests with random key ids from one address, while the key in use keeps asking
        started = time.perf_counter()
        statuses = asyncio.run(assert_responsive(server.url, api_key, random_ids(server.url, ATTACK_REQUESTS)))
        took = time.perf_counter() - started
        # then: a few failures are answered 401, every other request 429, without a read
        assert statuses[401] + statuses[429] == ATTACK_REQUESTS, statuses
        refill = FAILURES_PER_MINUTE * took / 60
        random_reads = sum(n for key_id, n in CountingGatekeeper.reads.items() if key_id != known)
        assert statuses[401] <= FAILURES_PER_MINUTE + refill + 1, statuses
        assert random_reads == statuses[401], (random_reads, statuses)
        # and the key in use stayed cached: at most one read per key_cache_seconds (5 s) of the attack
        assert CountingGatekeeper.reads[known] <= took / 5 + 1, CountingGatekeeper.reads[known]
        refused = httpx.post(f"{server.url}/graphql", json=CHEAP, headers={"X-API-Key": f"cgw_{'1' * 12}_x"})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert httpx.post(f"{server.url}/graphql", json=CHEAP, headers={"X-API-Key": api_key}).status_code == 200
    finally:
        server.stop()


def test_ten_thousands_of_random_ids_never_push_the_keys_in_use_out_of_the_cache():
    # given: a key cache over a store that knows one key
    class Store:
        reads: Counter[str] = Counter()

        async def get(self, key_id: str) -> Any:
            self.reads[key_id] += 1
            return KEY if key_id == KEY.key_id else None

    store = Store()
    cache = CachedKeyStore(store, ttl=5.0)  # type: ignore[arg-type]

    async def attack() -> None:
        assert await cache.get(KEY.key_id) == KEY
        for _ in range(20_000):  # when: 20,000 random ids, past the old 10,000-entry flush
            assert await cache.get(secrets.token_hex(6)) is None
        # then: the key in use is still answered from the cache
        assert await cache.get(KEY.key_id) == KEY

    asyncio.run(attack())
    assert store.reads[KEY.key_id] == 1
    assert len(cache.found) == 1 and len(cache.unknown) <= access.MAX_CACHED_UNKNOWN
