"""Keeping the recommendation counts: the ERP's order feed (every channel's orders land there, the
gateway's checkouts too) folded into the store, by one gateway process at a time (a lease), from
where the last pass ended. Each order adds its difference once (the store's fold is idempotent), so
an order read again, or a pass cut short and started over, counts nothing twice. An order is folded
in once it has settled (`catalog.changes_settle_seconds`), within a poll interval after that.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta

from domain.ports import RecommendationStore
from domain.records import ChangeMark
from domain.recommendations import OrderEvent
from resolvers.background import forever
from resolvers.context import Services

log = logging.getLogger(__name__)
PAGE = 500          # orders read per call of the feed (four ERP calls whatever its size)
MAX_PAGES = 4       # pages one pass reads; the rest waits for the next pass
PASS_LEASE_SECONDS = 300  # a pass holds its lease this long at least, then hands it back: a fold of
                          # FOLD_ORDERS can outlast the poll interval on a slow store, and must not overlap another
FOLD_ORDERS = 2_000  # orders folded into the store at once: each counts document is rewritten once per fold,
                     # so the more orders a fold holds the fewer rewrites each order costs


async def fold_orders(services: Services, store: RecommendationStore, every_seconds: float,
                      max_pages: int = MAX_PAGES) -> int | None:
    """Folds in the orders written since the last pass, when no process has within the interval;
    how many orders changed the counts, or None when another process holds the lease. Pages are
    read until `FOLD_ORDERS` orders are in hand, then folded in at once. A pass reads no new page
    after half the interval (a first load of a long history takes several), and holds the lease
    while it runs, however long its folds take (`PASS_LEASE_SECONDS`), so that no other process
    folds beside it; then it hands it back as if claimed for the interval."""
    now = services.clock()
    every = timedelta(seconds=every_seconds)
    if not await store.claim_pass(now, max(every, timedelta(seconds=PASS_LEASE_SECONDS))):
        return None
    try:
        return await _pass(services, store, now, now + every / 2, max_pages)
    finally:
        await store.release_pass(now + every)  # as if claimed for the interval: the next pass within it


async def _pass(services: Services, store: RecommendationStore, now: datetime, ends: datetime,
                max_pages: int) -> int:
    await store.resume()
    until = now - timedelta(seconds=services.rules.changes_settle_seconds)
    mark, folded = await store.mark(), 0
    held: list[OrderEvent] = []
    for _ in range(max_pages):
        events = await services.backends.erp.order_changes(mark, until, PAGE)
        held += events
        if events:
            mark = _mark_of(events)
        last = len(events) < PAGE or services.clock() >= ends
        if held and (last or len(held) >= FOLD_ORDERS):
            folded += await store.fold(held, _mark_of(held))
            held = []
        if last:
            break
    if held:
        folded += await store.fold(held, _mark_of(held))
    return folded


def _mark_of(events: list[OrderEvent]) -> ChangeMark:
    return ChangeMark(events[-1].at, events[-1].order_id)


async def fold_forever(services: Services, store: RecommendationStore, every_seconds: float) -> None:
    await forever(functools.partial(fold_orders, services, store, every_seconds), every_seconds,
                  "recommendations: folding orders in")
