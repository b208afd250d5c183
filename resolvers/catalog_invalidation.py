"""Invalidation of shared answers from the backends' own change feeds (the feeds of delta sync).

One gateway process at a time, whichever claims the interval's lease (like the marketplace sweep),
reads every feed of every channel from where the last read ended (a delta-sync cursor kept beside
the lease) and publishes what changed to the invalidation log: the ERP products, what of them
changed, whether the assortment did, and the stock figures to read again. Every process follows
the log and applies each change once: it ends the answers that hold what changed and forgets the
stock figures it kept of it. A change reaches the answers once it has settled
(`catalog.changes_settle_seconds`), within a poll interval plus a follow interval.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from domain.errors import BadUserInput
from domain.ports import InvalidationLog
from domain.records import CatalogInvalidation, ChangeAspect, ChangeMark
from domain.roles import Role
from resolvers import cursors
from resolvers.background import forever
from resolvers.catalog import MAX_PAGE
from resolvers.catalog_changes import CONTENT_AND_PRICE, ChangePage, Feed, catalog_changes
from resolvers.context import RequestContext, Services
from resolvers import live_events
from resolvers.live_events import NewEvent, catalog_events
from resolvers.loaders import POOL_TAG, STOCK_TAG
from resolvers.rules import PriceSource, StockSource
from resolvers.stock_cache import StockCache

log = logging.getLogger(__name__)
MAX_PAGES = 10  # pages of changes one poll reads; the rest waits for the next poll
RETENTION = timedelta(hours=1)  # how long the log keeps a change
LOOKBACK = timedelta(seconds=30)  # followers read the log again this far back: a publication may land late


async def invalidation_feeds(ctx: RequestContext) -> list[Feed]:
    """Every feed of every channel, once: whatever a shared answer of any channel may show."""
    backends, rules = ctx.services.backends, ctx.catalog_rules
    erp, channels = backends.erp, list(rules.channels.values())
    feeds = [Feed(f"{erp.name}.products", CONTENT_AND_PRICE, erp.product_changes, assortment=True),
             Feed(f"{erp.name}.variants", CONTENT_AND_PRICE, erp.variant_changes)]
    for pricelist_id in sorted({c.pricelist_id for c in channels if c.pricelist_id is not None}):
        feeds.append(Feed(f"{erp.name}.prices.{pricelist_id}", frozenset({ChangeAspect.PRICE}),
                          functools.partial(erp.price_list_changes, pricelist_id)))
    # every warehouse: a channel's stock, and any channel's store availability, may show it
    locations = sorted(w.stock_location_id for w in (await ctx.services.directory.warehouses()).values())
    feeds.append(Feed(f"{erp.name}.stock", frozenset({ChangeAspect.STOCK}),
                      functools.partial(erp.stock_changes, locations)))
    owners = {r for order in rules.ownership.values() for r in order}
    if Role.WEB_SHOP in owners:
        feeds.append(Feed(backends.content.name, frozenset({ChangeAspect.CONTENT}), backends.content.content_changes))
    if Role.APP_BACKEND in owners or any(c.price_source is PriceSource.APP for c in channels):
        feeds.append(Feed(backends.app.name, CONTENT_AND_PRICE, backends.app.content_changes))
    swept = ({ChangeAspect.PRICE} if any(c.price_source is PriceSource.MARKETPLACE for c in channels) else set()) | (
        {ChangeAspect.STOCK} if any(c.stock_source is StockSource.MARKETPLACE for c in channels) else set())
    if swept and ctx.services.fingerprints is not None:
        swept_feed = backends.marketplace.name  # as the sweep names it
        feeds.append(Feed(swept_feed, frozenset(swept),
                          functools.partial(ctx.services.fingerprints.changes, swept_feed)))
    return feeds


async def poll(services: Services, changes_log: InvalidationLog, every_seconds: float) -> int | None:
    """Reads the change feeds when no process has within the interval, and publishes what changed;
    how many products changed, or None when another process holds the lease."""
    now = services.clock()  # the lease, and where a feed new to the cursor starts
    if not await changes_log.claim_poll(now, timedelta(seconds=every_seconds)):
        return None
    ctx = RequestContext(services=services, request_id="answer invalidation", channel=services.rules.default_channel)
    feeds = await invalidation_feeds(ctx)
    settled = now - timedelta(seconds=services.rules.changes_settle_seconds)
    stored = await changes_log.cursor()
    cursor = _resumed(stored, feeds, settled)
    changed = 0
    for _ in range(MAX_PAGES):
        page = await catalog_changes(ctx, since=cursor, first=MAX_PAGE, feeds=feeds)
        for _, error in ctx.reported:  # that feed keeps its mark: its changes come with a later poll
            log.warning("a change feed failed", extra={"backend": getattr(error, "backend", None), "error": str(error)})
        ctx.reported.clear()
        change, events = await _invalidation(ctx, page) if page.changes or page.every_product else (None, [])
        if events and services.events is not None:  # before the cursor moves on: a crash between publishes twice
            await services.events.publish(events, services.clock())
        # a cursor never stored is stored now, changes or not: else the next poll starts again from its
        # own now, and a change stamped between the two starts is never read
        if change is not None or page.cursor != stored:
            await changes_log.publish(change, page.cursor, datetime.now(UTC))
            stored = page.cursor
        changed, cursor = changed + len(page.changes), page.cursor
        if not page.has_more:
            break
    await changes_log.prune(now - RETENTION)
    if services.events is not None:
        await services.events.prune(now - live_events.RETENTION)
    return changed


def _resumed(stored: str | None, feeds: list[Feed], start: datetime) -> str:
    """The cursor to read on from; a feed it does not know yet (the first poll, a new channel) starts
    at `start` rather than at the beginning of its history."""
    marks: dict[str, ChangeMark] = {}
    if stored:
        try:
            marks = cursors.decode_marks(stored)
        except BadUserInput:
            log.warning("the stored invalidation cursor is unreadable; reading the feeds from now on")
    # just before `start`'s whole second: backends stamp changes to the second or millisecond, so no
    # change is ever at this instant, and the mark's key (whatever its feed's key type) is never compared
    instant = start.replace(microsecond=0) - timedelta(microseconds=1)
    for feed in feeds:
        marks.setdefault(feed.name, ChangeMark(instant, 0))
    return cursors.encode_marks(marks)


async def _invalidation(ctx: RequestContext, page: ChangePage) -> tuple[CatalogInvalidation, list[NewEvent]]:
    """What the page changed, for the answers kept (the invalidation) and for the live readers (an
    event per SKU and what changed of it)."""
    products = [(c.product_erp_id, c) for c in page.changes if c.product_erp_id is not None]
    variants = await ctx.loaders.variants_by_product_id.load_many([product_id for product_id, _ in products])
    # what changed of each variant: a stock count names its variant, so its siblings' stock did not change
    changed = [(v, c.aspects if c.stock_variant_ids is None or v.erp_id in c.stock_variant_ids
                else c.aspects - {ChangeAspect.STOCK})
               for (_, c), group in zip(products, variants, strict=True) for v in group]
    stocked = [v for v, aspects in changed if ChangeAspect.STOCK in aspects]
    change = CatalogInvalidation(
        products=tuple((product_id, c.aspects) for product_id, c in products),
        assortment=any(c.assortment for c in page.changes),
        variant_ids=tuple(v.erp_id for v in stocked), variant_skus=tuple(v.sku for v in stocked),
        every_product=page.every_product)
    events = catalog_events(((v.sku, aspects) for v, aspects in changed if aspects), page.every_product)
    return change, events


class Follower:
    """Applies every change the log publishes, once, in this process."""

    def __init__(self, changes_log: InvalidationLog, apply: Callable[[CatalogInvalidation], object],
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.log = changes_log
        self.apply = apply
        self.read_up_to = clock()  # the newest publication applied; a new process has nothing older to end
        self.seen: dict[str, datetime] = {}  # ids applied within the lookback

    async def follow(self) -> int:
        """Applies what was published since the last call; how many changes."""
        found = await self.log.since(self.read_up_to - LOOKBACK, self.seen)
        for logged in found:
            self.apply(logged.change)
            self.seen[logged.id] = logged.at
            self.read_up_to = max(self.read_up_to, logged.at)
        self.seen = {i: at for i, at in self.seen.items() if at > self.read_up_to - LOOKBACK}
        return len(found)


def forget_stock(cache: StockCache | None, change: CatalogInvalidation) -> None:
    """Forgets the kept stock figures of what changed, so that answers made again read them live."""
    if cache is not None:
        cache.forget([(STOCK_TAG, v) for v in change.variant_ids] + [(POOL_TAG, s) for s in change.variant_skus])


async def poll_forever(services: Services, changes_log: InvalidationLog, every_seconds: float) -> None:
    await forever(functools.partial(poll, services, changes_log, every_seconds), every_seconds,
                  "answer invalidation: poll")


async def follow_forever(follower: Follower, every_seconds: float) -> None:
    await forever(follower.follow, every_seconds, "answer invalidation: follow")
