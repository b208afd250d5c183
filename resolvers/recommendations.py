"""Recommendations as read: bought together with a product, and for a customer from what they
bought, saved and hold in their cart, across channels; the channel's most ordered products fill
what these leave. Counts come from the recommendation store (resolvers/recommendation_feed.py keeps
them); only products sold and in stock in the operation's channel are shown (one batched read of
the candidates, their variants and stock, through the catalog's loaders).

The work of a request is bounded whatever the history: at most `first` (1..100) results, from at
most `candidates(first)` candidates, seeded by at most `MAX_SEEDS` products, each an index read
with a limit: a product bought with 10,000 others, or a customer with 5,000 orders, costs the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from domain.ports import RecommendationStore
from domain.records import ErpProduct
from domain.recommendations import (
    ALL_CHANNELS,
    RecommendationReason,
    Scored,
    bought_together,
    personalized,
    popular,
)
from resolvers import stock
from resolvers.catalog import check_first
from resolvers.context import RequestContext
from resolvers.eager import gather_eagerly

MAX_SEEDS = 20  # the customer's products a personal list starts from: the cart's, then saved, then the latest bought


@dataclass(frozen=True, slots=True)
class Recommendation:
    product: ErpProduct
    reason: RecommendationReason
    score: float


def candidates(first: int) -> int:
    """How many candidates to read for `first` results: some will be out of stock or owned already."""
    return 2 * first + 10


def _store(ctx: RequestContext) -> RecommendationStore:
    if ctx.services.recommendations is None:
        raise RuntimeError("this gateway runs without a recommendation store")
    return ctx.services.recommendations


async def for_product(ctx: RequestContext, product: ErpProduct, first: int) -> list[Recommendation]:
    check_first(first)
    store, want = _store(ctx), candidates(first)
    scored = bought_together((await store.bought_with([product.erp_id], want))[product.erp_id])
    scored = await _with_popular(ctx, store, scored, want, exclude={product.erp_id})
    return await _available(ctx, scored, first)


async def for_customer(ctx: RequestContext, customer_id: str, first: int) -> list[Recommendation]:
    check_first(first)
    store, want = _store(ctx), candidates(first)
    cart, saved_skus, bought = await asyncio.gather(_cart_skus(ctx, customer_id), _saved_skus(ctx, customer_id),
                                                    store.bought(customer_id))
    seeds = await _seeds(ctx, sorted(cart), sorted(saved_skus - cart), bought[:MAX_SEEDS])
    scored = [s for s in personalized(seeds, await store.bought_with(seeds, want)) if s.product_id not in seeds]
    scored = await _with_popular(ctx, store, scored[:want], want, exclude=seeds.keys())
    owned = set(bought)
    return await _available(ctx, [s for s in scored if s.product_id not in owned], first,
                            owned_skus=cart | saved_skus)


async def _cart_skus(ctx: RequestContext, customer_id: str) -> set[str]:
    cart = await ctx.cart_store.active_for_customer(customer_id) if ctx.services.carts is not None else None
    return {line.sku for line in cart.lines} if cart else set()


async def _saved_skus(ctx: RequestContext, customer_id: str) -> set[str]:
    return await ctx.services.lists.skus_saved_by(customer_id) if ctx.services.lists is not None else set()


async def _seeds(ctx: RequestContext, cart_skus: Sequence[str], saved_skus: Sequence[str],
                 bought: Sequence[int]) -> dict[int, RecommendationReason]:
    """The products a customer's list starts from, each with the reason it gives: the cart's first
    (bought together with it), then what they saved, then what they bought most recently."""
    skus = [*cart_skus[:MAX_SEEDS], *saved_skus[:MAX_SEEDS]]
    variants = await ctx.loaders.variant_by_sku.load_many(skus) if skus else []
    seeds: dict[int, RecommendationReason] = {}
    for n, variant in enumerate(variants):
        if variant is not None:
            in_cart = n < min(len(cart_skus), MAX_SEEDS)
            seeds.setdefault(variant.product_erp_id, RecommendationReason.BOUGHT_TOGETHER if in_cart
                             else RecommendationReason.SIMILAR_TO_SAVED)
    for product_id in bought:
        seeds.setdefault(product_id, RecommendationReason.SIMILAR_TO_PURCHASED)
    return dict(list(seeds.items())[:MAX_SEEDS])


async def _with_popular(ctx: RequestContext, store: RecommendationStore, scored: list[Scored], want: int,
                        exclude: Collection[int]) -> list[Scored]:
    """`scored`, then the channel's most ordered products (every channel's when it has none yet)
    up to `want` candidates."""
    if len(scored) >= want:
        return scored[:want]
    orders, counts = await store.popular(ctx.channel.value, want)
    if not counts:
        orders, counts = await store.popular(ALL_CHANNELS, want)
    taken = {s.product_id for s in scored} | set(exclude)
    return [*scored, *(s for s in popular(orders, counts) if s.product_id not in taken)][:want]


async def _available(ctx: RequestContext, scored: list[Scored], first: int,
                     owned_skus: Collection[str] = frozenset()) -> list[Recommendation]:
    """The first `first` of `scored` the channel sells and has in stock, and of which the customer
    holds no variant (`owned_skus`); one batched read each of the products, variants and stock."""
    loaders = ctx.loaders
    ids = [s.product_id for s in scored]
    products, variant_groups = await asyncio.gather(loaders.product_by_id.load_many(ids),
                                                    loaders.variants_by_product_id.load_many(ids))
    variants = [v for group in variant_groups for v in group]  # archived variants are not among them
    figures = await gather_eagerly(stock.variant_stock(ctx, v) for v in variants)
    in_stock = {v.product_erp_id for v, figure in zip(variants, figures, strict=True) if figure.quantity > 0}
    owned = {v.product_erp_id for v in variants if v.sku in owned_skus}
    found = [Recommendation(p, s.reason, round(s.score, 6)) for s, p in zip(scored, products, strict=True)
             if p is not None and p.erp_id in in_stock and p.erp_id not in owned]
    return found[:first]
