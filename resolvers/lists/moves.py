"""Moves between a cart and a saved list, in an order that loses nothing when the second write
fails or its process dies, and adds nothing twice when the request is retried.

- `cartLinesSaveForLater`: the list gains the lines' SKUs first (a list holds each SKU once, so a
  retry adds none again), then the cart loses the lines. A failure in between leaves the item in
  both, never in neither. The cart's write ends the operation (it carries the idempotency record).
- `listItemsMoveToCart`: the list marks the items as on their way to the cart (`PendingMove`; the
  list takes no other change meanwhile), the cart takes them in at its own rules (price now, stock,
  quantity and line limits) noting the move's id among what it absorbed, and only then does the list
  let them go. Refused by the cart: the mark is lifted and nothing moved. A process that dies in
  between leaves the mark; the next read of the list after the claim time settles it by whether the
  cart has the move's id (see the list unit of work).
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import Sequence

from domain.carts import ABSORBED_KEPT, Cart, UserError
from domain.errors import ListConflict
from domain.lists import DEFAULT_LIST_NAME, ListOutcome, NewItem, PendingMove, SavedList
from resolvers import global_ids
from resolvers.carts.changes import LineRequest, with_lines
from resolvers.carts.ids import cart_key, line_position, new_cart_id
from resolvers.carts.unit_of_work import MAX_ATTEMPTS, NOT_FOUND as CART_NOT_FOUND, CartUnitOfWork, backoff
from resolvers.lists.changes import default_list, new_items, saving
from resolvers.lists.ids import item_in, list_key
from resolvers.lists.unit_of_work import NOT_FOUND, TOO_BUSY, ListUnitOfWork


async def save_for_later(uow: ListUnitOfWork, cart_id: str, line_ids: Sequence[str], list_id: str | None,
                         expected_version: int | None) -> ListOutcome:
    """Moves cart lines to `list_id`, else to the customer's default list, else (a guest) to a new
    guest list named like the default one. `expected_version` is the cart's."""
    ctx = uow.ctx
    carts = CartUnitOfWork(ctx, uow.call)
    cart = await carts.read(cart_key(cart_id))
    if cart is None:
        return ListOutcome(None, (CART_NOT_FOUND,))
    if (replayed := carts.replayed(cart)) is not None:  # a retry of a move that landed, its answer lost
        target = await _target(uow, list_id) if not replayed.user_errors else None
        return ListOutcome(target if isinstance(target, SavedList) else None, replayed.user_errors, cart=cart)
    if refused := carts.refusal(cart, expected_version):
        return ListOutcome(None, (refused,), cart=cart)
    positions = [line_position(cart, i) for i in line_ids]
    if missing := [UserError("LINE_NOT_FOUND", "no such line in this cart", ("lineIds", n))
                   for n, p in enumerate(positions) if p is None]:
        return ListOutcome(None, tuple(missing), cart=cart)
    target = await _target(uow, list_id)
    if isinstance(target, UserError):
        return ListOutcome(None, (target,), cart=cart)
    new = await _items_of(uow, cart, [p for p in positions if p is not None])
    gained = await uow.apply(target.list_id, None, saving(uow, new, ("lineIds",)), ends_operation=False)
    if gained.user_errors:
        return dataclasses.replace(gained, cart=cart)

    def lost(current: Cart) -> Cart | list[UserError]:  # lines removed meanwhile are gone already: fine
        return current.without_lines([p for i in line_ids if (p := line_position(current, i)) is not None])

    emptied = await carts.change(cart.cart_id, None, lost)
    return ListOutcome(gained.saved_list, emptied.user_errors, gained.warnings, emptied.cart or cart)


