"""Fetching by plan: what the selection under a set of products or variants will read, asked of the
DataLoaders in one go, before any field runs, so that independent backend calls share one round.

A product record already carries its variants' ERP ids, so the variants, the web-shop's content,
the channel's ERP prices and the ERP stock of a page are all asked in the round after the page
(two rounds for a listing instead of three). What needs the variants' SKUs (the app backend's and
the marketplace's records, option names) is asked once the variants are known.

Only what the channel's rules make the resolvers read is asked: the fields then find their data
loaded and finish without waiting. Warming loads nothing the fields would not load themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from enum import Enum
from typing import Any

from domain.records import ErpProduct, ErpVariant
from domain.roles import Role
from resolvers.context import RequestContext
from resolvers.rules import PriceSource, StockSource


class Need(Enum):
    CONTENT = "content"  # the web-shop's product content
    VARIANTS = "variants"
    PRICES = "prices"  # each variant's price in the channel
    STOCK = "stock"  # each variant's stock in the channel
    OPTIONS = "options"  # variant option names and values


def warm_products(ctx: RequestContext, products: Iterable[ErpProduct], needs: frozenset[Need]) -> list[asyncio.Future[Any]]:
    """Asks the loaders for what `needs` will read of `products`; answers the loads still under way."""
    products = _not_yet(ctx, "products", products, needs)
    loaders, rules = ctx.loaders, ctx.rules
    asked: list[Any] = []
    if Need.CONTENT in needs and any(Role.WEB_SHOP in order for order in ctx.catalog_rules.ownership.values()):
        asked += [loaders.content_by_sku.load(p.sku) for p in products]
    if Need.VARIANTS in needs:
        asked += [loaders.variants_by_product_id.load(p.erp_id) for p in products]
    variant_ids = [v for p in products for v in p.variant_ids]
    if Need.PRICES in needs and rules.price_source is PriceSource.ERP and rules.pricelist_id is not None:
        asked += [loaders.channel_price_by_key.load((rules.pricelist_id, v)) for v in variant_ids]
    if Need.STOCK in needs and rules.stock_source is StockSource.ERP:
        asked += [loaders.stock_by_variant_id.load(v) for v in variant_ids]
    return _under_way(asked)


def warm_variants(ctx: RequestContext, variants: Iterable[ErpVariant], needs: frozenset[Need]) -> list[asyncio.Future[Any]]:
    variants = _not_yet(ctx, "variants", variants, needs)
    loaders, rules = ctx.loaders, ctx.rules
    asked: list[Any] = []
    if Need.OPTIONS in needs:
        asked += [loaders.option_by_id.load(o) for v in variants for o in v.option_value_ids]
    if Need.PRICES in needs:
        if rules.price_source is PriceSource.APP:
            asked += [loaders.app_variant_by_sku.load(v.sku) for v in variants]
        elif rules.price_source is PriceSource.MARKETPLACE:
            asked += [loaders.offer_by_sku.load(v.sku) for v in variants]
        elif rules.pricelist_id is not None:
            asked += [loaders.channel_price_by_key.load((rules.pricelist_id, v.erp_id)) for v in variants]
    if Need.STOCK in needs:
        if rules.stock_source is StockSource.MARKETPLACE:
            asked += [loaders.pool_by_sku.load(v.sku) for v in variants]
        else:
            asked += [loaders.stock_by_variant_id.load(v.erp_id) for v in variants]
        if ctx.services.holds is not None:
            asked += [loaders.holds_by_sku.load(v.sku) for v in variants]
    return _under_way(asked)


def _not_yet[R: (ErpProduct, ErpVariant)](ctx: RequestContext, kind: str, records: Iterable[R],
                                           needs: frozenset[Need]) -> list[R]:
    """The records not warmed for `needs` yet in this operation: a page warmed as a whole is not warmed
    again product by product as its fields complete."""
    warmed: dict[int, frozenset[Need]] = ctx.memo.setdefault(("warmed", kind), {})
    fresh = [r for r in records if not needs <= warmed.get(r.erp_id, frozenset())]
    for record in fresh:
        warmed[record.erp_id] = warmed.get(record.erp_id, frozenset()) | needs
    return fresh


def _under_way(asked: list[Any]) -> list[asyncio.Future[Any]]:
    """The loads not settled yet (await them with `eager.settled`, which also reads their failures:
    the fields that need a value report its failure, nothing else must)."""
    return list({id(f): f for f in asked if not f.done()}.values())
