"""Stock holds in the embedded store: many carts asking at once for the last units of a SKU never
hold more than there is; a refused hold sets the cart's other SKUs back; lapsed holds count for no
one and are dropped (and announced); a consumed hold counts only against figures read before it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient

from adapters.mongo.events import MongoEventLog
from adapters.mongo.holds import MongoStockHolds
from domain.errors import BackendUnavailable
from domain.holds import HoldRequest, held_units
from domain.records import LiveEventKind

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WEB = frozenset({101, 102, 103})
STORE_BER = frozenset({104})


async def new_store(mongo_url: str) -> tuple[AsyncMongoClient, MongoStockHolds, MongoEventLog]:
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    database = f"test_holds_{uuid.uuid4().hex[:8]}"
    events = MongoEventLog(client, database)
    store = MongoStockHolds(client, database, events)
    await store.prepare()
    return client, store, events


def wish(quantity: int, available: int, pool: frozenset[int] = WEB, minutes: float = 10) -> HoldRequest:
    return HoldRequest(quantity, available, T0, pool, T0 + timedelta(minutes=minutes))


async def test_many_carts_racing_for_the_last_units_never_oversell(mongo_url):
    client, store, _ = await new_store(mongo_url)
    # given 5 units, and 30 carts asking at once for 1 or 2 of them
    asked = {f"cart-{i}": 1 + i % 2 for i in range(30)}
    refused = await asyncio.gather(*(store.hold(cart, {"SKU-1": wish(n, 5)}, T0) for cart, n in asked.items()))
    # then the holds taken never add up to more than 5, every refusal says what was left, and what
    # is held is exactly what was granted
    granted = {cart: n for (cart, n), r in zip(asked.items(), refused, strict=True) if not r}
    held = (await store.holds_of(["SKU-1"], T0))["SKU-1"]
    assert sum(h.quantity for h in held) == sum(granted.values()) <= 5
    assert {h.cart_id: h.quantity for h in held} == granted
    assert sum(granted.values()) >= 4  # no cart was refused while what it asked was free
    assert all(r["SKU-1"] < asked[cart] for cart, r in zip(asked, refused, strict=True) if r)
    await client.close()


async def test_a_refused_hold_sets_the_carts_other_skus_back(mongo_url):
    client, store, _ = await new_store(mongo_url)
    # given cart a holds 1 of SKU-1, and cart b holds the only unit of SKU-2
    assert await store.hold("a", {"SKU-1": wish(1, 5)}, T0) == {}
    assert await store.hold("b", {"SKU-2": wish(1, 1)}, T0) == {}
    # when cart a asks for 3 of SKU-1 and 1 of SKU-2
    refused = await store.hold("a", {"SKU-1": wish(3, 5), "SKU-2": wish(1, 1)}, T0)
    # then SKU-2 is refused with nothing left, and a's hold on SKU-1 is what it was
    assert refused == {"SKU-2": 0}
    assert await store.held(["SKU-1", "SKU-2"], T0) == {"SKU-1": 1, "SKU-2": 1}
    assert await store.held(["SKU-1", "SKU-2"], T0, except_cart="a") == {"SKU-2": 1}
    await client.close()


async def test_holds_on_separate_pools_do_not_take_from_each_other(mongo_url):
    client, store, _ = await new_store(mongo_url)
    # given a store cart holding the Berlin store's only unit
    assert await store.hold("pos", {"SKU-1": wish(1, 1, STORE_BER)}, T0) == {}
    # then a web cart still gets the distribution centres' unit, and another Berlin pickup does not
    assert await store.hold("web", {"SKU-1": wish(1, 1, WEB)}, T0) == {}
    assert await store.hold("pickup", {"SKU-1": wish(1, 1, STORE_BER)}, T0) == {"SKU-1": 0}
    await client.close()


async def test_lapsed_holds_count_for_no_one_and_are_dropped_and_announced(mongo_url):
    client, store, events = await new_store(mongo_url)
    assert await store.hold("a", {"SKU-1": wish(1, 1, minutes=5)}, T0) == {}
    published = await events.last_id()
    later = T0 + timedelta(minutes=6)
    # then, once it lapsed, another cart gets the unit without anyone dropping it first
    assert await store.held(["SKU-1"], later) == {}
    assert await store.hold("b", {"SKU-1": wish(1, 1, minutes=30)}, later) == {}
    # and a lapsed hold with no write after it is dropped by `expire`, which announces its SKU
    assert await store.hold("c", {"SKU-2": wish(1, 1, minutes=5)}, T0) == {}
    before = await events.last_id()
    assert await store.expire(later, 100) == 1
    assert await store.expire(later, 100) == 0
    announced = await events.after(before, 10)
    assert [(e.kind, e.key) for e in announced] == [(LiveEventKind.STOCK, "SKU-2")]
    assert published > 0  # taking a hold announced its SKU too
    # and once past the time the list of held SKUs keeps them for, they leave it
    assert set((await store._entered())[1]) == {"SKU-1", "SKU-2"}
    await store.expire(T0 + timedelta(minutes=20), 100)
    assert set((await store._entered())[1]) == {"SKU-1"}
    await client.close()


async def test_a_consumed_hold_counts_only_against_figures_read_before_its_order(mongo_url):
    client, store, _ = await new_store(mongo_url)
    assert await store.hold("a", {"SKU-1": wish(2, 5)}, T0) == {}
    confirmed = T0 + timedelta(seconds=3)
    # when its ERP order is confirmed
    await store.consume("a", ["SKU-1"], confirmed, T0 + timedelta(seconds=30), T0 + timedelta(seconds=3))
    holds = (await store.holds_of(["SKU-1"], T0 + timedelta(seconds=4)))["SKU-1"]
    # then a figure read before the order (a cached one) still subtracts it, one read since does not
    assert held_units(holds, WEB, T0 + timedelta(seconds=1)) == 2
    assert held_units(holds, WEB, T0 + timedelta(seconds=4)) == 0
    # and releasing the cart (a late failure path) leaves it; it lapses on its own
    await store.release("a", ["SKU-1"], T0 + timedelta(seconds=5))
    assert await store.holds_of(["SKU-1"], T0 + timedelta(seconds=5)) != {}
    assert await store.holds_of(["SKU-1"], T0 + timedelta(seconds=31)) == {}
    await client.close()


async def test_lowering_a_hold_always_succeeds_and_zero_releases_it(mongo_url):
    client, store, _ = await new_store(mongo_url)
    assert await store.hold("a", {"SKU-1": wish(3, 3)}, T0) == {}
    # given the ERP's figure fell to 1 meanwhile, lowering a's hold to 2 is still fine
    assert await store.hold("a", {"SKU-1": wish(2, 1)}, T0) == {}
    assert await store.held(["SKU-1"], T0) == {"SKU-1": 2}
    assert await store.hold("a", {"SKU-1": wish(0, 1)}, T0) == {}
    assert await store.held(["SKU-1"], T0) == {}
    await client.close()


async def test_holds_are_counted_in_the_metrics(mongo_url):
    from gateway.metrics import Metrics
    from tests.unit.test_metrics import samples

    client = AsyncMongoClient(mongo_url, tz_aware=True)
    metrics = Metrics()
    store = MongoStockHolds(client, f"test_holds_{uuid.uuid4().hex[:8]}", counted=metrics.stock_holds)
    await store.hold("a", {"SKU-1": wish(1, 1), "SKU-2": wish(1, 1)}, T0)
    await store.hold("b", {"SKU-1": wish(1, 1)}, T0)
    await store.release("a", ["SKU-1"], T0)
    await store.expire(T0 + timedelta(hours=1), 100)
    counted = {labels[0][1]: n for (name, labels), n in samples(metrics).items() if name == "gateway_stock_holds_total"}
    assert counted == {"taken": 2, "refused": 1, "released": 1, "expired": 1}
    await client.close()


class UnreachableLog:
    """An event log that cannot be written (as MongoCartStore meets it: the write stands, unannounced)."""

    async def publish(self, events, at):
        raise BackendUnavailable("mongodb", "the event log did not answer")


async def test_a_hold_stands_when_its_announcement_fails(mongo_url):
    client = AsyncMongoClient(mongo_url, tz_aware=True)
    store = MongoStockHolds(client, f"test_holds_{uuid.uuid4().hex[:8]}", UnreachableLog())  # type: ignore[arg-type]
    await store.prepare()
    # given an event log that fails, when a cart holds two SKUs
    refused = await store.hold("cart-a", {"SKU-1": wish(1, 5), "SKU-2": wish(2, 5)}, T0)
    # then both holds are taken and the caller is told so, as a cart write stands unannounced
    assert refused == {}
    held = await store.holds_of(["SKU-1", "SKU-2"], T0)
    assert [h.quantity for h in held["SKU-1"]] == [1] and [h.quantity for h in held["SKU-2"]] == [2]
    await client.close()
