"""Cart operations: each reads the cart, checks the change against live price and stock, and
writes it only over the version it read (retrying on a concurrent change unless the caller
named the version it expects). Expected failures come back as user errors, never as writes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.carts import Cart, CartLine, CartOutcome, CartStatus, UserError
from domain.records import Attribute, ErpVariant
from domain.errors import BadUserInput, CartConflict
from resolvers import cart_cost, global_ids, pricing, stock
from resolvers.context import RequestContext

MAX_ATTEMPTS = 100  # concurrent writers to one cart each retry until their change lands
NOTE_MAX_LENGTH = 2_000


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


Change = Callable[[Cart], Awaitable[Cart | list[UserError]]]
NOT_FOUND = UserError("CART_NOT_FOUND", "no cart with this id", ("cartId",))


def new_cart_id() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


def line_global_id(cart: Cart, line_id: str) -> str:
    return global_ids.encode("CartLine", f"{cart.cart_id}:{line_id}")


def cart_key(cart_global_id: str) -> str:
    kind, key = global_ids.decode(cart_global_id)
    if kind != "Cart":
        raise BadUserInput(f"`cartId` takes a Cart ID, not the ID of a {kind}")
    return key


def visible_to(cart: Cart, customer_id: str | None) -> bool:
    """A guest cart is reachable by its id; a customer's only with that customer's token."""
    return cart.customer_id is None or cart.customer_id == customer_id


async def find_cart(ctx: RequestContext, cart_global_id: str) -> Cart | None:
    cart = await ctx.cart_store.get(cart_key(cart_global_id))
    return cart if cart is not None and visible_to(cart, ctx.customer_id) else None


async def create_cart(ctx: RequestContext, lines: Sequence[LineRequest], note: str | None,
                      attributes: Sequence[Attribute]) -> CartOutcome:
    """A new guest cart; for a signed-in customer, their one active cart: made for them, or, when
    they have one already (made on another channel, say), that cart with the new lines added, so
    what they add anywhere is in the cart every channel shows them."""
    errors = _check_note(note)
    if errors:
        return CartOutcome(None, tuple(errors))
    customer = ctx.customer_id
    for attempt in range(MAX_ATTEMPTS):
        if customer is not None and (theirs := await ctx.cart_store.active_for_customer(customer)) is not None:
            return await change_cart(ctx, global_ids.encode("Cart", theirs.cart_id), None,
                                     lambda cart: _with_lines(ctx, cart, lines, ("input", "lines")))
        now = datetime.now(UTC)
        empty = Cart(cart_id=new_cart_id(), version=1, channel=ctx.channel.value, status=CartStatus.ACTIVE,
                     created_at=now, updated_at=now, customer_id=customer,
                     expires_at=None if customer else now + timedelta(days=ctx.services.cart_rules.guest_cart_ttl_days))
        filled = await _with_lines(ctx, empty, lines, ("input", "lines"))
        if isinstance(filled, list):
            return CartOutcome(None, tuple(filled))
        cart = dataclasses.replace(filled, note=note, attributes=tuple(attributes))
        try:
            await ctx.cart_store.insert(cart)
        except CartConflict:  # the customer's cart was made meanwhile (another tab): add to it instead
            await backoff(attempt)
            continue
        return CartOutcome(cart)
    return CartOutcome(None, (UserError("VERSION_CONFLICT", "the customer's cart changed too often; try again"),))


async def add_lines(ctx: RequestContext, cart_id: str, lines: Sequence[LineRequest],
                    expected_version: int | None) -> CartOutcome:
    return await change_cart(ctx, cart_id, expected_version, lambda cart: _with_lines(ctx, cart, lines, ("lines",)))


async def update_lines(ctx: RequestContext, cart_id: str, updates: Sequence[LineUpdate],
                       expected_version: int | None) -> CartOutcome:
    async def change(cart: Cart) -> Cart | list[UserError]:
        lines = list(cart.lines)
        errors: list[UserError] = []
        touched: dict[str, int] = {}
        for n, update in enumerate(updates):
            index = _line_index(cart, update.line_id)
            if index is None:
                errors.append(UserError("LINE_NOT_FOUND", "no such line in this cart", ("lines", n, "id")))
                continue
            line = lines[index]
            if update.quantity is not None and update.quantity != 0:  # 0 removes the line
                if error := _quantity_error(ctx, update.quantity, ("lines", n, "quantity")):
                    errors.append(error)
                    continue
            if update.quantity is not None:
                line = dataclasses.replace(line, quantity=update.quantity)
            if update.attributes is not None:
                line = dataclasses.replace(line, attributes=update.attributes)
            lines[index] = line
            touched[line.line_id] = n
        if errors:
            return errors
        kept = tuple(line for line in lines if line.quantity > 0)
        return await _stock_errors(ctx, kept, touched) or dataclasses.replace(cart, lines=kept)

    return await change_cart(ctx, cart_id, expected_version, change)


async def remove_lines(ctx: RequestContext, cart_id: str, line_ids: Sequence[str],
                       expected_version: int | None) -> CartOutcome:
    async def change(cart: Cart) -> Cart | list[UserError]:
        indexes = [_line_index(cart, line_id) for line_id in line_ids]
        missing = [UserError("LINE_NOT_FOUND", "no such line in this cart", ("lineIds", n))
                   for n, index in enumerate(indexes) if index is None]
        if missing:
            return missing
        return dataclasses.replace(cart, lines=tuple(line for n, line in enumerate(cart.lines) if n not in indexes))

    return await change_cart(ctx, cart_id, expected_version, change)


async def update_note(ctx: RequestContext, cart_id: str, note: str, expected_version: int | None) -> CartOutcome:
    async def change(cart: Cart) -> Cart | list[UserError]:
        return _check_note(note) or dataclasses.replace(cart, note=note or None)

    return await change_cart(ctx, cart_id, expected_version, change)


async def update_discount_codes(ctx: RequestContext, cart_id: str, codes: Sequence[str],
                                expected_version: int | None) -> CartOutcome:
    """Replaces the cart's codes; each must apply to the cart as it is (an empty list clears them)."""
    wanted = tuple(dict.fromkeys(code.strip().lower() for code in codes if code.strip()))

    async def change(cart: Cart) -> Cart | list[UserError]:
        priced = await cart_cost.price_cart(ctx, dataclasses.replace(cart, discount_codes=wanted))
        refused = [UserError("DISCOUNT_CODE_INVALID", f"{c.code}: {c.reason}", ("discountCodes", n))
                   for n, c in enumerate(priced.codes) if not c.applicable]
        return refused or dataclasses.replace(cart, discount_codes=wanted)

    return await change_cart(ctx, cart_id, expected_version, change)


