"""Saved lists in the embedded store: what the reminder worker and recommendations read of them
(`watching`, `skus_saved_by`), served by the SKU index, and the places that keep a customer's lists
unique (default list, slots, names)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pymongo import AsyncMongoClient

from adapters.mongo.lists import MongoSavedListStore
from domain.errors import ListConflict
from domain.lists import DEFAULT_LIST_NAME, ListRules, ListStatus, SavedItem, SavedList

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
RULES = ListRules()


def saved(list_id: str, customer: str | None, skus: list[str], *, slot: int | None = None,
          name: str = "Wishlist") -> SavedList:
    items = tuple(SavedItem(str(n + 1), sku, NOW, "WEB", Decimal("19.90"), "EUR", 20) for n, sku in enumerate(skus))
    return dataclasses.replace(SavedList.new(list_id, name, customer, NOW, RULES, slot=slot), items=items,
                               next_item_number=len(skus) + 1)


@pytest.fixture
async def store(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    lists = MongoSavedListStore(client, f"test_lists_{uuid.uuid4().hex[:8]}")
    await lists.prepare()
    yield lists
    await client.drop_database(lists.lists.database.name)
    await client.close()


async def test_watching_pages_signed_in_customers_items_of_the_skus_in_a_stable_order(store):
    # given two customers' lists and a guest's, with the watched SKU in several of them
    await store.insert(saved("list-b", "cust-2", ["SKU-1", "SKU-9", "SKU-2"], slot=1))
    await store.insert(saved("list-a", "cust-1", ["SKU-1", "SKU-2"], slot=1))
    await store.insert(saved("list-g", None, ["SKU-1"]))
    await store.insert(saved("list-c", "cust-3", ["SKU-7"], slot=1))
    # when the worker reads the watchers of SKU-1 and SKU-2, two at a time
    first = await store.watching(["SKU-1", "SKU-2"], None, 2)
    cursor = f"{first[-1].list_id}/{first[-1].item.item_id}"
    second = await store.watching(["SKU-1", "SKU-2"], cursor, 2)
    rest = await store.watching(["SKU-1", "SKU-2"], f"{second[-1].list_id}/{second[-1].item.item_id}", 2)
    # then every signed-in watcher comes once, by list then item, with what was kept at saving; no guest
    seen = [(w.customer_id, w.list_id, w.item.sku) for w in first + second + rest]
    assert seen == [("cust-1", "list-a", "SKU-1"), ("cust-1", "list-a", "SKU-2"),
                    ("cust-2", "list-b", "SKU-1"), ("cust-2", "list-b", "SKU-2")]
    assert rest == []
    assert first[0].item.price_when_saved == Decimal("19.90") and first[0].item.stock_when_saved == 20


async def test_watching_leaves_out_merged_lists_and_nothing_watched(store):
    await store.insert(dataclasses.replace(saved("list-m", "cust-1", ["SKU-1"]), status=ListStatus.MERGED))
    assert await store.watching(["SKU-1"], None, 10) == []
    assert await store.watching([], None, 10) == []


async def test_watching_is_served_by_the_sku_index(store):
    await store.insert(saved("list-a", "cust-1", ["SKU-1"], slot=1))
    plan = await store.lists.find({"items.sku": {"$in": ["SKU-1"]}, "customer_id": {"$type": "string"},
                                   "status": "ACTIVE"}).sort("_id", 1).explain()
    assert "saved_item_skus" in str(plan), plan


async def test_skus_saved_by_a_customer_across_their_lists(store):
    await store.insert(saved("list-a", "cust-1", ["SKU-1", "SKU-2"], slot=1))
    await store.insert(saved("list-b", "cust-1", ["SKU-2", "SKU-3"], slot=2, name="Birthday"))
    await store.insert(saved("list-c", "cust-2", ["SKU-4"], slot=1))
    assert await store.skus_saved_by("cust-1") == {"SKU-1", "SKU-2", "SKU-3"}
    assert await store.skus_saved_by("nobody") == set()


async def test_a_customers_places_and_names_are_unique_and_a_guests_are_not(store):
    await store.insert(saved("list-a", "cust-1", [], slot=1, name="Birthday"))
    # another list in the same place, or under the same name (whatever its case), is refused
    with pytest.raises(ListConflict):
        await store.insert(saved("list-b", "cust-1", [], slot=1, name="Other"))
    with pytest.raises(ListConflict):
        await store.insert(saved("list-c", "cust-1", [], slot=2, name="BIRTHDAY"))
    # another customer's, and guests', are theirs
    await store.insert(saved("list-d", "cust-2", [], slot=1, name="Birthday"))
    await store.insert(saved("list-e", None, [], name="Birthday"))
    await store.insert(saved("list-f", None, [], name="Birthday"))
    await store.insert(saved("list-g", "cust-1", [], slot=0, name=DEFAULT_LIST_NAME))
    assert [s.list_id for s in await store.of_customer("cust-1")] == ["list-a", "list-g"]


async def test_a_change_lands_only_over_the_version_it_was_made_from(store):
    made = saved("list-a", "cust-1", ["SKU-1"], slot=1)
    await store.insert(made)
    changed = made.next_version(NOW, RULES)
    assert await store.replace(changed)
    assert not await store.replace(changed)  # a second writer from version 1
    assert (await store.get("list-a")) == changed