async def move_to_cart(uow: ListUnitOfWork, list_id: str, item_ids: Sequence[str], cart_id: str,
                       expected_version: int | None) -> ListOutcome:
    """Moves saved items into the cart, one unit each, at the cart's rules. `expected_version` is
    the list's."""
    ctx = uow.ctx
    carts = CartUnitOfWork(ctx)
    for attempt in range(MAX_ATTEMPTS):
        saved = await uow.read(list_key(list_id))
        if saved is None:
            return ListOutcome(None, (NOT_FOUND,))
        if (replayed := uow.replayed(saved)) is not None:
            return dataclasses.replace(replayed, cart=await carts.read(cart_key(cart_id)))
        if refused := uow.refused(saved, expected_version):
            return ListOutcome(saved, (refused,))
        found = [item_in(saved, i) for i in item_ids]
        if missing := [UserError("ITEM_NOT_FOUND", "no such item in this list", ("itemIds", n))
                       for n, item in enumerate(found) if item is None]:
            return ListOutcome(saved, tuple(missing))
        cart = await carts.read(cart_key(cart_id))
        if cart is None:
            return ListOutcome(saved, (CART_NOT_FOUND,))
        if refused := carts.refusal(cart, None):
            return ListOutcome(saved, (refused,), cart=cart)
        move = PendingMove(secrets.token_urlsafe(12), cart.cart_id, tuple(i for i in found if i is not None),
                           uow.now())
        marked = await uow.write(dataclasses.replace(saved, moving=move))
        if marked is None:
            await backoff(attempt)  # another writer changed the list: judge it again
            continue
        return await _into_cart(uow, carts, marked, move)
    return ListOutcome(await uow.read(list_key(list_id)), (TOO_BUSY,))


async def _into_cart(uow: ListUnitOfWork, carts: CartUnitOfWork, marked: SavedList, move: PendingMove) -> ListOutcome:
    items = [item for i in move.item_ids if (item := marked.item(i)) is not None]
    requests = [LineRequest(global_ids.encode("Variant", item.sku)) for item in items]

    async def take_in(cart: Cart) -> Cart | list[UserError]:
        if move.move_id in cart.absorbed:  # taken in already (this is a retry of the write)
            return cart
        filled = await with_lines(uow.ctx, cart, requests, ("itemIds",))
        if isinstance(filled, list):
            return filled
        return dataclasses.replace(filled, absorbed=(*filled.absorbed, move.move_id)[-ABSORBED_KEPT:])

    taken = await carts.change(move.cart_id, None, take_in)
    settled = marked if taken.user_errors else marked.without_items(move.item_ids)
    for attempt in range(MAX_ATTEMPTS):
        written = await uow.write(dataclasses.replace(settled, moving=None), ends_operation=not taken.user_errors)
        if written is not None:
            return ListOutcome(written, taken.user_errors, cart=taken.cart)
        await backoff(attempt)
        current = await uow.store.get(marked.list_id)
        if current is None or current.moving != move:  # settled by a reader who took us for dead
            return ListOutcome(current, taken.user_errors, cart=taken.cart)
        settled = current if taken.user_errors else current.without_items(move.item_ids)
    return ListOutcome(marked, (TOO_BUSY,), cart=taken.cart)


async def _target(uow: ListUnitOfWork, list_id: str | None) -> SavedList | UserError:
    if list_id is not None:
        return await uow.read(list_key(list_id)) or NOT_FOUND
    if uow.ctx.customer_id is not None:
        return await default_list(uow, uow.ctx.customer_id)
    # a guest's: under an idempotency key, the one its first attempt made
    made_id = uow.call.claim.target if uow.call is not None else new_cart_id()
    if (made := await uow.read(made_id)) is not None:
        return made
    guest = SavedList.new(made_id, DEFAULT_LIST_NAME, None, uow.now(), uow.rules)
    try:
        await uow.store.insert(guest)
    except ListConflict:
        return await uow.read(made_id) or NOT_FOUND
    return guest


async def _items_of(uow: ListUnitOfWork, cart: Cart, positions: Sequence[int]) -> list[NewItem]:
    """The lines as items, at the channel's figures now; a variant no longer sold at what it was added."""
    lines = [cart.lines[p] for p in positions]
    variants = await asyncio.gather(*(uow.ctx.loaders.variant_by_sku.load(line.sku) for line in lines))
    priced = {n.sku: n for n in await new_items(uow.ctx, [v for v in variants if v is not None])}
    return [dataclasses.replace(priced[line.sku], index=n) if line.sku in priced
            else NewItem(n, line.sku, uow.ctx.channel.value, line.added_price, line.added_currency)
            for n, line in enumerate(lines)]
