"""Named locks in the embedded store: one holder at a time, given back by its token, taken over
once it has expired (its process died) without the old holder's release undoing the new hold."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient

from adapters.mongo.locks import MongoLocks

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HOLD = timedelta(seconds=30)


async def test_one_holder_at_a_time_until_released_or_expired(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    locks = MongoLocks(client, f"test_locks_{uuid.uuid4().hex[:8]}")
    # when ten callers try at once, one holds the lock
    tokens = await asyncio.gather(*(locks.acquire("contact:c1", T0, HOLD) for _ in range(10)))
    held = [t for t in tokens if t is not None]
    assert len(held) == 1
    # another name is free
    assert await locks.acquire("contact:c2", T0, HOLD) is not None
    # released, it is free again
    await locks.release("contact:c1", held[0])
    second = await locks.acquire("contact:c1", T0, HOLD)
    assert second is not None
    # its holder died: once expired, another takes it, and the old holder's late release leaves it held
    third = await locks.acquire("contact:c1", T0 + HOLD, HOLD)
    assert third is not None
    await locks.release("contact:c1", second)
    assert await locks.acquire("contact:c1", T0 + HOLD, HOLD) is None
    await client.close()
