"""Holding a cart's units: at checkout (and, with `holds.on_add`, as lines are added or changed), the
cart's quantities are held in the store, each decided atomically against the channel's live figure
less the other carts' holds; released when lines go or a checkout fails, consumed by the ERP order.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Collection, Mapping
from datetime import timedelta

from domain.carts import Cart, UserError, short_of
from domain.errors import BackendError
from domain.holds import HoldRequest
from domain.ports import Clock, StockHolds
from domain.records import Warehouse
from resolvers import stock
from resolvers.background import forever
from resolvers.context import RequestContext
from resolvers.loaders import read_time

log = logging.getLogger(__name__)
EXPIRE_BATCH = 100  # SKUs whose lapsed holds one store call drops


def quantities(cart: Cart) -> dict[str, int]:
    """The cart's units per SKU."""
    totals: dict[str, int] = {}
    for line in cart.lines:
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return totals


async def hold(ctx: RequestContext, cart: Cart, wanted: Mapping[str, int], lasting: timedelta,
               pickup: Warehouse | None = None) -> dict[str, int]:
    """Holds `wanted` units per SKU for the cart (at the pickup store, else in the channel) for
    `lasting`, never past the cart's own expiry; the SKUs refused, with what the others' holds leave.
    Decided against a live figure, whatever the operation's stock age."""
    store = ctx.services.holds
    if store is None or not wanted:
        return {}
    variants = await asyncio.gather(*(ctx.loaders.variant_by_sku.load(s) for s in wanted))
    sold = {v.sku: v for v in variants if v is not None}
    if pickup is not None:
        pool = frozenset((pickup.stock_location_id,))
        snapshots = await asyncio.gather(*(ctx.loaders.stock_by_variant_id.load(v.erp_id) for v in sold.values()))
        figures = {sku: (s.available_at(pool), s.as_of) for sku, s in zip(sold, snapshots, strict=True)}
    else:
        pool = await stock.channel_pool(ctx)
        read = await asyncio.gather(*(stock.channel_figure(ctx, v) for v in sold.values()))
        figures = {sku: (f.quantity, f.as_of) for sku, f in zip(sold, read, strict=True)}
    now = ctx.services.clock()
    until = now + lasting if cart.expires_at is None else min(now + lasting, cart.expires_at)
    wishes = {sku: HoldRequest(n, *figures[sku], pool, until) for sku, n in wanted.items() if sku in figures}
    return await store.hold(cart.cart_id, wishes, now)


def refusals(ctx: RequestContext, cart: Cart, refused: Mapping[str, int], where: str = "") -> list[UserError]:
    """INSUFFICIENT_STOCK for each line of a refused SKU, saying what is left (to a caller who may read stock)."""
    return [UserError("INSUFFICIENT_STOCK", f"{short_of(line.sku, refused[line.sku], ctx.sees_stock)}{where} "
                                            f"(the rest is held for other carts), {line.quantity} in the cart",
                      ("lines", n), available=refused[line.sku] if ctx.sees_stock else None)
            for n, line in enumerate(cart.lines) if line.sku in refused]


async def hold_for_checkout(ctx: RequestContext, cart: Cart, pickup: Warehouse | None) -> list[UserError]:
    """Holds every unit of the cart for `holds.checkout_minutes`; why not, per line."""
    refused = await hold(ctx, cart, quantities(cart), ctx.services.hold_rules.checkout_hold, pickup)
    return refusals(ctx, cart, refused, f" at {pickup.name}" if pickup else "")


async def follow(ctx: RequestContext, before: Cart, after: Cart) -> dict[str, int]:
    """With `holds.on_add`, the cart's holds follow a change of its lines: the SKUs whose units
    changed are held as the cart now has them (at most `holds.on_add_max_units` of each) for
    `holds.cart_minutes`, those it no longer has released; the SKUs refused with what is left."""
    rules = ctx.services.hold_rules
    if not rules.on_add or ctx.services.holds is None:
        return {}
    was, now = quantities(before), quantities(after)
    changed = {sku for sku in was.keys() | now.keys() if was.get(sku) != now.get(sku)}
    await release(ctx, after.cart_id, [sku for sku in changed if sku not in now])
    return await hold(ctx, after, {sku: min(now[sku], rules.on_add_max_units) for sku in changed if sku in now},
                      rules.cart_hold)


async def hand_over(ctx: RequestContext, closed: Cart, survivor: Cart) -> None:
    """A cart merged into another at sign-in: its holds go, the survivor's follow its lines."""
    if ctx.services.holds is None or not ctx.services.hold_rules.on_add:
        return
    await release(ctx, closed.cart_id, quantities(closed))
    await follow(ctx, dataclasses.replace(survivor, lines=()), survivor)


async def release(ctx: RequestContext, cart_id: str, skus: Collection[str]) -> None:
    if (store := ctx.services.holds) is not None and skus:
        await store.release(cart_id, skus, ctx.services.clock())


async def consume(ctx: RequestContext, cart: Cart) -> None:
    """The cart's ERP order is confirmed: its holds count only against ERP figures read before now,
    and lapse once no such figure can be served any more."""
    if (store := ctx.services.holds) is not None and cart.lines:
        now = ctx.services.clock()
        await store.consume(cart.cart_id, quantities(cart), read_time(),
                            now + timedelta(seconds=ctx.services.hold_rules.consumed_seconds), now)


async def expire_forever(store: StockHolds, every_seconds: float, clock: Clock) -> None:
    """The background task: lapsed holds dropped, and their SKUs announced, every `every_seconds` (by
    any process: each SKU's change lands once, whoever makes it)."""
    async def expire() -> None:
        while await store.expire(clock(), EXPIRE_BATCH) == EXPIRE_BATCH:
            pass

    await forever(expire, every_seconds, "dropping lapsed stock holds")
