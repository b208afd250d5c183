"""The process's one reader of the live event log for subscriptions: it follows the log (woken by
the log's change stream on a replica set, every `poll_seconds` otherwise) and hands each event to the
local subscribers of its (kind, key).

Stock, prices and products are read once per event batch for every (channel, store) some subscriber
watches, not once per subscriber. A subscriber's mailbox keeps the latest delivery per key: a slow
consumer has its older undelivered changes of a SKU (or cart) replaced by the newest, so what it
holds is bounded by the keys it named, whatever the rate of events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field

from domain.channels import Channel
from domain.errors import BadUserInput, DomainError, RecordError, ResyncRequired
from domain.records import EVERY_SKU, LiveEvent, LiveEventKind
from resolvers.context import RequestContext, Services
from resolvers.customer_update import clean
from resolvers.eager import gather_eagerly
from resolvers.live_events import RETENTION, EventFollower
from resolvers.live_figures import Figure, figures_now

log = logging.getLogger(__name__)
PAGE = 500  # events read from the log at once
MAX_SKU_LENGTH = 64


def checked_skus(skus: Sequence[str], most: int) -> frozenset[str]:
    """The SKUs a subscription names, or BAD_USER_INPUT saying what is wrong with them."""
    if not 1 <= len(skus) <= most:
        raise BadUserInput(f"`skus`: 1 to {most} SKUs (got {len(skus)})")
    for n, sku in enumerate(skus):
        if not 1 <= len(sku) <= MAX_SKU_LENGTH:
            raise BadUserInput(f"`skus[{n}]`: a SKU has 1 to {MAX_SKU_LENGTH} characters")
        if clean(sku) != sku:
            raise BadUserInput(f"`skus[{n}]`: holds a control, format or unassigned character, surrounding "
                               f"space, or text not in Unicode NFC form")
    return frozenset(skus)


@dataclass(frozen=True, slots=True)
class View:
    """Where a subscriber reads its figures: its operation's channel and pickup store."""

    channel: Channel
    store_code: str | None = None

    @classmethod
    def of(cls, ctx: RequestContext) -> View:
        return cls(ctx.channel, ctx.store_code)


@dataclass(frozen=True, slots=True)
class Delivery:
    """An event for one of a subscriber's keys, with what it reads now in the subscriber's view (the
    figure is None for carts, and for a SKU the ERP does not know), or why that could not be read."""

    event: LiveEvent
    key: str
    figure: Figure = None
    error: DomainError | None = None


@dataclass(eq=False, slots=True)
class Subscriber:
    kind: LiveEventKind
    keys: frozenset[str]
    view: View
    pending: dict[str, Delivery] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    replaced: int = 0  # deliveries a newer one of the same key replaced before they were taken
    seen_through: int = 0  # the client resumed after this id: nothing up to it is delivered again

    def put(self, delivery: Delivery) -> None:
        if delivery.event.id <= self.seen_through:
            return
        held = self.pending.get(delivery.key)
        if held is not None:
            if held.event.id >= delivery.event.id:
                return  # a replayed event the live follower has already delivered past
            self.replaced += 1
        self.pending[delivery.key] = delivery
        self.wake.set()

    async def take(self) -> list[Delivery]:
        """What arrived since the last take, in event order; waits for something."""
        await self.wake.wait()
        self.wake.clear()
        taken, self.pending = self.pending, {}
        return sorted(taken.values(), key=lambda d: d.event.id)


