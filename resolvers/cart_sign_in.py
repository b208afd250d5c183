"""Signing in with a guest cart: it becomes the customer's, or meets the customer's active cart
and the configured strategy decides which survives. The loser is closed and points to the winner.

The guest cart is closed before its lines move, so nothing can be added to it after they have
been counted; every write is version-checked, and a lost race starts the decision over.
"""

from __future__ import annotations

import asyncio
import dataclasses

from domain.carts import Cart, CartLine, CartOutcome, CartStatus, CartWarning, UserError
from domain.errors import CartConflict
from resolvers import global_ids, stock
from resolvers.carts import (
    MAX_ATTEMPTS,
    backoff,
    cart_key,
    change_cart,
    changeable,
    next_version,
    same_line,
)
from resolvers.context import RequestContext
from resolvers.rules import MergeStrategy

SIGN_IN_FIRST = UserError("CUSTOMER_REQUIRED", "send the customer's bearer token to attach the cart to them")


async def attach_customer(ctx: RequestContext, cart_id: str, expected_version: int | None) -> CartOutcome:
    customer = ctx.customer_id
    if customer is None:
        return CartOutcome(None, (SIGN_IN_FIRST,))
    key = cart_key(cart_id)
    for attempt in range(MAX_ATTEMPTS):
        guest = await changeable(ctx, key, expected_version)
        if isinstance(guest, CartOutcome):
            return guest
        if guest.customer_id == customer:
            return CartOutcome(guest)
        theirs = await ctx.cart_store.active_for_customer(customer)
        if theirs is None:
            outcome = await _attach(ctx, guest, customer)
        else:
            outcome = await _meet(ctx, guest, theirs, customer)
        if outcome is not None:
            return outcome
        await backoff(attempt)
    return CartOutcome(await ctx.cart_store.get(key), (UserError(
        "VERSION_CONFLICT", "the carts changed too often while signing in; try again"),))


def _strategy(ctx: RequestContext, theirs: Cart) -> MergeStrategy:
    strategy = ctx.services.cart_rules.merge_strategy
    if strategy is MergeStrategy.KEEP_GUEST_IF_CUSTOMER_EMPTY:
        return MergeStrategy.KEEP_GUEST if not theirs.lines else MergeStrategy.MERGE
    return strategy


async def _attach(ctx: RequestContext, guest: Cart, customer: str) -> CartOutcome | None:
    attached = next_version(ctx, dataclasses.replace(guest, customer_id=customer))
    try:
        return CartOutcome(attached) if await ctx.cart_store.replace(attached) else None
    except CartConflict:
        return None  # the customer got an active cart meanwhile: decide again, with it


async def _close(ctx: RequestContext, loser: Cart, winner: Cart) -> bool:
    closed = dataclasses.replace(loser, status=CartStatus.MERGED, merged_into=winner.cart_id)
    return await ctx.cart_store.replace(next_version(ctx, closed))


async def _meet(ctx: RequestContext, guest: Cart, theirs: Cart, customer: str) -> CartOutcome | None:
    strategy = _strategy(ctx, theirs)
    if strategy is MergeStrategy.KEEP_GUEST:
        if not await _close(ctx, theirs, guest):
            return None
        return await _attach(ctx, guest, customer)
    # read stock before closing the guest cart: a backend failing here must leave both carts as they were
    available_of = await _available(ctx, guest.lines) if strategy is MergeStrategy.MERGE else {}
    if not await _close(ctx, guest, theirs):
        return None
    if strategy is MergeStrategy.KEEP_CUSTOMER:
        return CartOutcome(theirs)
    return await _merge_lines(ctx, theirs, guest.lines, available_of)


async def _available(ctx: RequestContext, lines: tuple[CartLine, ...]) -> dict[str, int | None]:
    """Per SKU, what the channel has; None for what the ERP no longer sells."""
    skus = sorted({line.sku for line in lines})
    variants = await asyncio.gather(*(ctx.loaders.variant_by_sku.load(s) for s in skus))
    sold = [v for v in variants if v is not None]
    figures = await asyncio.gather(*(stock.variant_stock(ctx, v) for v in sold))
    return {**dict.fromkeys(skus), **{v.sku: f.quantity for v, f in zip(sold, figures, strict=True)}}


async def _merge_lines(ctx: RequestContext, theirs: Cart, incoming: tuple[CartLine, ...],
                       available_of: dict[str, int | None]) -> CartOutcome:
    """Sums the guest's lines into the customer's cart per variant, capped by stock and the line limits."""
    warnings: list[CartWarning] = []
    rules = ctx.services.cart_rules

    async def change(cart: Cart) -> Cart:
        warnings.clear()
        lines = list(cart.lines)
        next_number = cart.next_line_number
        for line in incoming:
            available = available_of[line.sku]
            if available is None:
                warnings.append(CartWarning("ITEM_UNAVAILABLE", f"{line.sku} is no longer sold; not moved"))
                continue
            same = same_line(lines, line.sku, line.attributes)
            have = lines[same].quantity if same is not None else 0
            quantity = min(have + line.quantity, max(available, have), rules.max_quantity)
            if quantity < have + line.quantity:
                warnings.append(CartWarning("QUANTITY_CAPPED", f"{line.sku}: {have + line.quantity} wanted, "
                                                               f"{quantity} kept ({available} available)"))
            if same is not None:
                lines[same] = dataclasses.replace(lines[same], quantity=quantity)
            elif quantity > 0 and len(lines) < rules.max_lines:
                lines.append(dataclasses.replace(line, line_id=str(next_number), quantity=quantity))
                next_number += 1
            elif quantity > 0:
                warnings.append(CartWarning("TOO_MANY_LINES", f"{line.sku}: the cart is full; not moved"))
        return dataclasses.replace(cart, lines=tuple(lines), next_line_number=next_number)

    outcome = await change_cart(ctx, global_ids.encode("Cart", theirs.cart_id), None, change)
    return dataclasses.replace(outcome, warnings=(*outcome.warnings, *warnings))
