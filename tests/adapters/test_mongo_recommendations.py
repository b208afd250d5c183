"""The recommendation counts in the embedded store: each order folded in once, its later change or
cancellation as a difference, a fold cut short by a failure finished once by the next pass; reads
are pages by index, most first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient

from adapters.mongo.recommendations import TOP_CACHE_SECONDS, MongoRecommendationStore
from domain.errors import BackendUnavailable
from domain.records import ChangeMark
from domain.recommendations import BoughtWith, Neighbour, OrderEvent
from tests.clock import MovingClock

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


@pytest.fixture
async def store(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    made = MongoRecommendationStore(client, f"test_recommendations_{uuid.uuid4().hex[:8]}")
    await made.prepare()
    yield made
    await client.close()


def order(order_id: int, *products: int, state: str = "sale", channel: str = "WEB",
          customer: str | None = "ada") -> OrderEvent:
    return OrderEvent(order_id, T0 + timedelta(seconds=order_id), state, channel, customer, frozenset(products))


def mark(event: OrderEvent) -> ChangeMark:
    return ChangeMark(event.at, event.order_id)


async def counts(store: MongoRecommendationStore) -> tuple:
    return (await store.bought_with([1, 2, 3], 10), await store.popular("WEB", 10), await store.bought("ada"))


def bought(orders: int, *neighbours: tuple[int, int]) -> BoughtWith:
    return BoughtWith(orders, tuple(Neighbour(p, n) for p, n in neighbours))


async def test_an_order_read_again_counts_once_and_its_change_counts_the_difference(store):
    # given two orders folded in
    first, second = order(1, 1, 2), order(2, 1, 3, channel="APP")
    assert await store.fold([first, second], mark(second)) == 2
    assert (await store.bought_with([1], 10))[1] == bought(2, (2, 1), (3, 1))
    assert await store.mark() == mark(second)
    # when the same page is folded in again
    before = await counts(store)
    assert await store.fold([first, second], mark(second)) == 0
    # then nothing changed
    assert await counts(store) == before
    # when the first order gains product 3, and the second is cancelled
    assert await store.fold([order(1, 1, 2, 3), order(2, 1, 3, state="cancel", channel="APP")], mark(second)) == 2
    # then the counts are those of the first order alone, as it is now
    assert await store.bought_with([1, 2, 3], 10) == {1: bought(1, (2, 1), (3, 1)), 2: bought(1, (1, 1), (3, 1)),
                                                      3: bought(1, (1, 1), (2, 1))}
    assert await store.popular("APP", 10) == (0, [])
    assert await store.popular("*", 10) == (1, [(1, 1), (2, 1), (3, 1)])


async def test_a_fold_cut_short_is_finished_once_by_the_next_pass(store, monkeypatch):
    # given a fold that fails after the counts were written, before the top lists were
    event = order(1, 1, 2)
    real_bulk = store._bulk

    async def failing(collection, operations):
        if collection is store.top:
            raise BackendUnavailable("mongodb", "gone for the test")
        await real_bulk(collection, operations)

    monkeypatch.setattr(store, "_bulk", failing)
    with pytest.raises(BackendUnavailable):
        await store.fold([event], mark(event))
    assert await store.mark() is None  # the feed is read again from before the order
    monkeypatch.setattr(store, "_bulk", real_bulk)
    # when the next pass resumes, and reads the order again
    assert await store.resume() == 1
    assert await store.fold([event], mark(event)) == 0
    # then every count holds the order once
    assert await store.bought_with([1, 2], 10) == {1: bought(1, (2, 1)), 2: bought(1, (1, 1))}
    assert await store.bought("ada") in ([1, 2], [2, 1])
    assert await store.resume() == 0


async def test_reads_are_pages_most_first(store):
    # given product 1 bought with 2 in three orders, with 3 in two, with 4..30 in one each, all by one customer
    events = [order(n, 1, 2) for n in range(1, 4)] + [order(n, 1, 3) for n in range(4, 6)]
    events += [order(n, 1, n - 2) for n in range(6, 33)]
    await store.fold(events, mark(events[-1]))
    # then each read is a page, most first, ties by id
    assert (await store.bought_with([1], 4))[1] == bought(32, (2, 3), (3, 2), (4, 1), (5, 1))
    assert await store.popular("WEB", 3) == (32, [(1, 32), (2, 3), (3, 2)])
    assert sorted(await store.bought("ada")) == list(range(1, 31))
    assert await store.bought("bo") == []


async def test_top_lists_read_are_reused_for_a_few_seconds_and_forgotten_by_a_fold(mongo_url):
    # given two processes' stores over one database, the reader's clock standing still
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    database, clock = f"test_recommendations_{uuid.uuid4().hex[:8]}", MovingClock(T0)
    folding, reading = MongoRecommendationStore(client, database), MongoRecommendationStore(client, database, clock)
    try:
        assert await folding.fold([order(1, 1, 2)], mark(order(1))) == 1
        assert (await reading.bought_with([1], 10))[1] == bought(1, (2, 1))
        assert await reading.popular("WEB", 10) == (1, [(1, 1), (2, 1)])
        # when the other process folds an order in, and the reader's lists are still fresh
        assert await folding.fold([order(2, 1, 3)], mark(order(2))) == 1
        clock.advance(TOP_CACHE_SECONDS - 1)
        # then the reader answers from what it read, without the store
        assert (await reading.bought_with([1], 10))[1] == bought(1, (2, 1))
        assert await reading.popular("WEB", 10) == (1, [(1, 1), (2, 1)])
        # while what the customer bought is read live
        assert await reading.bought("ada") == [1, 3, 2]
        # and once they are TOP_CACHE_SECONDS old, from the store again
        clock.advance(1)
        assert (await reading.bought_with([1], 10))[1] == bought(2, (2, 1), (3, 1))
        assert await reading.popular("WEB", 10) == (2, [(1, 2), (2, 1), (3, 1)])
        # and a fold of its own forgets what it read at once
        assert await reading.fold([order(3, 1, 2)], mark(order(3))) == 1
        assert (await reading.bought_with([1], 10))[1] == bought(3, (2, 2), (3, 1))
    finally:
        await client.close()


async def test_a_pass_hands_its_lease_back_and_never_shortens_one_claimed_since(mongo_url):
    # given two processes' stores, the first holding the lease for a long pass
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    database = f"test_recommendations_{uuid.uuid4().hex[:8]}"
    first, second = MongoRecommendationStore(client, database), MongoRecommendationStore(client, database)
    long, interval = timedelta(seconds=300), timedelta(seconds=10)
    try:
        assert await first.claim_pass(T0, long)
        assert not await second.claim_pass(T0 + timedelta(seconds=20), interval)
        # when the first hands it back as if claimed for the interval
        await first.release_pass(T0 + interval)
        # then the second may claim it after the interval
        assert await second.claim_pass(T0 + timedelta(seconds=20), long)
        # and a late release of the first leaves the second's lease alone
        await first.release_pass(T0 + interval)
        assert not await first.claim_pass(T0 + timedelta(seconds=30), interval)
    finally:
        await client.close()
