"""The invalidation log in the embedded store: what is published comes back once per reader,
oldest first, with the cursor kept beside one poll lease per interval; old changes are pruned."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient

from adapters.mongo.invalidations import MongoInvalidationLog
from domain.records import CatalogInvalidation, ChangeAspect

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PRICE = CatalogInvalidation(products=((7, frozenset({ChangeAspect.PRICE})),),
                            every_product=frozenset({ChangeAspect.PRICE}))  # and a pricelist rule for every one
STOCK = CatalogInvalidation(products=((8, frozenset({ChangeAspect.STOCK, ChangeAspect.CONTENT})),), assortment=True,
                            variant_ids=(81, 82), variant_skus=("P-8-S", "P-8-M"))


async def test_changes_come_back_as_published_oldest_first_and_once_per_reader(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    log = MongoInvalidationLog(client, f"test_invalidations_{uuid.uuid4().hex[:8]}")
    await log.prepare()
    # given two changes published, and a read of the feeds that found nothing
    await log.publish(STOCK, "cursor-1", T0 + timedelta(seconds=2))
    await log.publish(PRICE, "cursor-2", T0 + timedelta(seconds=1))
    await log.publish(None, "cursor-3", T0 + timedelta(seconds=3))
    # then a reader gets both, oldest first, as they were
    found = await log.since(T0, ())
    assert [f.change for f in found] == [PRICE, STOCK]
    assert found[0].at == T0 + timedelta(seconds=1)
    # and, naming what it has seen, nothing twice
    assert await log.since(T0, [f.id for f in found]) == []
    assert [f.change for f in await log.since(T0 + timedelta(seconds=1), ())] == [STOCK]
    # the cursor is the last one kept
    assert await log.cursor() == "cursor-3"
    # pruning forgets what was published before
    await log.prune(T0 + timedelta(seconds=2))
    assert [f.change for f in await log.since(T0, ())] == [STOCK]
    await client.close()


async def test_one_poll_lease_per_interval(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    database = f"test_invalidations_{uuid.uuid4().hex[:8]}"
    first, second = (MongoInvalidationLog(client, database) for _ in range(2))
    every = timedelta(seconds=2)
    assert await first.cursor() is None
    assert await first.claim_poll(T0, every) is True
    assert await second.claim_poll(T0 + timedelta(seconds=1), every) is False
    assert await second.claim_poll(T0 + timedelta(seconds=2), every) is True
    await client.close()
