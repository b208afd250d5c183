"""The outbox in the embedded store: an event decided twice (or by two passes at once) is stored
once, a due delivery is claimed by one caller only, an interrupted one is recovered as its kind
allows, and a customer's feed and marks reach only their own messages."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pymongo import AsyncMongoClient

from adapters.mongo.carts import MongoCartStore
from adapters.mongo.outbox import MongoOutbox
from domain.carts import Cart, CartLine, CartRules
from domain.reminders import Alert, AlertKind, Attempt, Delivery, DeliveryStatus, OutboxMessage, event_id

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def message(customer: str, sku: str, version: int = 0, at: datetime = NOW) -> OutboxMessage:
    alert = Alert(event_id(customer, AlertKind.LOW_STOCK, sku, version), customer, AlertKind.LOW_STOCK, sku, "WEB",
                  "Tent", "Tent: only 2 of the 20 units left", f"https://shop.example.com/p/{sku}", "20", "2", None, at)
    return OutboxMessage(alert, {Delivery.EMAIL: Attempt(DeliveryStatus.PENDING, next_at=at, address="a@example.com"),
                                 Delivery.WEBHOOK: Attempt(DeliveryStatus.PENDING, next_at=at)}, in_app=True)


@pytest.fixture
async def client(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    database = f"test_outbox_{uuid.uuid4().hex[:8]}"
    yield client, database
    await client.drop_database(database)
    await client.close()


@pytest.fixture
async def outbox(client):
    made = MongoOutbox(*client)
    await made.prepare()
    return made


async def test_the_same_event_decided_twice_or_at_once_is_stored_once(outbox):
    first, second = message("c1", "S1"), message("c1", "S2")
    assert await outbox.record([first]) == 1
    # when the same decision comes again, with a new one, and twice concurrently
    results = await asyncio.gather(outbox.record([first, second]), outbox.record([second]))
    # then only the new one was stored, once
    assert sorted(results) == [0, 1]
    assert sorted(m.alert.sku for m in await outbox.notifications("c1", 10, None)) == ["S1", "S2"]


async def test_a_due_delivery_is_claimed_by_one_caller_only(outbox):
    await outbox.record([message("c2", "S1")])
    claims = await asyncio.gather(*(outbox.claim_delivery(Delivery.EMAIL, NOW) for _ in range(5)))
    claimed = [c for c in claims if c is not None]
    assert len(claimed) == 1 and claimed[0].deliveries[Delivery.EMAIL].attempts == 1
    # and not before it is due
    await outbox.record([message("c2", "S2", at=NOW + timedelta(minutes=1))])
    assert await outbox.claim_delivery(Delivery.EMAIL, NOW) is None


async def test_an_interrupted_webhook_is_sent_again_and_an_interrupted_email_is_not(outbox):
    sent = message("c3", "S1")
    await outbox.record([sent])
    await outbox.claim_delivery(Delivery.EMAIL, NOW)
    await outbox.claim_delivery(Delivery.WEBHOOK, NOW)
    # when their process died while sending: recovered after the claim timeout
    assert await outbox.recover(Delivery.EMAIL, NOW + timedelta(minutes=5), resend=False) == 1
    assert await outbox.recover(Delivery.WEBHOOK, NOW + timedelta(minutes=5), resend=True) == 1
    stored = (await outbox.get(sent.alert.event_id)).deliveries
    assert stored[Delivery.EMAIL].status is DeliveryStatus.FAILED and "not sent again" in stored[Delivery.EMAIL].last_error
    assert stored[Delivery.WEBHOOK].status is DeliveryStatus.PENDING


async def test_marks_reach_only_the_customers_own_messages(outbox):
    mine, theirs = message("c4", "S1"), message("c5", "S1")
    await outbox.record([mine, theirs])
    marked = await outbox.mark_read("c4", [mine.alert.event_id, theirs.alert.event_id], NOW)
    assert marked == [mine.alert.event_id]
    assert (await outbox.get(theirs.alert.event_id)).read_at is None
    assert [m.alert.event_id for m in await outbox.notifications("c5", 10, None)] == [theirs.alert.event_id]


async def test_the_feed_pages_newest_first(outbox):
    await outbox.record([message("c6", f"S{n}", at=NOW + timedelta(seconds=n)) for n in range(5)])
    first = await outbox.notifications("c6", 2, None)
    rest = await outbox.notifications("c6", 10, (first[-1].alert.created_at, first[-1].alert.event_id))
    assert [m.alert.sku for m in first + rest] == ["S4", "S3", "S2", "S1", "S0"]


async def test_untouched_carts_are_signed_in_customers_with_lines_in_order(client):
    carts = MongoCartStore(*client)
    await carts.prepare()
    rules, line = CartRules(), CartLine("1", "SKU-1", 1, Decimal("9.90"), "EUR")
    made = [Cart.new("guest", "WEB", None, NOW, rules), Cart.new("empty", "WEB", "c1", NOW, rules),
            Cart.new("left-2", "WEB", "c2", NOW + timedelta(minutes=2), rules),
            Cart.new("left-1", "WEB", "c3", NOW + timedelta(minutes=1), rules),
            Cart.new("recent", "WEB", "c4", NOW + timedelta(hours=2), rules)]
    for cart in made:
        await carts.insert(cart if cart.cart_id == "empty" else dataclasses.replace(cart, lines=(line,)))
    found = await carts.untouched(None, NOW + timedelta(hours=1), 10)
    assert [c.cart_id for c in found] == ["left-1", "left-2"]
    assert [c.cart_id for c in await carts.untouched((found[0].updated_at, "left-1"), NOW + timedelta(hours=1), 10)] \
        == ["left-2"]
