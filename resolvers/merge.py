"""Content merge: each field comes from the first role in its ownership order whose backend has it.

A backend knows a product under the product's SKU or, failing that, under one of its variants'
SKUs (the codes every system shares: a web-shop's parent product may have a SKU of its own, an
app backend's product has none). A backend that does not know the product, or leaves the field
empty, passes to the next in line. A backend that fails stops the line: the field is null with
that backend's error, rather than silently showing another system's value.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from domain.records import ContentRecord, ErpProduct
from domain.roles import Role
from resolvers.context import RequestContext
from resolvers.eager import load_all


@dataclass(frozen=True, slots=True)
class Sourced:
    value: Any
    backend: str | None  # the name of the adapter that supplied it


def _erp_content(product: ErpProduct, backend: str) -> ContentRecord:
    return ContentRecord(backend=backend, sku=product.sku, title=product.title, description=product.description,
                         brand=product.brand, categories=(product.category,) if product.category else (),
                         gtin=product.gtin, updated_at=product.updated_at)


async def shop_content(ctx: RequestContext, product: ErpProduct, app_next: bool = False) -> ContentRecord | None:
    """The web-shop's content of `product`: under its SKU, else under the first of its variants' SKUs
    the web-shop knows. `app_next`: the app backend is the next owner, asked for the variants along
    with that second look (one round for both, where most products it misses are the app's)."""
    found = await ctx.loaders.content_by_sku.load(product.sku)
    if found is not None:
        return found
    variants = await ctx.loaders.variants_by_product_id.load(product.erp_id)
    skus = [v.sku for v in variants]
    if app_next:
        for future in [ctx.loaders.app_variant_by_sku.load(sku) for sku in skus]:
            future.add_done_callback(_read_failure)  # type: ignore[attr-defined]  # unread if the web-shop has it
    return next(filter(None, await load_all(ctx.loaders.content_by_sku, skus)), None)


def _read_failure(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # whoever uses the value reports its failure


async def app_content(ctx: RequestContext, product: ErpProduct) -> ContentRecord | None:
    """The app backend's content of `product`, through the first of its variants' SKUs the app knows."""
    variants = await ctx.loaders.variants_by_product_id.load(product.erp_id)
    found = await load_all(ctx.loaders.app_variant_by_sku, [v.sku for v in variants])
    return next((app.product for app in found if app is not None), None)


async def _record(ctx: RequestContext, product: ErpProduct, role: Role, later: tuple[Role, ...]) -> ContentRecord | None:
    match role:
        case Role.WEB_SHOP:
            return await shop_content(ctx, product, app_next=later[:1] == (Role.APP_BACKEND,))
        case Role.APP_BACKEND:
            return await app_content(ctx, product)
        case Role.ERP:
            return _erp_content(product, ctx.services.backends.erp.name)
    raise ValueError(f"the {role} holds no product content")


async def content_field(ctx: RequestContext, product: ErpProduct, field: str) -> Sourced:
    order = ctx.catalog_rules.ownership[field]
    for n, role in enumerate(order):
        record = await _record(ctx, product, role, order[n + 1:])
        value = getattr(record, field) if record is not None else None
        if value:
            return Sourced(value, ctx.services.backends.name_of(role))
    empty: Any = () if field in ("categories", "images", "attributes") else None
    return Sourced(empty, None)
