"""The live event log in the embedded store, and a follower of it: events come back in id order,
once each, from where a reader left off; a gap (an id handed out, its event not inserted yet) holds
the reader back until it is filled or has waited long enough; old events are pruned."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient

from adapters.mongo.events import MongoEventLog
from domain.records import EVERY_SKU, ChangeAspect, LiveEventKind
from resolvers.live_events import GAP_WAIT, EventFollower, catalog_events
from tests.clock import MovingClock

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
STOCK, CART = LiveEventKind.STOCK, LiveEventKind.CART


async def new_log(mongo_url: str) -> tuple[AsyncMongoClient, MongoEventLog]:
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    log = MongoEventLog(client, f"test_events_{uuid.uuid4().hex[:8]}")
    await log.prepare()
    return client, log


async def test_events_are_numbered_in_publication_order_and_read_after_an_id(mongo_url):
    client, log = await new_log(mongo_url)
    # given two publications
    assert await log.last_id() == 0
    assert await log.publish([(STOCK, "SKU-1", None), (STOCK, "SKU-2", None)], T0) == [1, 2]
    assert await log.publish([(CART, "cart-a", 3)], T0 + timedelta(seconds=1)) == [3]
    # then a reader after id 1 gets the rest, lowest first, as published
    found = await log.after(1, 10)
    assert [(e.id, e.kind, e.key, e.version) for e in found] == [(2, STOCK, "SKU-2", None), (3, CART, "cart-a", 3)]
    assert await log.last_id() == 3 and await log.oldest_id() == 1
    await client.close()


async def test_pruning_forgets_old_events_and_a_reader_far_behind_goes_on_from_the_oldest_kept(mongo_url):
    client, log = await new_log(mongo_url)
    # given 60 events, the first 50 an hour old
    await log.publish([(STOCK, f"SKU-{i}", None) for i in range(50)], T0)
    await log.publish([(STOCK, f"SKU-{i}", None) for i in range(50, 60)], T0 + timedelta(hours=1))
    # when the old ones are pruned (whole buckets: the last of them may stay with newer ones)
    await log.prune(T0 + timedelta(minutes=30))
    oldest = await log.oldest_id()
    assert oldest is not None and 40 < oldest <= 50
    # then a reader from the start gets what is kept, in order, without gaps after the oldest
    found = await log.after(0, 500)
    assert [e.id for e in found] == list(range(oldest, 61))
    # and a reader past the end finds nothing
    assert await log.after(60, 500) == []
    await client.close()


async def test_publishers_prune_the_log_themselves_where_no_poll_runs(mongo_url):
    # carts and holds publish in every process, the change feeds' poll (which prunes) runs only where
    # `cache.invalidation_poll_seconds` is above 0: the log must not grow without end there
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    log = MongoEventLog(client, f"test_events_{uuid.uuid4().hex[:8]}", keep=timedelta(minutes=30))
    await log.prepare()
    # given 50 cart events an hour ago
    for version in range(50):
        await log.publish([(CART, "cart-a", version)], T0)
    # when carts go on being written now, into new buckets
    for version in range(50, 70):
        await log.publish([(CART, "cart-a", version)], T0 + timedelta(hours=1))
    # then the hour-old buckets are gone, with no prune called
    oldest = await log.oldest_id()
    assert oldest is not None and 40 < oldest <= 51
    assert await log.events.count_documents({}) <= 4
    await client.close()


async def test_an_idle_reader_reads_the_counter_alone(mongo_url):
    client, log = await new_log(mongo_url)
    await log.publish([(STOCK, "SKU-1", None)], T0)
    # given no bucket of events can be read
    log.events = None  # type: ignore[assignment]
    # then a reader past the newest id learns there is nothing new from the counter
    assert await log.after(1, 500) == []
    await client.close()


async def test_concurrent_publishers_never_share_an_id(mongo_url):
    client, log = await new_log(mongo_url)
    # when twenty publishers append at once
    ids = await asyncio.gather(*(log.publish([(CART, f"cart-{i}", 1)], T0) for i in range(20)))
    # then every event has its own id, and the log holds them all in order
    assert sorted(i for group in ids for i in group) == list(range(1, 21))
    assert [e.id for e in await log.after(0, 100)] == list(range(1, 21))
    await client.close()


async def test_a_follower_waits_for_a_gap_then_passes_over_it(mongo_url):
    client, log = await new_log(mongo_url)
    clock = MovingClock(T0)
    follower = await EventFollower.from_now(log, clock)
    await log.publish([(STOCK, "SKU-1", None)], T0)
    # given id 2 handed out but never inserted (its publisher died between numbering and inserting)
    await log.counters.update_one({"_id": "events"}, {"$inc": {"seq": 1}})
    await log.publish([(STOCK, "SKU-3", None)], T0)
    # then the follower takes id 1 and stops before the gap
    assert [e.id for e in await follower.next_events()] == [1]
    clock.advance(GAP_WAIT.total_seconds() / 2)
    assert await follower.next_events() == []
    # and passes over it once it has waited long enough; nothing is handed out twice
    clock.advance(GAP_WAIT.total_seconds())
    assert [e.id for e in await follower.next_events()] == [3]
    assert await follower.next_events() == []
    await client.close()


def test_catalog_changes_become_one_event_per_sku_and_kind():
    events = catalog_events([("A", frozenset({ChangeAspect.STOCK, ChangeAspect.PRICE})), ("A", frozenset({ChangeAspect.STOCK})),
                             ("B", frozenset({ChangeAspect.CONTENT}))], every_product=frozenset({ChangeAspect.PRICE}))
    assert sorted(events) == sorted([(LiveEventKind.PRICE, "A", None), (STOCK, "A", None),
                                     (LiveEventKind.PRODUCT, "B", None), (LiveEventKind.PRICE, EVERY_SKU, None)])


async def test_the_embedded_store_is_polled_and_a_replica_set_wakes_readers_by_its_change_stream(mongo_url):
    client, log = await new_log(mongo_url)
    # the embedded store is no replica set: readers poll
    assert log.streams is False
    # on a replica set, a reader waiting for more wakes at the stream's next change, not at its timeout
    log.streams, changes = True, asyncio.Queue()
    log.events = StreamingCollection(changes)  # type: ignore[assignment]
    waiting = asyncio.create_task(log.wait_for_more(timeout=60))
    await asyncio.sleep(0)
    assert not waiting.done()
    await changes.put({"operationType": "update"})
    await asyncio.wait_for(waiting, timeout=5)
    # a change that came while nobody waited is not lost: the next wait returns at once
    await changes.put({"operationType": "insert"})
    for _ in range(3):
        await asyncio.sleep(0)
    await asyncio.wait_for(log.wait_for_more(timeout=60), timeout=5)
    await log.close()
    await client.close()


class StreamingCollection:
    """What a replica set's collection answers to `watch`: the changes, as they come."""

    def __init__(self, changes: asyncio.Queue) -> None:
        self.changes = changes

    async def watch(self, pipeline: list, **options: object) -> StreamingCollection:
        assert pipeline == [{"$match": {"operationType": {"$in": ["insert", "update"]}}}]
        return self

    async def __aenter__(self) -> StreamingCollection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def __aiter__(self) -> StreamingCollection:
        return self

    async def __anext__(self) -> dict:
        return await self.changes.get()
