"""The marketplace has no change query, so the gateway sweeps it: every item's pool and offer price,
fingerprinted and compared with what the last sweep saw (kept in MongoDB). What differs is stamped
with the time of the write, and delta sync reads those stamps as the marketplace's change feed.
One process sweeps at a time (a lease per interval), so the marketplace is read once per interval
however many gateway processes run."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from datetime import datetime, timedelta

from domain.errors import BackendError, RecordError
from domain.ports import Clock, FingerprintStore, MarketplaceBackend, utc_now
from domain.records import marketplace_sku

log = logging.getLogger(__name__)


def _now_ms(clock: Clock) -> datetime:
    """MongoDB keeps milliseconds: a stamp written with more would not read back equal (cursor ties)."""
    now = clock()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


async def sweep(marketplace: MarketplaceBackend, store: FingerprintStore, every_seconds: float,
                clock: Clock = utc_now) -> int | None:
    """Sweeps when no process has within the interval; the number of changed items, or None when
    another process holds the lease."""
    feed = marketplace.name  # the swept feed is named after the marketplace's adapter
    if not await store.claim_sweep(feed, clock(), timedelta(seconds=every_seconds)):
        return None
    started = time.perf_counter()
    items = await marketplace.all_inventory()
    offers = {marketplace_sku(o): o for o in await marketplace.offers_by_sku(
        [marketplace_sku(i) for i in items], sweep=True)}
    seen, unreadable = {}, []
    for item in items:
        sku = marketplace_sku(item)
        offer = offers.get(sku)
        if isinstance(item, RecordError) or isinstance(offer, RecordError):
            unreadable.append(sku)  # fingerprinted as such: a change when it breaks and again when it mends
        quantity = "unreadable" if isinstance(item, RecordError) else item.quantity
        price = ("unreadable" if isinstance(offer, RecordError) else
                 f"{offer.price.amount}|{offer.price.currency}" if offer else "no offer")
        seen[sku] = hashlib.sha256(f"{quantity}|{price}".encode()).hexdigest()[:32]
    changed = await store.record(feed, seen, _now_ms(clock))
    if unreadable:
        log.warning("marketplace records unreadable", extra={"count": len(unreadable), "skus": unreadable[:20]})
    log.info("marketplace swept", extra={"items": len(items), "changed": changed,
                                         "seconds": round(time.perf_counter() - started, 2)})
    return changed


async def sweep_forever(marketplace: MarketplaceBackend, store: FingerprintStore, every_seconds: float,
                        clock: Clock = utc_now) -> None:
    """The background task: a failed sweep is logged and tried again at the next interval."""
    while True:
        try:
            await sweep(marketplace, store, every_seconds, clock)
        except BackendError as exc:
            log.warning("marketplace sweep failed", extra={"backend": exc.backend, "error": str(exc)})
        await asyncio.sleep(every_seconds)
