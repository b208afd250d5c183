"""What a catalog selection will read, for fetching by plan: per field of Product and Variant, the
data its resolver loads (resolvers/prefetch.py asks for it in one go).

A compiled field whose value holds products or variants gets a warmer: called with the resolved
value before its selection is completed, it starts every load that selection needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from resolvers.context import RequestContext
from resolvers.prefetch import Need, warm_products, warm_variants
from schema.compiled.shapes import LIST, NON_NULL, OBJECT, Shape

PRODUCT_NEEDS: dict[str, frozenset[Need]] = {
    **dict.fromkeys(("title", "description", "brand", "categories", "images", "attributes", "updatedAt"),
                    frozenset({Need.CONTENT})),
    "variants": frozenset({Need.VARIANTS}),
    "priceRange": frozenset({Need.VARIANTS, Need.PRICES}),
    "availableForSale": frozenset({Need.VARIANTS, Need.STOCK}),
    "totalInventory": frozenset({Need.VARIANTS, Need.STOCK}),
    "storeAvailability": frozenset({Need.VARIANTS, Need.STOCK}),
    "sources": frozenset({Need.CONTENT, Need.VARIANTS, Need.PRICES}),
}
VARIANT_NEEDS: dict[str, frozenset[Need]] = {
    **dict.fromkeys(("price", "compareAtPrice"), frozenset({Need.PRICES})),
    **dict.fromkeys(("quantityAvailable", "stock", "availableForSale", "storeAvailability"), frozenset({Need.STOCK})),
    **dict.fromkeys(("selectedOptions", "title"), frozenset({Need.OPTIONS})),
}
# what a product can ask for its variants before it has them: it knows their ERP ids
LIFTED_FROM_VARIANTS = frozenset({Need.PRICES, Need.STOCK})

Warmer = Callable[[Any, RequestContext], list[Any]]


def _object(shape: Shape | None) -> Shape | None:
    """The object shape under non-null and list wrappers."""
    while shape is not None and shape.kind in (NON_NULL, LIST):
        shape = shape.inner
    return shape if shape is not None and shape.kind == OBJECT else None


def _needs(shape: Shape, table: dict[str, frozenset[Need]]) -> frozenset[Need]:
    found: set[Need] = set()
    for field in shape.fields:
        if field.refusal is None:  # a refused field reads nothing
            found |= table.get(field.name, frozenset())
    return frozenset(found)


def product_needs(shape: Shape) -> frozenset[Need]:
    needs = set(_needs(shape, PRODUCT_NEEDS))
    for field in shape.fields:
        variant = _object(field.shape) if field.name == "variants" and field.refusal is None else None
        if variant is not None:
            needs |= _needs(variant, VARIANT_NEEDS) & LIFTED_FROM_VARIANTS
    return frozenset(needs)


def _records(value: Any) -> list[Any]:
    """The domain records in a resolved value: one object or a (nested) list of them."""
    if isinstance(value, list):
        return [r for item in value for r in _records(item)]
    return [value.record] if value is not None else []


def warmer_for(shape: Shape | None) -> Warmer | None:
    target = _object(shape)
    if target is None:
        return None
    if target.type_name == "Product":
        needs = product_needs(target)
        return (lambda value, ctx: warm_products(ctx, _records(value), needs)) if needs else None
    if target.type_name == "Variant":
        needs = _needs(target, VARIANT_NEEDS)
        return (lambda value, ctx: warm_variants(ctx, _records(value), needs)) if needs else None
    if target.type_name == "ProductConnection":
        needs = frozenset().union(*(product_needs(node) for field in target.fields if field.name in ("edges", "nodes")
                                    for node in [_edge_node(field)] if node is not None))
        return (lambda value, ctx: warm_products(ctx, value.listing.products, needs)) if needs else None
    return None


def _edge_node(field: Any) -> Shape | None:
    """`nodes`' product shape, or `edges { node }`'s."""
    inner = _object(field.shape)
    if inner is None or field.name == "nodes":
        return inner
    shapes = [_object(f.shape) for f in inner.fields if f.name == "node"]
    merged = [s for s in shapes if s is not None]
    if not merged:
        return None
    return Shape(OBJECT, fields=[f for s in merged for f in s.fields], type_name="Product")
