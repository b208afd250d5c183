"""One customer never reaches another's purchases through recommendations, whatever their ids hold:
a customer id that is another's with a suffix (`ada` and `ada:1`), odd unicode, an id that looks
like a query operator. What a list leaves out and starts from is the token's customer's alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient

from adapters.mongo.recommendations import MongoRecommendationStore
from domain.records import ChangeMark
from domain.recommendations import OrderEvent

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
CUSTOMERS = ["ada", "ada:1", "ada:", "Zoë\u0301", "\u202eada", "{\"$ne\": null}", "$where", "ada\x00b"]


@pytest.fixture
async def store(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    made = MongoRecommendationStore(client, f"test_recommendation_customers_{uuid.uuid4().hex[:8]}")
    await made.prepare()
    yield made
    await client.close()


async def test_customers_with_look_alike_ids_see_only_their_own_purchases(store):
    # given each customer's order of a product of their own (product n for the n-th), and a shared one (1000)
    events = [OrderEvent(n, T0 + timedelta(seconds=n), "sale", "WEB", customer, frozenset({n, 1000}))
              for n, customer in enumerate(CUSTOMERS, 1)]
    await store.fold(events, ChangeMark(events[-1].at, events[-1].order_id))
    for n, customer in enumerate(CUSTOMERS, 1):
        # then each finds their own product among every one, and reads back no other's
        assert sorted(await store.bought(customer)) == [n, 1000], customer
    assert await store.bought("nobody") == []
    assert await store.bought("ad") == []