class LiveHub:
    def __init__(self, services: Services, poll_seconds: float, max_skus: int = 100,
                 started: Callable[[str | None], None] | None = None) -> None:
        """`started`: told the operation name of each subscription that starts (metrics)."""
        if services.events is None:
            raise ValueError("live subscriptions need the event log (Services.events)")
        self.services = services
        self.log = services.events
        self.poll_seconds = poll_seconds
        self.max_skus = max_skus
        self.started = started
        self.follower: EventFollower | None = None
        self.by_key: dict[tuple[LiveEventKind, str], set[Subscriber]] = defaultdict(set)
        self.by_kind: dict[LiveEventKind, set[Subscriber]] = defaultdict(set)

    @property
    def position(self) -> int:
        """Every event up to this id has been handed to the subscribers of the time."""
        return self.follower.position if self.follower is not None else 0

    async def start(self) -> None:
        if self.follower is None:
            self.follower = await EventFollower.from_now(self.log, self.services.clock, PAGE)

    async def run_forever(self) -> None:
        await self.start()
        while True:
            try:
                while await self.step():
                    pass
            except Exception:  # noqa: BLE001 - the next poll tries again; the follower has kept its place
                log.warning("could not follow the live event log", exc_info=True)
            await self.log.wait_for_more(self.poll_seconds)

    async def step(self) -> int:
        """Reads and delivers one page of new events; how many there were."""
        assert self.follower is not None, "start() first"
        events = await self.follower.next_events()  # nothing new: the log reads its counter alone
        # who receives what is fixed here, where the position moved: a subscriber that joins while this
        # batch is read replays up to the new position instead (subscribed), so no event is missed or doubled
        await self._deliver(self._targets(events))
        return len(events)

    def _targets(self, events: Iterable[LiveEvent]) -> list[tuple[Subscriber, LiveEvent, str]]:
        found = []
        for event in events:
            if event.key == EVERY_SKU:
                found += [(s, event, key) for s in self.by_kind[event.kind] for key in s.keys]
            else:
                found += [(s, event, event.key) for s in self.by_key.get((event.kind, event.key), ())]
        return found

    async def _deliver(self, targets: Sequence[tuple[Subscriber, LiveEvent, str]]) -> None:
        wanted: dict[tuple[LiveEventKind, View], set[str]] = defaultdict(set)
        for subscriber, event, key in targets:
            if event.kind is not LiveEventKind.CART:
                wanted[(event.kind, subscriber.view)].add(key)
        read = await gather_eagerly(self._read(kind, view, keys) for (kind, view), keys in wanted.items())
        figures = dict(zip(wanted, read, strict=True))
        for subscriber, event, key in targets:
            if event.kind is LiveEventKind.CART:
                subscriber.put(Delivery(event, key))
                continue
            found, error = figures[(event.kind, subscriber.view)]
            figure = found.get(key)
            if isinstance(figure, RecordError):  # that SKU's record alone is broken
                figure, error = None, figure
            subscriber.put(Delivery(event, key, figure, error))

    async def _read(self, kind: LiveEventKind, view: View,
                    skus: Iterable[str]) -> tuple[dict[str, Figure | RecordError], DomainError | None]:
        """The figures of these SKUs in the view, read live; or why they could not be read at all."""
        try:
            return await figures_now(self.services, kind, skus, view.channel, view.store_code), None
        except DomainError as exc:
            return {}, exc

    @contextlib.asynccontextmanager
    async def subscribed(self, kind: LiveEventKind, keys: frozenset[str], view: View, after: int | None = None,
                         operation: str | None = None) -> AsyncIterator[Subscriber]:
        """A subscriber to `keys` for the duration; with `after` (the last event id the client saw, checked
        by check_resumable), holding first the latest missed event of each key since then."""
        subscriber = Subscriber(kind, keys, view, seen_through=after or 0)
        for key in keys:
            self.by_key[(kind, key)].add(subscriber)
        self.by_kind[kind].add(subscriber)
        if self.started is not None:
            self.started(operation)
        try:
            if after is not None:
                await self._replay(subscriber, after, self.position)
            yield subscriber
        finally:
            for key in keys:
                self.by_key[(kind, key)].discard(subscriber)
                if not self.by_key[(kind, key)]:
                    del self.by_key[(kind, key)]
            self.by_kind[kind].discard(subscriber)

    async def check_resumable(self, after: int) -> None:
        """ResyncRequired when events after `after` have been pruned from the log."""
        oldest = await self.log.oldest_id()
        if after < (oldest - 1 if oldest is not None else await self.log.last_id()):
            raise ResyncRequired(f"events after {after} are no longer kept (the log keeps "
                                 f"{RETENTION.total_seconds() / 60:g} minutes): read the current state and "
                                 f"subscribe again without `after`")

    async def _replay(self, subscriber: Subscriber, after: int, through: int) -> None:
        """The events in (after, through] for the subscriber, the latest of each key; those after
        `through` come from the follower."""
        missed: dict[str, LiveEvent] = {}
        position = after
        while position < through:
            page = await self.log.after(position, PAGE)
            if not page:
                break
            for event in page:
                if event.id > through:
                    break
                if event.kind is subscriber.kind:
                    for key in subscriber.keys if event.key == EVERY_SKU else (event.key,):
                        if key in subscriber.keys:
                            missed[key] = event
            position = page[-1].id
        await self._deliver([(subscriber, event, key) for key, event in sorted(missed.items(), key=lambda m: m[1].id)])


def hub_of(ctx: RequestContext) -> LiveHub:
    if ctx.services.live is None:
        raise DomainError("subscriptions are off in this gateway ([subscriptions] enabled = false)")
    return ctx.services.live


async def sku_changes(ctx: RequestContext, kind: LiveEventKind, skus: Sequence[str],
                      after: str | None) -> AsyncIterator[Delivery]:
    """Each change of these SKUs from now on (after the event id `after`, when given), read in the
    operation's channel and store. What is wrong with the request is raised here, before the first
    change: the subscription is refused rather than ended."""
    hub = hub_of(ctx)
    keys = checked_skus(skus, hub.max_skus)
    resume = event_id(after)
    if resume is not None:
        await hub.check_resumable(resume)
    return _deliveries(ctx, hub.subscribed(kind, keys, View.of(ctx), resume, ctx.operation_name))


async def _deliveries(ctx: RequestContext, subscription: contextlib.AbstractAsyncContextManager[Subscriber],
                      ) -> AsyncIterator[Delivery]:
    async with subscription as subscriber:
        while True:
            for delivery in await subscriber.take():
                ctx.renew()  # each change is read afresh, its errors reported with it alone
                yield delivery


def event_id(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise BadUserInput("`after`: an event id as a subscription sent it (`eventId`)")
    return int(raw)
