"""Stock per channel: ERP available (on hand − reserved) over the channel's warehouses,
or the marketplace's own pool; every figure says when and where it was true."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


async def variant_stock(ctx: RequestContext, variant: ErpVariant) -> StockFigure:
    """The variant's stock in the operation's channel; worked out once per operation (a listing asks
    it for each variant's fields and again for its product's)."""
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


async def store_availability(ctx: RequestContext, variants: list[ErpVariant], near: GeoPoint | None,
                             first: int) -> list[StoreStock]:
    """Pickup stores nearest first, each with what the given variants hold there together."""
    key = ("nearest_stores", near, first)  # the same for every product of a listing
    stores = ctx.memo.get(key)
    if stores is None:
        stores = ctx.memo[key] = sort_by_distance(await ctx.services.directory.pickup_stores(), near)[:first]
    snapshots = await load_all(ctx.loaders.stock_by_variant_id, [v.erp_id for v in variants])
    ready = ctx.catalog_rules.pickup_ready_within
    result = []
    for store, distance in stores:
        quantity = sum(s.available_at((store.stock_location_id,)) for s in snapshots)
        result.append(StoreStock(store, distance, quantity, ready if quantity > 0 else None))
    return result
