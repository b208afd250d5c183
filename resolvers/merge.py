"""Content merge: each field comes from the first backend in its ownership order that has it.

A backend that does not know the product, or leaves the field empty, passes to
the next in line. A backend that fails stops the line: the field is null with
that backend's error, rather than silently showing another system's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.records import ContentRecord, ErpProduct
from resolvers.context import RequestContext


@dataclass(frozen=True, slots=True)
class Sourced:
    value: Any
    backend: str | None


def _erp_content(product: ErpProduct) -> ContentRecord:
    return ContentRecord(backend="odoo", sku=product.sku, title=product.title, description=product.description,
                         brand=product.brand, categories=(product.category,) if product.category else (),
                         gtin=product.gtin, updated_at=product.updated_at)


async def _record(ctx: RequestContext, product: ErpProduct, backend: str) -> ContentRecord | None:
    if backend == "woocommerce":
        return await ctx.loaders.content_by_sku.load(product.sku)
    if backend == "medusa":
        variants = await ctx.loaders.variants_by_product_id.load(product.erp_id)
        if not variants:
            return None
        app = await ctx.loaders.app_variant_by_sku.load(variants[0].sku)
        return app.product if app else None
    if backend == "odoo":
        return _erp_content(product)
    raise ValueError(f"unknown content backend {backend!r}")


async def content_field(ctx: RequestContext, product: ErpProduct, field: str) -> Sourced:
    for backend in ctx.catalog_rules.ownership[field]:
        record = await _record(ctx, product, backend)
        value = getattr(record, field) if record is not None else None
        if value:
            return Sourced(value, backend)
    empty: Any = () if field in ("categories", "images", "attributes") else None
    return Sourced(empty, None)