async def update_attributes(ctx: RequestContext, cart_id: str, attributes: Sequence[Attribute],
                            expected_version: int | None) -> CartOutcome:
    async def change(cart: Cart) -> Cart | list[UserError]:
        return dataclasses.replace(cart, attributes=tuple(attributes))

    return await change_cart(ctx, cart_id, expected_version, change)


async def change_cart(ctx: RequestContext, cart_id: str, expected_version: int | None, change: Change) -> CartOutcome:
    """Applies `change` to the current cart and writes it over the version it read.

    With `expected_version`, a cart that has moved on is answered with VERSION_CONFLICT and the
    current cart (an offline client rebases on it); without, the change is recomputed on the new
    version until it lands, so concurrent changes are all kept.
    """
    key = cart_key(cart_id)
    for attempt in range(MAX_ATTEMPTS):
        cart = await changeable(ctx, key, expected_version)
        if isinstance(cart, CartOutcome):
            return cart
        changed = await change(cart)
        if isinstance(changed, list):
            return CartOutcome(cart, tuple(changed))
        written = next_version(ctx, changed)
        if await ctx.cart_store.replace(written):
            return CartOutcome(written)
        await backoff(attempt)
    current = await ctx.cart_store.get(key)
    return CartOutcome(current, (UserError("VERSION_CONFLICT", "the cart is being changed too often to apply this "
                                                                "change; read it and try again"),))


async def changeable(ctx: RequestContext, key: str, expected_version: int | None) -> Cart | CartOutcome:
    """The cart to change, or the answer when it cannot be: unknown (or someone else's), closed,
    or not at the version the caller expects."""
    cart = await ctx.cart_store.get(key)
    if cart is None or not visible_to(cart, ctx.customer_id):
        return CartOutcome(None, (NOT_FOUND,))
    if cart.status is not CartStatus.ACTIVE:
        return CartOutcome(cart, (_closed(cart),))
    if expected_version is not None and cart.version != expected_version:
        return CartOutcome(cart, (_conflict(cart, expected_version),))
    return cart


def next_version(ctx: RequestContext, changed: Cart) -> Cart:
    """`changed` as the next version of the cart it was computed from; guest carts expire when untouched."""
    now = datetime.now(UTC)
    expires = now + timedelta(days=ctx.services.cart_rules.guest_cart_ttl_days) if changed.customer_id is None else None
    return dataclasses.replace(changed, version=changed.version + 1, updated_at=now, expires_at=expires)


async def backoff(attempt: int) -> None:
    """A short random pause before retrying a write another writer beat."""
    await asyncio.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))


def _closed(cart: Cart) -> UserError:
    if cart.status is CartStatus.MERGED and cart.merged_into:
        return UserError("CART_CLOSED", f"the cart was merged into {global_ids.encode('Cart', cart.merged_into)}",
                         ("cartId",))
    return UserError("CART_CLOSED", f"the cart is {cart.status.value.lower()} and takes no more changes",
                     ("cartId",))


