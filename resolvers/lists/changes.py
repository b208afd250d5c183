"""Saved lists read and changed: a customer's lists (their default "Saved for later" made on first
use), new lists, items saved and removed. An item keeps the price and stock the operation's
channel showed when it was saved (the stock only when the caller may read stock), read through the
operation's loaders in one batched round; a backend that fails then leaves the figure unknown
rather than the item unsaved."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from domain.carts import UserError
from domain.errors import BackendError, ListConflict
from domain.lists import DEFAULT_LIST_NAME, DEFAULT_SLOT, ListOutcome, NewItem, SavedList, free_slot, name_key
from domain.records import ErpVariant
from resolvers import pricing, stock
from resolvers.carts.changes import variant_of
from resolvers.carts.ids import new_cart_id
from resolvers.carts.unit_of_work import MAX_ATTEMPTS, backoff
from resolvers.context import RequestContext
from resolvers.lists.ids import item_in, list_key
from resolvers.lists.unit_of_work import NOT_FOUND, TOO_BUSY, Change, ListUnitOfWork, Saved

SIGN_IN_FIRST = UserError("CUSTOMER_REQUIRED", "send the customer's bearer token to attach the list to them")


async def lists_of(ctx: RequestContext, customer_id: str) -> list[SavedList]:
    """The customer's lists, their default list first (made now if they have none yet)."""
    lists = await ctx.list_store.of_customer(customer_id)
    if not any(s.default for s in lists):
        await default_list(ListUnitOfWork(ctx), customer_id)
        lists = await ctx.list_store.of_customer(customer_id)
    return sorted(lists, key=lambda s: not s.default)


async def default_list(uow: ListUnitOfWork, customer_id: str) -> SavedList:
    """The customer's "Saved for later", made on first use (once, however many ask at the same time)."""
    for attempt in range(MAX_ATTEMPTS):
        found = next((s for s in await uow.store.of_customer(customer_id) if s.default), None)
        if found is not None:
            return found
        made = SavedList.new(new_cart_id(), DEFAULT_LIST_NAME, customer_id, uow.now(), uow.rules, default=True,
                             slot=DEFAULT_SLOT)
        try:
            await uow.store.insert(made)
            return made
        except ListConflict:  # made meanwhile by another request of theirs
            await backoff(attempt)
    raise ListConflict("the customer's default list could not be made; try again")


async def create_list(uow: ListUnitOfWork, name: str) -> ListOutcome:
    """A new list of the customer's, in a free place among their `max_lists`, under a name none
    of their lists has; a guest's list otherwise, found by its id alone."""
    cleaned = uow.rules.cleaned_name(name)
    if isinstance(cleaned, UserError):
        return ListOutcome(None, (cleaned,))
    customer = uow.ctx.customer_id
    if customer is None:
        made = await uow.create(SavedList.new(new_cart_id(), cleaned, None, uow.now(), uow.rules))
        return made or ListOutcome(None, (TOO_BUSY,))
    taken = UserError("NAME_TAKEN", f"the customer has a list named {cleaned!r} already", ("name",))
    if name_key(cleaned) == name_key(DEFAULT_LIST_NAME):
        return ListOutcome(None, (taken,))
    for attempt in range(MAX_ATTEMPTS):
        lists = await uow.store.of_customer(customer)
        if any(name_key(s.name) == name_key(cleaned) for s in lists):
            return ListOutcome(None, (taken,))
        slot = free_slot(lists, uow.rules)
        if slot is None:
            return ListOutcome(None, (UserError("TOO_MANY_LISTS", f"a customer has at most {uow.rules.max_lists} "
                                                "lists, the default one included", ("name",)),))
        made = await uow.create(SavedList.new(new_cart_id(), cleaned, customer, uow.now(), uow.rules, slot=slot))
        if made is not None:
            return made
        await backoff(attempt)  # another list took the place (or the name) meanwhile: look again
    return ListOutcome(None, (TOO_BUSY,))


async def add_items(uow: ListUnitOfWork, list_id: str, merchandise_ids: Sequence[str],
                    expected_version: int | None) -> ListOutcome:
    """Saves the variants (each SKU once); more than a list holds is refused before any lookup."""
    if len(merchandise_ids) > uow.rules.max_items:
        return ListOutcome(None, (uow.rules.too_many_items(len(merchandise_ids), ("items",)),))
    key = list_key(list_id)
    if await uow.read(key) is None:
        return ListOutcome(None, (NOT_FOUND,))
    variants = await asyncio.gather(*(variant_of(uow.ctx, m) for m in merchandise_ids))
    unknown = [UserError("UNKNOWN_MERCHANDISE", "no variant with this id is sold", ("items", n, "merchandiseId"))
               for n, v in enumerate(variants) if v is None]
    if unknown:
        return ListOutcome(None, tuple(unknown))
    new = await new_items(uow.ctx, [v for v in variants if v is not None])
    return await uow.apply(key, expected_version, saving(uow, new))


def saving(uow: ListUnitOfWork, new: Sequence[NewItem], where: tuple[str, ...] = ("items",)) -> Change:
    """The change that saves `new` (each SKU once, telling which were saved already)."""
    def change(saved: SavedList) -> Saved | list[UserError]:
        added = saved.with_items(new, uow.rules, uow.now(), where)
        return added if isinstance(added, list) else Saved(added[0], tuple(added[1]))

    return change


async def remove_items(uow: ListUnitOfWork, list_id: str, item_ids: Sequence[str],
                       expected_version: int | None) -> ListOutcome:
    def change(saved: SavedList) -> SavedList | list[UserError]:
        found = [item_in(saved, i) for i in item_ids]
        missing = [UserError("ITEM_NOT_FOUND", "no such item in this list", ("itemIds", n))
                   for n, item in enumerate(found) if item is None]
        return missing or saved.without_items([i for i in found if i is not None])

    return await uow.apply(list_key(list_id), expected_version, change)


async def new_items(ctx: RequestContext, variants: Sequence[ErpVariant]) -> list[NewItem]:
    """The variants as items to save, with the channel's price and stock now (unknown where a
    backend failed, the stock too when the caller may not read stock)."""
    async def quote(v: ErpVariant) -> pricing.PriceQuote | None:
        try:
            return await pricing.variant_price(ctx, v)
        except BackendError:
            return None

    async def units(v: ErpVariant) -> int | None:
        try:
            return (await stock.variant_stock(ctx, v)).quantity if ctx.sees_stock else None
        except BackendError:
            return None

    quotes, figures = await asyncio.gather(asyncio.gather(*(quote(v) for v in variants)),
                                           asyncio.gather(*(units(v) for v in variants)))
    return [NewItem(n, v.sku, ctx.channel.value, q.price.amount if q else None, q.price.currency if q else None, s)
            for n, (v, q, s) in enumerate(zip(variants, quotes, figures, strict=True))]
