"""A cart as it changes, for the `cartUpdated` subscription: whoever may read the cart by its id
(resolvers/carts/ids.py, visible_to) gets each new version, once."""

from __future__ import annotations

from collections.abc import AsyncIterator

from domain.carts import Cart
from domain.errors import BadUserInput
from domain.records import LiveEventKind
from resolvers.carts.ids import cart_key
from resolvers.carts.unit_of_work import CartUnitOfWork
from resolvers.context import RequestContext
from resolvers.live_hub import View, hub_of

NOT_VISIBLE = "`cartId`: no cart with this ID, or a customer's cart without that customer's token"


async def cart_versions(ctx: RequestContext, cart_global_id: str, known_version: int | None) -> AsyncIterator[Cart]:
    """Each new version of the cart; first the cart as it is, when it has moved past `known_version`.
    A cart the caller may not read is refused here, before the first version."""
    key = cart_key(cart_global_id)
    await _read(ctx, key)
    return _versions(ctx, key, known_version)


async def _versions(ctx: RequestContext, key: str, known_version: int | None) -> AsyncIterator[Cart]:
    async with hub_of(ctx).subscribed(LiveEventKind.CART, frozenset({key}), View.of(ctx),
                                      operation=ctx.operation_name) as subscriber:
        cart = await _read(ctx, key)  # after subscribing: a write from here on is delivered
        known = cart.version
        if known_version is not None and cart.version > known_version:
            yield cart  # a client back from a disconnection: what it missed
        while True:
            deliveries = await subscriber.take()
            if all(d.event.version is not None and d.event.version <= known for d in deliveries):
                continue
            ctx.renew()
            cart = await _read(ctx, key)
            if cart.version > known:
                known = cart.version
                yield cart


async def _read(ctx: RequestContext, key: str) -> Cart:
    cart = await CartUnitOfWork(ctx).read(key)
    if cart is None:
        raise BadUserInput(NOT_VISIBLE)
    return cart
