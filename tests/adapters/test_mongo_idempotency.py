"""Idempotency records in the embedded store: first claim wins, outcomes replay, abandoned claims are taken over."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pymongo import AsyncMongoClient

from adapters.mongo.idempotency import ABANDONED_AFTER, MongoIdempotencyStore
from domain.carts import CartOutcome, UserError


async def test_first_claim_wins_and_its_outcome_is_read_back(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    store = MongoIdempotencyStore(client, "test_idempotency")
    key = str(uuid.uuid4())
    assert await store.claim(key, "f1") is None
    pending = await store.claim(key, "f1")
    assert pending is not None and pending.outcome is None
    await store.complete(key, CartOutcome(None, (UserError("X", "why", ("a", 1)),)))
    done = await store.claim(key, "f1")
    assert done is not None and done.outcome == CartOutcome(None, (UserError("X", "why", ("a", 1)),))
    await client.close()


async def test_a_claim_abandoned_by_a_dead_process_is_taken_over(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    store = MongoIdempotencyStore(client, "test_idempotency")
    key = str(uuid.uuid4())
    assert await store.claim(key, "f1") is None
    # when the claim is older than a running request could be
    await store.records.update_one({"_id": key}, {"$set": {"created_at": datetime.now(UTC) - 2 * ABANDONED_AFTER}})
    # then the same request can run again, but another input still cannot
    assert (await store.claim(key, "other")).fingerprint == "f1"
    assert await store.claim(key, "f1") is None
    await client.close()
