"""Live events: what the change feeds' poll and the gateway's own writes publish to the event log,
and how a reader follows the log in id order (subscriptions in every process, and the background
work that pushes changes out: partner webhooks, the marketplace push)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from domain.ports import Clock, EventLog
from domain.records import EVERY_SKU, ChangeAspect, LiveEvent, LiveEventKind

RETENTION = timedelta(minutes=30)  # how far back a reader may resume
GAP_WAIT = timedelta(seconds=5)  # how long a missing id is waited for before it is passed over
KIND_OF_ASPECT = {ChangeAspect.STOCK: LiveEventKind.STOCK, ChangeAspect.PRICE: LiveEventKind.PRICE,
                  ChangeAspect.CONTENT: LiveEventKind.PRODUCT}

type NewEvent = tuple[LiveEventKind, str, int | None]


def catalog_events(changed: Iterable[tuple[str, frozenset[ChangeAspect]]],
                   every_product: frozenset[ChangeAspect] = frozenset()) -> list[NewEvent]:
    """The events of SKUs changed in these aspects, one per SKU and kind; a change to every product
    is one event per kind with the key EVERY_SKU."""
    events: dict[tuple[LiveEventKind, str], NewEvent] = {}
    for sku, aspects in changed:
        for aspect in sorted(aspects):
            kind = KIND_OF_ASPECT[aspect]
            events.setdefault((kind, sku), (kind, sku, None))
    for aspect in sorted(every_product):
        events[(KIND_OF_ASPECT[aspect], EVERY_SKU)] = (KIND_OF_ASPECT[aspect], EVERY_SKU, None)
    return list(events.values())


class EventFollower:
    """Reads the event log in id order, each event once, from just after `position`.

    Ids are handed out before their events are inserted, so a read can find id n+2 while n+1 is
    still on its way: the follower stops before a gap and waits for it, up to GAP_WAIT on `clock`
    (its publisher may have died between numbering and inserting), then passes over it. Order is
    kept: nothing after a gap is handed out before the gap is filled or passed."""

    def __init__(self, log: EventLog, position: int, clock: Clock, batch: int = 500) -> None:
        self.log = log
        self.position = position  # every id up to here is taken or passed over
        self.clock = clock
        self.batch = batch
        self.gap_seen_at: datetime | None = None

    @classmethod
    async def from_now(cls, log: EventLog, clock: Clock, batch: int = 500) -> EventFollower:
        """A follower of the events published from now on."""
        return cls(log, await log.last_id(), clock, batch)

    async def next_events(self) -> list[LiveEvent]:
        """The events published since the last call, in id order (empty when none is)."""
        taken: list[LiveEvent] = []
        for event in await self.log.after(self.position, self.batch):
            if event.id != self.position + 1:
                now = self.clock()
                if self.gap_seen_at is None:
                    self.gap_seen_at = now
                if now - self.gap_seen_at < GAP_WAIT:
                    break
            self.gap_seen_at = None
            taken.append(event)
            self.position = event.id
        return taken
