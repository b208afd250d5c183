"""Marketplace fingerprints in the embedded store: a key changes once per different sighting,
keys gone from a sweep change too, and one process at a time holds the sweep lease."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient

from adapters.mongo.fingerprints import MongoFingerprintStore

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_only_what_differs_from_the_last_sweep_changes(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    store = MongoFingerprintStore(client, "test_fingerprints")
    await store.prepare()
    feed = f"feed-{uuid.uuid4()}"
    # given a first sweep of three items
    assert await store.record(feed, {"A": "1", "B": "1", "C": "1"}, T0) == 3
    # when the next sees A unchanged, B different and C gone
    assert await store.record(feed, {"A": "1", "B": "2"}, T0 + timedelta(seconds=5)) == 2
    # then B and C changed after the first sweep, oldest first and ties by key
    later = await store.changes(feed, None, T0 + timedelta(hours=1), 10)
    assert [(c.key, c.at) for c in later] == [("A", T0), ("B", T0 + timedelta(seconds=5)),
                                            ("C", T0 + timedelta(seconds=5))]
    after_a = await store.changes(feed, later[0].mark, T0 + timedelta(hours=1), 1)
    assert [c.variant_sku for c in after_a] == ["B"]
    # and a sweep that sees nothing new changes nothing, C staying gone
    assert await store.record(feed, {"A": "1", "B": "2"}, T0 + timedelta(seconds=9)) == 0
    assert await store.changes(feed, later[-1].mark, T0 + timedelta(hours=1), 10) == []
    await client.close()


async def test_one_sweep_lease_per_interval(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    first, second = (MongoFingerprintStore(client, "test_fingerprints") for _ in range(2))
    feed, every = f"feed-{uuid.uuid4()}", timedelta(seconds=60)
    assert await first.claim_sweep(feed, T0, every) is True
    assert await second.claim_sweep(feed, T0 + timedelta(seconds=30), every) is False
    assert await second.claim_sweep(feed, T0 + timedelta(seconds=60), every) is True
    await client.close()
