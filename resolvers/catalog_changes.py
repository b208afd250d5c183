"""Delta sync: the products whose content, price or stock changed since a cursor.

Each backend's own change query is a feed (ERP templates, variants, channel
pricelist items and stock quants by `write_date`; web-shop `modified_after`; app
backend `updated_at`); the marketplace, which has none, through the fingerprints
its sweep keeps (resolvers/marketplace_sweep.py). A page reads every feed of the
channel from its mark, merges the changes oldest first, and stops at `first`
products; each feed's mark moves to the last change the page took, so the next
page starts where it ended. A change of no one product (an ERP pricelist rule for a category or
for every product) comes as `every_product`: what its feed vouches for, of any product.
Changes younger than `changes_settle_seconds` wait for the next sync: a backend
stamps a change when its transaction starts, and may commit it a moment later.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.errors import BackendError
from domain.records import ChangeAspect, ChangeMark, ErpProduct, RecordChange
from domain.roles import Role
from resolvers import cursors
from resolvers.catalog import check_first
from resolvers.context import RequestContext
from resolvers.rules import PriceSource, StockSource
from resolvers.stock import channel_location_ids

log = logging.getLogger(__name__)
ReadFeed = Callable[[ChangeMark | None, datetime, int], Awaitable[list[RecordChange]]]
CONTENT_AND_PRICE = frozenset({ChangeAspect.CONTENT, ChangeAspect.PRICE})


@dataclass(frozen=True, slots=True)
class Feed:
    name: str
    aspects: frozenset[ChangeAspect]  # what a change in this feed may have changed
    read: ReadFeed
    assortment: bool = False  # its changes say whether the product is still sold (the ERP's products)


@dataclass(frozen=True, slots=True)
class ProductChange:
    sku: str
    product: ErpProduct | None  # None when removed from the assortment
    aspects: frozenset[ChangeAspect]
    changed_at: datetime
    product_erp_id: int | None = None
    assortment: bool = False  # the assortment feed reported it: added, removed, or its template changed
    stock_variant_ids: frozenset[int] | None = None  # the variants whose stock changed; None: any of them

    @property
    def removed(self) -> bool:
        return self.product is None


@dataclass(frozen=True, slots=True)
class ChangePage:
    changes: list[ProductChange]
    cursor: str
    has_more: bool
    every_product: frozenset[ChangeAspect] = frozenset()  # may have changed for products not listed too


@dataclass(slots=True)
class _Collected:
    """What one page learnt about one product, over every feed."""

    aspects: set[ChangeAspect] = field(default_factory=set)
    changed_at: datetime | None = None
    sku: str | None = None
    removed: bool | None = None  # set by the assortment feed only: its latest word
    stock_variants: set[int] | None = field(default_factory=set)  # named by stock records; None: one named none

    def add(self, change: RecordChange, feed: Feed) -> None:
        self.aspects |= feed.aspects
        self.changed_at = change.at
        self.sku = self.sku or change.sku
        if feed.assortment:
            self.removed = change.removed
        if ChangeAspect.STOCK in feed.aspects and self.stock_variants is not None:
            if change.variant_erp_id is None:
                self.stock_variants = None
            else:
                self.stock_variants.add(change.variant_erp_id)


async def feeds_of(ctx: RequestContext) -> list[Feed]:
    """The feeds whose changes this channel can see: its content backends, its prices, its stock."""
    backends, rules = ctx.services.backends, ctx.rules
    erp = backends.erp
    feeds = [Feed(f"{erp.name}.products", CONTENT_AND_PRICE, erp.product_changes, assortment=True),
             Feed(f"{erp.name}.variants", CONTENT_AND_PRICE, erp.variant_changes)]
    if rules.pricelist_id is not None:
        feeds.append(Feed(f"{erp.name}.prices", frozenset({ChangeAspect.PRICE}),
                          functools.partial(erp.price_list_changes, rules.pricelist_id)))
    if rules.stock_source is StockSource.ERP:
        locations = await channel_location_ids(ctx)
        feeds.append(Feed(f"{erp.name}.stock", frozenset({ChangeAspect.STOCK}),
                          functools.partial(erp.stock_changes, locations)))
    content_roles = {r for order in ctx.catalog_rules.ownership.values() for r in order}
    if Role.WEB_SHOP in content_roles:
        feeds.append(Feed(backends.content.name, frozenset({ChangeAspect.CONTENT}),
                          backends.content.content_changes))
    if Role.APP_BACKEND in content_roles:
        feeds.append(Feed(backends.app.name, frozenset({ChangeAspect.CONTENT}),
                          backends.app.content_changes))
    swept = ({ChangeAspect.PRICE} if rules.price_source is PriceSource.MARKETPLACE else set()) | (
        {ChangeAspect.STOCK} if rules.stock_source is StockSource.MARKETPLACE else set())
    if swept and ctx.services.fingerprints is not None:
        swept_feed = backends.marketplace.name  # as the sweep names it
        feeds.append(Feed(swept_feed, frozenset(swept),
                          functools.partial(ctx.services.fingerprints.changes, swept_feed)))
    return feeds


async def catalog_changes(ctx: RequestContext, *, since: str | None, first: int,
                          path: list[str | int] | None = None, feeds: list[Feed] | None = None) -> ChangePage:
    """A page of changes from the channel's feeds (or from `feeds`)."""
    check_first(first)
    ctx.loaders.held.page(*ChangeAspect)  # whatever changes anywhere is news to every cursor
    marks = cursors.decode_marks(since) if since else {}
    until = ctx.services.clock() - timedelta(seconds=ctx.catalog_rules.changes_settle_seconds)
    feeds = await feeds_of(ctx) if feeds is None else feeds
    reads = await asyncio.gather(*(f.read(marks.get(f.name), until, first + 1) for f in feeds),
                                 return_exceptions=True)
    changes: list[tuple[int, RecordChange]] = []
    has_more = False
    for n, (feed, read) in enumerate(zip(feeds, reads, strict=True)):
        if isinstance(read, BackendError):
            # its mark stays: the next sync asks this backend again from where it was
            ctx.report(path or ["catalogChanges"], read)
        elif isinstance(read, BaseException):
            raise read
        else:
            changes += [(n, c) for c in read]
            has_more = has_more or len(read) > first
    changes.sort(key=lambda nc: (nc[1].at, nc[0], nc[1].order))
    product_ids = await _product_ids(ctx, [c for _, c in changes])
    collected: dict[int, _Collected] = {}
    every_product: set[ChangeAspect] = set()
    for (n, change), product_id in zip(changes, product_ids, strict=True):
        if change.every_product:
            every_product |= feeds[n].aspects
        elif product_id is not None:
            if product_id not in collected and len(collected) >= first:
                has_more = True
                break
            collected.setdefault(product_id, _Collected()).add(change, feeds[n])
        marks[feeds[n].name] = change.mark  # a change to what the assortment does not hold is passed over
    page = await _resolve(ctx, collected)
    log.debug("catalog changes", extra={"feeds": len(feeds), "changes": len(page), "has_more": has_more})
    return ChangePage(changes=page, cursor=cursors.encode_marks(marks), has_more=has_more,
                      every_product=frozenset(every_product))


