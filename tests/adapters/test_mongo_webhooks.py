"""The webhook outbox in the embedded store: a delivery decided twice is stored once; the unsettled
ones come in event order, of the endpoints asked for only; a delivery being sent is not claimed again
until its sender is presumed dead; settled ones are pruned after their time, waiting ones never."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient

from adapters.mongo.webhook_deliveries import MongoWebhookDeliveries
from domain.webhooks import Attempt, Delivery, DeliveryState, delivery_id

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def delivery(endpoint: str, event: int, sku: str = "SKU-1", at: datetime = NOW) -> Delivery:
    return Delivery(delivery_id(endpoint, event), endpoint, event, sku, b'{"type":"stock.changed"}', at, next_at=at)


@pytest.fixture
async def outbox(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    database = f"test_webhooks_{uuid.uuid4().hex[:8]}"
    store = MongoWebhookDeliveries(client, database)
    await store.prepare()
    yield store
    await client.drop_database(database)
    await client.close()


async def test_a_delivery_decided_twice_is_stored_once(outbox):
    assert await outbox.record([delivery("wh_a", 2), delivery("wh_a", 1)]) == 2
    assert await outbox.record([delivery("wh_a", 1), delivery("wh_a", 3)]) == 1
    assert [d.event_id for d in await outbox.unsettled(["wh_a"], 10)] == [1, 2, 3]


async def test_unsettled_of_the_endpoints_asked_for_in_event_order(outbox):
    await outbox.record([delivery("wh_b", 5), delivery("wh_a", 4), delivery("wh_a", 6)])
    await outbox.settle(delivery_id("wh_a", 4), Attempt(NOW, 204, None), DeliveryState.SENT, None)
    assert [d.delivery_id for d in await outbox.unsettled(["wh_a", "wh_b"], 10)] == [delivery_id("wh_b", 5),
                                                                                      delivery_id("wh_a", 6)]
    assert [d.event_id for d in await outbox.unsettled(["wh_a"], 10)] == [6]


async def test_a_delivery_being_sent_is_claimed_again_only_once_its_sender_is_presumed_dead(outbox):
    await outbox.record([delivery("wh_a", 1)])
    first = delivery_id("wh_a", 1)
    assert await outbox.claim(first, NOW, NOW - timedelta(minutes=5))
    assert not await outbox.claim(first, NOW + timedelta(minutes=1), NOW - timedelta(minutes=4))
    assert await outbox.claim(first, NOW + timedelta(minutes=6), NOW + timedelta(minutes=1))
    await outbox.settle(first, Attempt(NOW, 500, "answered 500"), DeliveryState.PENDING, NOW + timedelta(seconds=30))
    (waiting,) = await outbox.unsettled(["wh_a"], 10)
    assert waiting.state is DeliveryState.PENDING and waiting.attempts == (Attempt(NOW, 500, "answered 500"),)


async def test_settled_deliveries_are_pruned_after_their_time_waiting_ones_never(outbox):
    old = NOW - timedelta(days=8)
    await outbox.record([delivery("wh_a", 1, at=old), delivery("wh_a", 2, at=old), delivery("wh_a", 3)])
    for event in (1, 3):
        await outbox.settle(delivery_id("wh_a", event), Attempt(NOW, 204, None), DeliveryState.SENT, None)
    assert await outbox.prune(NOW - timedelta(days=7)) == 1
    assert [d.event_id for d in await outbox.of_endpoint("wh_a", 10)] == [3, 2]
