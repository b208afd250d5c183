"""Finding products: by id, SKU or GTIN, by global ID, and as a filtered, sorted page."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.errors import BadUserInput
from domain.records import ChangeAspect, ErpProduct, ErpVariant, ProductQuery, ProductSortKey, Warehouse
from resolvers import cursors, global_ids
from resolvers.context import RequestContext
from resolvers.stock import channel_location_ids

MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class ProductFilters:
    category: str | None = None
    brand: str | None = None
    available_for_sale: bool | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ProductListing:
    products: tuple[ErpProduct, ...]
    offset: int
    has_next: bool
    query: ProductQuery


def check_first(first: int, what: str = "first") -> int:
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"`{what}` must be between 1 and {MAX_PAGE}, got {first}")
    return first


async def find_product(ctx: RequestContext, *, id: str | None, sku: str | None, gtin: str | None) -> ErpProduct | None:
    given = [name for name, value in (("id", id), ("sku", sku), ("gtin", gtin)) if value is not None]
    if len(given) != 1:
        raise BadUserInput("`product` takes exactly one of `id`, `sku` or `gtin`")
    if id is not None:
        kind, key = global_ids.decode(id)
        if kind != "Product":
            raise BadUserInput(f"{id!r} is the ID of a {kind}, not of a Product")
        return await ctx.loaders.product_by_sku.load(key)  # an ID names the product by its own SKU only
    if sku is not None:
        if not sku.strip():
            return None
        found = await ctx.loaders.product_by_sku.load(sku)
        if found is not None:
            return found
        # else the product of the variant with that SKU, as by a variant's GTIN
        variant = await ctx.loaders.variant_by_sku.load(sku)
    else:
        variant = await ctx.loaders.variant_by_gtin.load(gtin) if gtin else None
    return await ctx.loaders.product_by_id.load(variant.product_erp_id) if variant else None


async def find_node(ctx: RequestContext, global_id: str) -> ErpProduct | ErpVariant | Warehouse | None:
    kind, key = global_ids.decode(global_id)
    if kind == "Product":
        return await ctx.loaders.product_by_sku.load(key)
    if kind == "Variant":
        return await ctx.loaders.variant_by_sku.load(key)
    return await ctx.services.directory.pickup_store(key)  # a warehouse that is no store is not one


async def product_of(ctx: RequestContext, variant: ErpVariant) -> ErpProduct:
    product = await ctx.loaders.product_by_id.load(variant.product_erp_id)
    if product is None:
        raise LookupError(f"variant {variant.sku} points to a product the ERP no longer has")
    return product


async def list_products(ctx: RequestContext, *, first: int, after: str | None, text: str | None,
                        filters: ProductFilters, sort_key: str, reverse: bool) -> ProductListing:
    check_first(first)
    if sort_key not in ProductSortKey:
        raise BadUserInput(f"sortKey must be one of {', '.join(ProductSortKey)}")
    if filters.min_price is not None and filters.max_price is not None and filters.min_price > filters.max_price:
        raise BadUserInput("filter.price: `min` is above `max`")
    offset = cursors.decode_offset(after) + 1 if after else 0
    locations: tuple[int, ...] = ()
    if filters.available_for_sale is not None:
        locations = await channel_location_ids(ctx)
    query = ProductQuery(offset=offset, limit=first, text=(text or "").strip() or None, category=filters.category,
                         brand=filters.brand, in_stock=filters.available_for_sale, min_price=filters.min_price,
                         max_price=filters.max_price, sort_key=ProductSortKey(sort_key), reverse=reverse,
                         stock_location_ids=locations)
    page = await ctx.services.backends.erp.search_products(query)
    ctx.loaders.prime_products(page.products)
    ctx.loaders.held.page(*([ChangeAspect.STOCK] if filters.available_for_sale is not None else []))
    return ProductListing(page.products, offset, page.has_more, query)


async def count_products(ctx: RequestContext, listing: ProductListing) -> int:
    return await ctx.services.backends.erp.count_products(listing.query)