async def _product_ids(ctx: RequestContext, changes: list[RecordChange]) -> list[int | None]:
    """The ERP product each change belongs to, by whatever its record carries (None: not in the
    assortment), so that `first` counts products, however many backends mention one."""
    loaders = ctx.loaders
    variant_skus = [c.variant_sku for c in changes if c.product_erp_id is None and c.variant_sku is not None]
    skus = [c.sku for c in changes if c.product_erp_id is None and c.variant_sku is None and c.sku is not None]
    variants = dict(zip(variant_skus, await loaders.variant_by_sku.load_many(variant_skus), strict=True))
    products = dict(zip(skus, await loaders.product_by_sku.load_many(skus), strict=True))
    ids: list[int | None] = []
    for c in changes:
        if c.every_product:
            ids.append(None)
        elif c.product_erp_id is not None:
            ids.append(c.product_erp_id)
        elif c.variant_sku is not None:
            variant = variants.get(c.variant_sku)
            ids.append(variant.product_erp_id if variant else None)
        else:
            product = products.get(c.sku) if c.sku else None
            ids.append(product.erp_id if product else None)
    return ids


async def _resolve(ctx: RequestContext, collected: dict[int, _Collected]) -> list[ProductChange]:
    """The products as they are now; removed ones by the SKU their last change named."""
    wanted = [product_id for product_id, c in collected.items() if not c.removed]
    found = dict(zip(wanted, await ctx.loaders.product_by_id.load_many(wanted), strict=True))
    page = []
    for product_id, c in collected.items():
        product = None if c.removed else found.get(product_id)
        sku = product.sku if product is not None else c.sku
        if sku is None or (product is None and not c.removed):
            continue  # gone from the ERP between its change and now
        stock_variants = frozenset(c.stock_variants) if c.stock_variants else None
        page.append(ProductChange(sku, product, frozenset(c.aspects), c.changed_at,  # type: ignore[arg-type]
                                  product_erp_id=product_id, assortment=c.removed is not None,
                                  stock_variant_ids=stock_variants))
    return sorted(page, key=lambda pc: (pc.changed_at, pc.sku))
