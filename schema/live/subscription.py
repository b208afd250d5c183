"""Subscriptions (graphql-transport-ws on /graphql): changes of SKUs and of a cart, as they happen in
any gateway process. Each needs the scope its query counterpart needs."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.types import Info

from domain.api_keys import Scope
from domain.records import LiveEventKind
from resolvers.carts.live import cart_versions
from resolvers.live_hub import sku_changes
from schema.carts.types import Cart
from schema.context import ctx
from schema.catalog.changes import CatalogChange
from schema.live.types import PriceChange, StockChange, catalog_change
from schema.scopes import needs

Skus = Annotated[list[str], strawberry.argument(
    description="1 to 100 SKUs (`subscriptions.max_skus`), each 1 to 64 printable characters.")]
After = Annotated[strawberry.ID | None, strawberry.argument(
    description="The last `eventId` the client received: what changed since is sent first (the latest change "
                "of each SKU). RESYNC_REQUIRED when the log no longer reaches back that far (30 minutes).")]


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Stock of these SKUs in the operation's channel and store, on each change.",
                             extensions=[needs(Scope.STOCK_READ)])
    async def stock_changed(self, info: Info, skus: Skus, after: After = None) -> AsyncGenerator[StockChange]:
        changes = await sku_changes(ctx(info), LiveEventKind.STOCK, skus, after)
        return (StockChange.of(delivery) async for delivery in changes)

    @strawberry.subscription(description="Prices of these SKUs in the operation's channel, on each change.",
                             extensions=[needs(Scope.CATALOG_READ)])
    async def price_changed(self, info: Info, skus: Skus, after: After = None) -> AsyncGenerator[PriceChange]:
        changes = await sku_changes(ctx(info), LiveEventKind.PRICE, skus, after)
        return (PriceChange.of(delivery) async for delivery in changes)

    @strawberry.subscription(description="The product of these SKUs, on each change of its content.",
                             extensions=[needs(Scope.CATALOG_READ)])
    async def product_changed(self, info: Info, skus: Skus, after: After = None) -> AsyncGenerator[CatalogChange]:
        changes = await sku_changes(ctx(info), LiveEventKind.PRODUCT, skus, after)
        path = [*info.path.as_list(), "product"]
        return (catalog_change(delivery, ctx(info), path) async for delivery in changes)

    @strawberry.subscription(description="The cart on each change (a guest's by ID alone, a customer's only with "
                                         "their token), once per version.",
                             extensions=[needs(Scope.CART_WRITE)])
    async def cart_updated(self, info: Info, cart_id: strawberry.ID, known_version: Annotated[
            int | None, strawberry.argument(description="The version the client holds: a cart past it is sent "
                                                        "at once.")] = None) -> AsyncGenerator[Cart]:
        versions = await cart_versions(ctx(info), cart_id, known_version)
        return (Cart.of(cart) async for cart in versions)
