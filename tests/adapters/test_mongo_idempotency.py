"""Idempotency records in the embedded store: first claim wins, outcomes replay, abandoned claims
are taken over with the target of the first claim; carts keep the records of their changes."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pymongo import AsyncMongoClient

from adapters.mongo.carts import MongoCartStore
from adapters.mongo.idempotency import ABANDONED_AFTER, MongoIdempotencyStore
from domain.carts import (
    AppliedChange,
    Cart,
    CartLine,
    CartOutcome,
    CartRules,
    CartWarning,
    IdempotencyClaim,
    IdempotencyRecord,
    UserError,
)


async def test_first_claim_wins_and_its_outcome_is_read_back(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    store = MongoIdempotencyStore(client, "test_idempotency")
    key = str(uuid.uuid4())
    first = await store.claim(key, "f1", "cart-a")
    assert isinstance(first, IdempotencyClaim) and (first.target, first.resumed) == ("cart-a", False)
    pending = await store.claim(key, "f1", "cart-b")
    assert isinstance(pending, IdempotencyRecord) and pending.outcome is None
    await store.complete(key, CartOutcome(None, (UserError("X", "why", ("a", 1)),)))
    done = await store.claim(key, "f1", "cart-c")
    assert isinstance(done, IdempotencyRecord)
    assert done.outcome == CartOutcome(None, (UserError("X", "why", ("a", 1)),))
    await client.close()


async def test_a_claim_abandoned_by_a_dead_process_is_taken_over_with_its_target(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    now = [datetime.now(UTC)]
    store = MongoIdempotencyStore(client, "test_idempotency", clock=lambda: now[0])
    key = str(uuid.uuid4())
    assert isinstance(await store.claim(key, "f1", "cart-a"), IdempotencyClaim)
    now[0] += ABANDONED_AFTER - timedelta(seconds=1)
    assert isinstance(await store.claim(key, "f1", "cart-b"), IdempotencyRecord)  # still running, as far as known
    # when the claim is older than a running request could be
    now[0] += timedelta(seconds=2)
    # then another input still cannot run, and the same request runs again, on the first claim's cart
    assert (await store.claim(key, "other", "cart-c")).fingerprint == "f1"  # type: ignore[union-attr]
    taken = await store.claim(key, "f1", "cart-d")
    assert isinstance(taken, IdempotencyClaim) and (taken.target, taken.resumed) == ("cart-a", True)
    await client.close()


async def test_a_claim_given_up_is_taken_over_at_once_and_only_its_holder_gives_it_up(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    store = MongoIdempotencyStore(client, "test_idempotency")
    key = str(uuid.uuid4())
    first = await store.claim(key, "f1", "cart-a")
    assert isinstance(first, IdempotencyClaim)
    await store.release(key, "not-its-token")
    assert isinstance(await store.claim(key, "f1", "cart-b"), IdempotencyRecord)  # still held
    await store.release(key, first.token)
    again = await store.claim(key, "f1", "cart-c")
    assert isinstance(again, IdempotencyClaim) and (again.target, again.resumed) == ("cart-a", True)
    await client.close()


async def test_a_cart_keeps_the_idempotency_records_of_its_changes(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    carts = MongoCartStore(client, "test_idempotency")
    now = datetime.now(UTC).replace(microsecond=0)
    warning = CartWarning("QUANTITY_CAPPED", "capped", "1")
    cart = Cart.new(str(uuid.uuid4()), "WEB", None, now, CartRules())
    cart = cart.recording(AppliedChange("k1", "f1", now, (warning,)))
    cart = dataclasses.replace(cart, lines=(CartLine("1", "SKU", 2, Decimal("9.90"), "EUR"),), absorbed=("guest-1",))
    await carts.insert(cart)
    read = await carts.get(cart.cart_id)
    assert read == cart
    assert read.applied_change("k1") == AppliedChange("k1", "f1", now, (warning,))
    await client.close()