def _conflict(cart: Cart, expected: int) -> UserError:
    return UserError("VERSION_CONFLICT", f"the cart is at version {cart.version}, not {expected}; "
                                         "re-apply the change to the cart returned", ("expectedVersion",))


def _check_note(note: str | None) -> list[UserError]:
    if note is not None and len(note) > NOTE_MAX_LENGTH:
        return [UserError("INVALID_NOTE", f"a note has at most {NOTE_MAX_LENGTH} characters", ("note",))]
    return []


def _quantity_error(ctx: RequestContext, quantity: int, field: tuple[str | int, ...]) -> UserError | None:
    limit = ctx.services.cart_rules.max_quantity
    if not 1 <= quantity <= limit:
        return UserError("INVALID_QUANTITY", f"quantity must be between 1 and {limit}, got {quantity}", field)
    return None


def same_line(lines: Sequence[CartLine], sku: str, attributes: tuple[Attribute, ...]) -> int | None:
    """Index of the line a new one of this variant and attributes adds to, if any."""
    return next((i for i, line in enumerate(lines) if line.sku == sku and line.attributes == attributes), None)


def _line_index(cart: Cart, line_global_id: str) -> int | None:
    try:
        kind, key = global_ids.decode(line_global_id)
    except BadUserInput:
        return None
    cart_part, _, line_id = key.rpartition(":")
    if kind != "CartLine" or cart_part != cart.cart_id:
        return None
    return next((n for n, line in enumerate(cart.lines) if line.line_id == line_id), None)


async def _variant(ctx: RequestContext, merchandise_id: str) -> ErpVariant | None:
    try:
        kind, sku = global_ids.decode(merchandise_id)
    except BadUserInput:
        return None
    return await ctx.loaders.variant_by_sku.load(sku) if kind == "Variant" else None


async def _with_lines(ctx: RequestContext, cart: Cart, requests: Sequence[LineRequest],
                      where: tuple[str, ...]) -> Cart | list[UserError]:
    """`cart` with the requested lines added (quantities summed into a line of the same variant and
    attributes), or why not."""
    errors: list[UserError] = []
    variants = await asyncio.gather(*(_variant(ctx, r.merchandise_id) for r in requests))
    for n, (request, variant) in enumerate(zip(requests, variants, strict=True)):
        if error := _quantity_error(ctx, request.quantity, (*where, n, "quantity")):
            errors.append(error)
        if variant is None:
            errors.append(UserError("UNKNOWN_MERCHANDISE", "no variant with this id is sold",
                                    (*where, n, "merchandiseId")))
    if errors:
        return errors
    quotes = await asyncio.gather(*(pricing.variant_price(ctx, v) for v in variants if v is not None))
    lines = list(cart.lines)
    next_number = cart.next_line_number
    touched: dict[str, int] = {}
    for n, (request, variant, quote) in enumerate(zip(requests, variants, quotes, strict=True)):
        assert variant is not None
        same = same_line(lines, variant.sku, request.attributes)
        if same is None:
            lines.append(CartLine(line_id=str(next_number), sku=variant.sku, quantity=request.quantity,
                                  added_price=quote.price.amount, added_currency=quote.price.currency,
                                  attributes=request.attributes))
            next_number += 1
            same = len(lines) - 1
        else:
            lines[same] = dataclasses.replace(lines[same], quantity=lines[same].quantity + request.quantity)
        touched[lines[same].line_id] = n
    limit = ctx.services.cart_rules.max_lines
    if len(lines) > limit:
        return [UserError("TOO_MANY_LINES", f"a cart has at most {limit} lines", where)]
    for line_id, n in touched.items():
        line = next(line for line in lines if line.line_id == line_id)
        if error := _quantity_error(ctx, line.quantity, (*where, n, "quantity")):
            return [error]
    errors = await _stock_errors(ctx, tuple(lines), touched, where)
    return errors or dataclasses.replace(cart, lines=tuple(lines), next_line_number=next_number)


async def _stock_errors(ctx: RequestContext, lines: Sequence[CartLine], checked: dict[str, int],
                        where: tuple[str, ...] = ("lines",)) -> list[UserError]:
    """INSUFFICIENT_STOCK for each changed line asking more than the channel has."""
    wanted = [line for line in lines if line.line_id in checked]
    variants = await asyncio.gather(*(ctx.loaders.variant_by_sku.load(line.sku) for line in wanted))
    known = [(line, v) for line, v in zip(wanted, variants, strict=True) if v is not None]
    figures = await asyncio.gather(*(stock.variant_stock(ctx, v) for _, v in known))
    return [UserError("INSUFFICIENT_STOCK", f"only {figure.quantity} of {line.sku} available, {line.quantity} asked",
                      (*where, checked[line.line_id], "quantity"))
            for (line, _), figure in zip(known, figures, strict=True) if line.quantity > figure.quantity]
