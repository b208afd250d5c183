"""The shopper's cart changes: each reads what the cart's rules need (variants, live prices and
stock) and goes through the unit of work. Expected failures come back as user errors, never as
writes."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from domain import discounts
from domain.carts import Cart, CartOutcome, LineChange, NewLine, UserError
from domain.errors import BadUserInput
from domain.records import Attribute, ErpVariant
from resolvers import global_ids, holds, pricing, stock
from resolvers.carts import cost
from resolvers.carts.ids import cart_key, line_position, new_cart_id
from resolvers.carts.unit_of_work import MAX_ATTEMPTS, CartUnitOfWork, backoff
from resolvers.context import RequestContext


@dataclass(frozen=True, slots=True)
class LineRequest:
    merchandise_id: str
    quantity: int = 1
    attributes: tuple[Attribute, ...] = ()


@dataclass(frozen=True, slots=True)
class LineUpdate:
    line_id: str  # the CartLine's global ID
    quantity: int | None = None
    attributes: tuple[Attribute, ...] | None = None


async def find_cart(ctx: RequestContext, cart_global_id: str) -> Cart | None:
    return await CartUnitOfWork(ctx).read(cart_key(cart_global_id))


async def create_cart(uow: CartUnitOfWork, lines: Sequence[LineRequest], note: str | None,
                      attributes: Sequence[Attribute]) -> CartOutcome:
    """A new guest cart; for a signed-in customer, their one active cart: made for them, or, when
    they have one already (made on another channel, say), that cart with the new lines added, so
    what they add anywhere is in the cart every channel shows them."""
    ctx, customer = uow.ctx, uow.ctx.customer_id
    if errors := uow.rules.note_errors(note) + uow.rules.attribute_errors(attributes, ("input", "attributes")):
        return CartOutcome(None, tuple(errors))
    for attempt in range(MAX_ATTEMPTS):
        if customer is not None and (theirs := await ctx.cart_store.active_for_customer(customer)) is not None:
            return await uow.change(theirs.cart_id, None, lambda cart: with_lines(ctx, cart, lines, ("input", "lines")))
        empty = Cart.new(new_cart_id(), ctx.channel.value, customer, uow.now(), uow.rules)
        filled = await with_lines(ctx, empty, lines, ("input", "lines"))
        if isinstance(filled, list):
            return CartOutcome(None, tuple(filled))
        made = await uow.create(dataclasses.replace(filled, note=note, attributes=tuple(attributes)))
        if made is not None:
            return made
        await backoff(attempt)  # the customer's cart was made meanwhile (another tab): add to it instead
    return CartOutcome(None, (UserError("VERSION_CONFLICT", "the customer's cart changed too often; try again",
                                        retryable=True),))


async def add_lines(uow: CartUnitOfWork, cart_id: str, lines: Sequence[LineRequest],
                    expected_version: int | None) -> CartOutcome:
    return await uow.change(cart_key(cart_id), expected_version,
                            lambda cart: with_lines(uow.ctx, cart, lines, ("lines",)))


async def update_lines(uow: CartUnitOfWork, cart_id: str, updates: Sequence[LineUpdate],
                       expected_version: int | None) -> CartOutcome:
    async def change(cart: Cart) -> Cart | list[UserError]:
        changed = cart.with_changes([LineChange(n, line_position(cart, u.line_id), u.quantity, u.attributes)
                                     for n, u in enumerate(updates)], uow.rules)
        if isinstance(changed, list):
            return changed
        changed_cart, touched = changed
        return await stock_errors(uow.ctx, changed_cart, touched) or await held(uow.ctx, cart, changed_cart, touched)

    return await uow.change(cart_key(cart_id), expected_version, change)


async def remove_lines(uow: CartUnitOfWork, cart_id: str, line_ids: Sequence[str],
                       expected_version: int | None) -> CartOutcome:
    async def change(cart: Cart) -> Cart | list[UserError]:
        changed = cart.without_lines([line_position(cart, i) for i in line_ids])
        if not isinstance(changed, list):
            await holds.follow(uow.ctx, cart, changed)  # the units of the lines removed are released
        return changed

    return await uow.change(cart_key(cart_id), expected_version, change)


async def update_note(uow: CartUnitOfWork, cart_id: str, note: str, expected_version: int | None) -> CartOutcome:
    return await uow.change(cart_key(cart_id), expected_version, lambda cart: cart.with_note(note, uow.rules))


async def update_discount_codes(uow: CartUnitOfWork, cart_id: str, codes: Sequence[str],
                                expected_version: int | None) -> CartOutcome:
    """Replaces the cart's codes; each must apply to the cart as it is (an empty list clears them).
    More distinct codes than `max_discount_codes`, or a code longer than any coupon's, is refused
    before anything is looked up at the web-shop."""
    wanted = tuple(dict.fromkeys(code.strip().lower() for code in codes if code.strip()))
    if len(wanted) > uow.rules.max_discount_codes:
        return CartOutcome(None, (UserError("TOO_MANY_DISCOUNT_CODES", f"a cart takes at most "
                                            f"{uow.rules.max_discount_codes} discount codes", ("discountCodes",)),))
    if too_long := [n for n, code in enumerate(wanted) if len(code) > discounts.MAX_CODE_LENGTH]:
        return CartOutcome(None, tuple(UserError("DISCOUNT_CODE_INVALID", f"a discount code has at most "
                                                 f"{discounts.MAX_CODE_LENGTH} characters", ("discountCodes", n))
                                       for n in too_long))

    async def change(cart: Cart) -> Cart | list[UserError]:
        coded = dataclasses.replace(cart, discount_codes=wanted)
        priced = await cost.price_cart(uow.ctx, coded)
        refused = [UserError("DISCOUNT_CODE_INVALID", f"{c.code}: {c.reason}", ("discountCodes", n))
                   for n, c in enumerate(priced.codes) if not c.applicable]
        return refused or coded

    return await uow.change(cart_key(cart_id), expected_version, change)


async def update_attributes(uow: CartUnitOfWork, cart_id: str, attributes: Sequence[Attribute],
                            expected_version: int | None) -> CartOutcome:
    return await uow.change(cart_key(cart_id), expected_version,
                            lambda cart: cart.with_attributes(attributes, uow.rules))


async def available_by_sku(ctx: RequestContext, skus: Iterable[str], for_cart: str | None = None
                           ) -> dict[str, int | None]:
    """Per SKU, what the operation's channel has (less other carts' holds); None for what the ERP no
    longer sells."""
    wanted = sorted(set(skus))
    variants = await asyncio.gather(*(ctx.loaders.variant_by_sku.load(s) for s in wanted))
    sold = [v for v in variants if v is not None]
    figures = await asyncio.gather(*(stock.variant_stock(ctx, v, for_cart) for v in sold))
    return {**dict.fromkeys(wanted), **{v.sku: f.quantity for v, f in zip(sold, figures, strict=True)}}


async def stock_errors(ctx: RequestContext, cart: Cart, touched: dict[str, int],
                       where: tuple[str, ...] = ("lines",)) -> list[UserError]:
    """INSUFFICIENT_STOCK for each touched line asking more than the channel has."""
    available = await available_by_sku(ctx, (line.sku for line in cart.lines if line.line_id in touched), cart.cart_id)
    return cart.stock_errors({sku: n for sku, n in available.items() if n is not None}, touched, where,
                             show_quantity=ctx.sees_stock)


async def variant_of(ctx: RequestContext, merchandise_id: str) -> ErpVariant | None:
    try:
        kind, sku = global_ids.decode(merchandise_id)
    except BadUserInput:
        return None
    return await ctx.loaders.variant_by_sku.load(sku) if kind == "Variant" else None


async def with_lines(ctx: RequestContext, cart: Cart, requests: Sequence[LineRequest],
                      where: tuple[str, ...]) -> Cart | list[UserError]:
    """`cart` with the requested lines added at today's prices, or why not."""
    variants = await asyncio.gather(*(variant_of(ctx, r.merchandise_id) for r in requests))
    rules = ctx.services.cart_rules
    errors: list[UserError] = []
    for n, (request, variant) in enumerate(zip(requests, variants, strict=True)):
        if error := rules.quantity_error(request.quantity, (*where, n, "quantity")):
            errors.append(error)
        if variant is None:
            errors.append(UserError("UNKNOWN_MERCHANDISE", "no variant with this id is sold",
                                    (*where, n, "merchandiseId")))
    if errors:
        return errors
    sold = [v for v in variants if v is not None]
    quotes = await asyncio.gather(*(pricing.variant_price(ctx, v) for v in sold))
    added = cart.with_lines([NewLine(n, v.sku, r.quantity, q.price.amount, q.price.currency, r.attributes)
                             for n, (r, v, q) in enumerate(zip(requests, sold, quotes, strict=True))], rules, where)
    if isinstance(added, list):
        return added
    filled, touched = added
    return await stock_errors(ctx, filled, touched, where) or await held(ctx, cart, filled, touched, where)


async def held(ctx: RequestContext, before: Cart, after: Cart, touched: dict[str, int],
               where: tuple[str, ...] = ("lines",)) -> Cart | list[UserError]:
    """The changed cart, its units held as it now has them (`holds.on_add`); or INSUFFICIENT_STOCK
    for the lines whose units other carts took meanwhile."""
    refused = await holds.follow(ctx, before, after)
    return after.stock_errors(refused, touched, where, show_quantity=ctx.sees_stock) if refused else after
