"""The subscription hub over an event log in memory: a slow subscriber holds the latest change per
key, not every change; a resumed subscriber gets what it missed once; an idle poll reads no range."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import datetime

import pytest

from domain.errors import BadUserInput, ResyncRequired
from domain.records import LiveEvent, LiveEventKind
from resolvers.live_hub import LiveHub, View, checked_skus
from tests.unit.cart_fakes import CartWorld

WEB = View(CartWorld().context().channel)
CART = LiveEventKind.CART
STOCK = LiveEventKind.STOCK


class MemoryEventLog:
    def __init__(self) -> None:
        self.events: list[LiveEvent] = []
        self.last = 0

    async def prepare(self) -> None:
        pass

    async def publish(self, events: Sequence[tuple[LiveEventKind, str, int | None]], at: datetime) -> list[int]:
        ids = []
        for kind, key, version in events:
            self.last += 1
            self.events.append(LiveEvent(self.last, at, kind, key, version))
            ids.append(self.last)
        return ids

    async def after(self, event_id: int, limit: int) -> list[LiveEvent]:
        return [e for e in self.events if e.id > event_id][:limit]

    async def last_id(self) -> int:
        return self.last

    async def wait_for_more(self, timeout: float) -> None:
        await asyncio.sleep(0)

    async def oldest_id(self) -> int | None:
        return self.events[0].id if self.events else None

    async def prune(self, before: datetime) -> None:
        self.events = [e for e in self.events if e.at >= before]


def hub_over(log: MemoryEventLog, world: CartWorld | None = None) -> LiveHub:
    services = (world or CartWorld()).context().services
    services.events = log
    return LiveHub(services, poll_seconds=0.1)


async def cart_writes(log: MemoryEventLog, cart: str, versions: range) -> list[int]:
    return await log.publish([(CART, cart, v) for v in versions], datetime(2026, 12, 1))


def test_a_slow_subscriber_holds_only_the_latest_change_of_each_key():
    async def run() -> None:
        log = MemoryEventLog()
        hub = hub_over(log)
        await hub.start()
        async with hub.subscribed(CART, frozenset({"a", "b"}), WEB) as slow:
            # when a thousand changes of one cart and one of another arrive before the subscriber takes any
            ids = await cart_writes(log, "a", range(2, 1002))
            [other] = await cart_writes(log, "b", range(2, 3))
            while await hub.step():
                pass
            # then it holds two deliveries, the latest of each cart, in event order
            assert len(slow.pending) == 2
            taken = await slow.take()
            assert [(d.key, d.event.id, d.event.version) for d in taken] == [("a", ids[-1], 1001), ("b", other, 2)]
            assert slow.replaced == 999
    asyncio.run(run())


def test_a_resumed_subscriber_gets_what_it_missed_once_then_what_follows():
    async def run() -> None:
        log = MemoryEventLog()
        hub = hub_over(log)
        await hub.start()
        [seen] = await cart_writes(log, "a", range(2, 3))
        missed = await cart_writes(log, "a", range(3, 5))
        await cart_writes(log, "c", range(2, 3))  # not watched
        while await hub.step():
            pass
        await hub.check_resumable(seen)
        async with hub.subscribed(CART, frozenset({"a"}), WEB, after=seen) as back:
            assert [d.event.id for d in await back.take()] == [missed[-1]]
            [later] = await cart_writes(log, "a", range(5, 6))
            await hub.step()
            assert [d.event.id for d in await back.take()] == [later]
            assert not back.pending
    asyncio.run(run())


def test_a_subscriber_ahead_of_this_process_is_not_sent_what_it_saw():
    async def run() -> None:
        log = MemoryEventLog()
        hub = hub_over(log)
        await hub.start()
        ids = await cart_writes(log, "a", range(2, 4))
        # the client saw both on another process, before this one read them
        async with hub.subscribed(CART, frozenset({"a"}), WEB, after=ids[-1]) as back:
            await hub.step()
            assert not back.pending
    asyncio.run(run())


def test_resuming_past_the_pruned_events_asks_for_a_resync():
    async def run() -> None:
        log = MemoryEventLog()
        hub = hub_over(log)
        ids = await cart_writes(log, "a", range(2, 5))
        log.events = log.events[2:]  # the first two pruned
        await hub.check_resumable(ids[1])  # the client saw the last pruned one: nothing it needs is gone
        with pytest.raises(ResyncRequired):
            await hub.check_resumable(ids[0])
        log.events = []
        with pytest.raises(ResyncRequired):
            await hub.check_resumable(ids[1])
        await hub.check_resumable(ids[2])
    asyncio.run(run())


@pytest.mark.parametrize("skus", [[], ["A"] * 3, ["A" * 65], ["A\u200b"], ["A\ud800"], ["Cafe\u0301"]])
def test_skus_out_of_bounds_are_refused(skus):
    with pytest.raises(BadUserInput):
        checked_skus(skus, 2)


def test_printable_skus_pass():
    assert checked_skus(["CG-000001-S", "Größe-L"], 2) == {"CG-000001-S", "Größe-L"}


def test_stock_is_read_once_per_batch_for_every_subscriber_of_a_channel_and_store():
    async def run() -> None:
        world, log = CartWorld(), MemoryEventLog()
        hub = hub_over(log, world)
        await hub.start()
        skus = frozenset({"JACKET-M", "SCARF"})
        async with contextlib.AsyncExitStack() as subscribed:
            web = [await subscribed.enter_async_context(hub.subscribed(STOCK, skus, WEB)) for _ in range(3)]
            berlin = await subscribed.enter_async_context(hub.subscribed(STOCK, skus, View(WEB.channel, "BER")))
            world.erp.calls.clear()
            # when one batch of events names both SKUs
            await log.publish([(STOCK, "JACKET-M", None), (STOCK, "SCARF", None)], datetime(2026, 12, 1))
            await hub.step()
            # then the ERP's stock was read once for the channel and once for the store, for both SKUs
            reads = [args for method, args in world.erp.calls if method == "stock_quants"]
            assert len(reads) == 2 and all(set(variant_ids) == {10, 20} for variant_ids, _ in reads)
            # and every subscriber has both figures, the web's from the web's warehouses
            for subscriber in web:
                taken = {d.key: d.figure.quantity for d in await subscriber.take()}
                assert taken == {"JACKET-M": 5, "SCARF": 0}
            assert {d.key for d in await berlin.take()} == {"JACKET-M", "SCARF"}
    asyncio.run(run())


def test_a_sku_whose_product_is_gone_is_removed_without_spoiling_the_others_of_its_batch():
    from tests.unit.fakes import product

    async def run() -> None:
        world = CartWorld()
        world.erp.products = [product(1, "JACKET")]  # SCARF's product (2) is gone from the ERP, its variant not yet
        log = MemoryEventLog()
        hub = hub_over(log, world)
        await hub.start()
        async with hub.subscribed(LiveEventKind.PRODUCT, frozenset({"JACKET-M", "SCARF"}), WEB) as subscriber:
            await log.publish([(LiveEventKind.PRODUCT, "JACKET-M", None), (LiveEventKind.PRODUCT, "SCARF", None)],
                              datetime(2026, 12, 1))
            while await hub.step():
                pass
            taken = {d.key: d for d in await subscriber.take()}
        # then the jacket's product arrives, and the scarf reads as removed (no figure, no error)
        assert taken["JACKET-M"].error is None and taken["JACKET-M"].figure is not None
        assert taken["SCARF"].error is None and taken["SCARF"].figure is None

    asyncio.run(run())


def test_a_sku_whose_record_is_broken_errs_alone_in_its_batch(monkeypatch):
    from domain.errors import RecordError
    from resolvers import live_figures

    read_stock = live_figures.stock.variant_stock

    async def broken_for_scarf(ctx, variant):
        if variant.sku == "SCARF":
            raise RecordError("odoo", "SCARF", "stock.quant is incomplete")
        return await read_stock(ctx, variant)

    monkeypatch.setattr(live_figures.stock, "variant_stock", broken_for_scarf)

    async def run() -> None:
        log = MemoryEventLog()
        hub = hub_over(log)
        await hub.start()
        async with hub.subscribed(STOCK, frozenset({"JACKET-M", "SCARF"}), WEB) as subscriber:
            # when one batch names a SKU whose record the ERP answers broken, and a sound one
            await log.publish([(STOCK, "JACKET-M", None), (STOCK, "SCARF", None)], datetime(2026, 12, 1))
            await hub.step()
            taken = {d.key: d for d in await subscriber.take()}
        # then the broken one carries its error, and the other its figure
        assert taken["JACKET-M"].error is None and taken["JACKET-M"].figure.quantity == 5
        assert isinstance(taken["SCARF"].error, RecordError) and taken["SCARF"].figure is None

    asyncio.run(run())
