"""Stock per channel: ERP available (on hand − reserved) over the channel's warehouses,
or the marketplace's own pool, less what other carts hold of it (domain/holds.py); every figure
says when and where it was true."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from domain.holds import held_units
from domain.records import ErpVariant, GeoPoint, Warehouse
from resolvers.context import RequestContext
from resolvers.eager import load_all
from resolvers.rules import StockSource
from resolvers.stores import sort_by_distance


@dataclass(frozen=True, slots=True)
class StockFigure:
    quantity: int
    as_of: datetime
    source: str  # the name of the adapter whose figure it is


@dataclass(frozen=True, slots=True)
class StoreStock:
    store: Warehouse
    distance_km: float | None
    quantity: int
    ready_within: str | None


async def channel_location_ids(ctx: RequestContext) -> tuple[int, ...]:
    """The ERP locations whose stock the operation's channel (or chosen store) sells from; worked out
    once per operation, since every stock figure of it asks."""
    found = ctx.memo.get("channel_locations")
    if found is None:
        directory = ctx.services.directory
        if ctx.store_code is not None:
            found = await directory.location_ids((ctx.store_code,))
        else:
            found = await directory.location_ids(ctx.rules.stock_warehouses or tuple(await directory.warehouses()))
        ctx.memo["channel_locations"] = found
    return found


def stock_backend(ctx: RequestContext) -> str:
    """The name of the backend whose stock the operation's channel shows."""
    backends = ctx.services.backends
    return backends.marketplace.name if ctx.rules.stock_source is StockSource.MARKETPLACE else backends.erp.name


async def channel_pool(ctx: RequestContext) -> frozenset[int]:
    """What the operation's channel sells from, as holds name it: its ERP locations, or (empty) the
    marketplace's pool."""
    if ctx.rules.stock_source is StockSource.MARKETPLACE:
        return frozenset()
    return frozenset(await channel_location_ids(ctx))


async def channel_figure(ctx: RequestContext, variant: ErpVariant) -> StockFigure:
    """The variant's stock in the operation's channel as its backend tells it, holds not subtracted;
    worked out once per operation (a listing asks it for each variant's fields and again for its
    product's)."""
    key = ("stock", variant.erp_id)
    figure = ctx.memo.get(key)
    if figure is None:
        if ctx.rules.stock_source is StockSource.MARKETPLACE:
            pool = await ctx.loaders.pool_by_sku.load(variant.sku)
            figure = StockFigure(pool.item.quantity if pool.item else 0, pool.as_of, stock_backend(ctx))
        else:
            snapshot = await ctx.loaders.stock_by_variant_id.load(variant.erp_id)
            figure = StockFigure(snapshot.available_at(await channel_location_ids(ctx)), snapshot.as_of,
                                 stock_backend(ctx))
        ctx.memo[key] = figure
    return figure


async def variant_stock(ctx: RequestContext, variant: ErpVariant, for_cart: str | None = None) -> StockFigure:
    """The variant's stock in the operation's channel, less what carts hold of it: all of them, or,
    `for_cart`, the others (a cart's own units are there for it)."""
    if ctx.services.holds is None:
        return await channel_figure(ctx, variant)
    key = ("held stock", variant.erp_id, for_cart)
    figure = ctx.memo.get(key)
    if figure is None:
        asked = ctx.loaders.holds_by_sku.load(variant.sku)  # asked first: one read with every other variant's
        figure = await channel_figure(ctx, variant)
        taken = held_units(await asked, await channel_pool(ctx), figure.as_of, for_cart)
        figure = ctx.memo[key] = replace(figure, quantity=max(0, figure.quantity - taken)) if taken else figure
    return figure


async def store_stock(ctx: RequestContext, variant: ErpVariant, store: Warehouse, for_cart: str | None = None) -> int:
    """What one store has of the variant, less what other carts hold of it there."""
    snapshot = await ctx.loaders.stock_by_variant_id.load(variant.erp_id)
    here = (store.stock_location_id,)
    holds = await ctx.loaders.holds_by_sku.load(variant.sku) if ctx.services.holds is not None else []
    return max(0, snapshot.available_at(here) - held_units(holds, frozenset(here), snapshot.as_of, for_cart))


async def store_availability(ctx: RequestContext, variants: list[ErpVariant], near: GeoPoint | None,
                             first: int) -> list[StoreStock]:
    """Pickup stores nearest first, each with what the given variants hold there together."""
    key = ("nearest_stores", near, first)  # the same for every product of a listing
    stores = ctx.memo.get(key)
    if stores is None:
        stores = ctx.memo[key] = sort_by_distance(await ctx.services.directory.pickup_stores(), near)[:first]
    snapshots = await load_all(ctx.loaders.stock_by_variant_id, [v.erp_id for v in variants])
    holds = await load_all(ctx.loaders.holds_by_sku, [v.sku for v in variants]) if ctx.services.holds else \
        [[] for _ in variants]
    ready = ctx.catalog_rules.pickup_ready_within
    result = []
    for store, distance in stores:
        here = (store.stock_location_id,)
        quantity = sum(max(0, s.available_at(here) - held_units(h, frozenset(here), s.as_of))
                       for s, h in zip(snapshots, holds, strict=True))
        result.append(StoreStock(store, distance, quantity, ready if quantity > 0 else None))
    return result
