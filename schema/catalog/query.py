"""Catalog entry points of `Query`."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from domain.api_keys import Scope
from domain.records import ErpProduct, ErpVariant, Warehouse
from resolvers import catalog, catalog_changes, cursors
from schema.catalog.changes import CatalogChangeConnection
from schema.catalog.enums import ProductSortKey
from schema.catalog.inputs import GeoPointInput, ProductFilter
from schema.catalog.types import (
    Channel,
    PageInfo,
    Product,
    ProductConnection,
    ProductEdge,
    Store,
    Variant,
)
from schema.context import ctx
from schema.node import Node
from schema.scopes import needs


def as_node(record: object) -> Node | None:
    if isinstance(record, ErpProduct):
        return Product.of(record)
    if isinstance(record, ErpVariant):
        return Variant.of(record)
    if isinstance(record, Warehouse):
        return Store.of(record)
    return None


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="One product by global ID, SKU or GTIN; null when no backend knows it.",
                      extensions=[needs(Scope.CATALOG_READ)])
    async def product(self, info: Info, id: strawberry.ID | None = None, sku: str | None = None,
                      gtin: str | None = None) -> Product | None:
        record = await catalog.find_product(ctx(info), id=id, sku=sku, gtin=gtin)
        return Product.of(record) if record else None

    @strawberry.field(description="A page of the assortment. `first` is 1..100.",
                      extensions=[needs(Scope.CATALOG_READ)])
    async def products(self, info: Info, first: int, after: str | None = None, query: str | None = None,
                       filter: ProductFilter | None = None, sort_key: ProductSortKey | None = ProductSortKey.ID,
                       reverse: bool | None = False) -> ProductConnection:
        listing = await catalog.list_products(
            ctx(info), first=first, after=after, text=query,
            filters=filter.to_filters() if filter else catalog.ProductFilters(),
            sort_key=sort_key or ProductSortKey.ID, reverse=bool(reverse))
        edges = [ProductEdge(cursor=cursors.encode_offset(listing.offset + n), node=Product.of(p))
                 for n, p in enumerate(listing.products)]
        page_info = PageInfo(has_next_page=listing.has_next, has_previous_page=listing.offset > 0,
                             start_cursor=edges[0].cursor if edges else None,
                             end_cursor=edges[-1].cursor if edges else None)
        return ProductConnection(listing=listing, edges=edges, page_info=page_info)

    @strawberry.field(description="Pickup stores, nearest first when `near` is given. `first` is 1..100.",
                      extensions=[needs(Scope.CATALOG_READ)])
    async def stores(self, info: Info, first: int, near: GeoPointInput | None = None) -> list[Store]:
        catalog.check_first(first)
        found = await ctx(info).services.directory.nearest(near.to_point() if near else None, first)
        return [Store.of(w, d) for w, d in found]

    @strawberry.field(description="Delta sync: the products whose content, price or stock changed since the cursor "
                                  "(null: since the beginning), and those removed; `first` is 1..100.",
                      extensions=[needs(Scope.CATALOG_READ)])
    async def catalog_changes(self, info: Info, *, since: str | None = None, first: int) -> CatalogChangeConnection:
        page = await catalog_changes.catalog_changes(ctx(info), since=since, first=first,
                                                     path=info.path.as_list())
        return CatalogChangeConnection.of(page, since)

    @strawberry.field(description="Every channel with its currency and its price and stock sources.",
                      extensions=[needs(Scope.CATALOG_READ)])
    def channels(self, info: Info) -> list[Channel]:
        return [Channel(rules=r) for r in ctx(info).catalog_rules.channels.values()]
