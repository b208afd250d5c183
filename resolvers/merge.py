"""Content merge: each field comes from the first role in its ownership order whose backend has it.

A backend that does not know the product, or leaves the field empty, passes to
the next in line. A backend that fails stops the line: the field is null with
that backend's error, rather than silently showing another system's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.records import ContentRecord, ErpProduct
from domain.roles import Role
from resolvers.context import RequestContext


@dataclass(frozen=True, slots=True)
class Sourced:
    value: Any
    backend: str | None  # the name of the adapter that supplied it


def _erp_content(product: ErpProduct, backend: str) -> ContentRecord:
    return ContentRecord(backend=backend, sku=product.sku, title=product.title, description=product.description,
                         brand=product.brand, categories=(product.category,) if product.category else (),
                         gtin=product.gtin, updated_at=product.updated_at)


async def _record(ctx: RequestContext, product: ErpProduct, role: Role) -> ContentRecord | None:
    match role:
        case Role.WEB_SHOP:
            return await ctx.loaders.content_by_sku.load(product.sku)
        case Role.APP_BACKEND:
            variants = await ctx.loaders.variants_by_product_id.load(product.erp_id)
            if not variants:
                return None
            app = await ctx.loaders.app_variant_by_sku.load(variants[0].sku)
            return app.product if app else None
        case Role.ERP:
            return _erp_content(product, ctx.services.backends.erp.name)
    raise ValueError(f"the {role} holds no product content")


async def content_field(ctx: RequestContext, product: ErpProduct, field: str) -> Sourced:
    for role in ctx.catalog_rules.ownership[field]:
        record = await _record(ctx, product, role)
        value = getattr(record, field) if record is not None else None
        if value:
            return Sourced(value, ctx.services.backends.name_of(role))
    empty: Any = () if field in ("categories", "images", "attributes") else None
    return Sourced(empty, None)
