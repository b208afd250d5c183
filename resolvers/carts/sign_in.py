"""Signing in with a guest cart: it becomes the customer's, or meets the customer's active cart
and the configured strategy decides which survives. The loser is closed and points to the winner.

A MERGE never loses the guest's lines: the guest cart is first marked MERGING (no other change
lands on it from then on, so its lines can be counted), its lines are then written into the
customer's cart together with a note that this guest cart was taken in, and only then is the
guest cart closed. When the second step fails, the guest cart is opened again; when the process
dies in between, signing in again finishes the merge (the note makes sure nothing is added twice);
when the customer's cart was checked out meanwhile, the guest cart becomes their cart.
"""

from __future__ import annotations

import asyncio
import dataclasses

from domain.carts import Cart, CartOutcome, CartStatus, MergeStrategy, UserError
from resolvers.carts.changes import available_by_sku
from resolvers.carts.ids import cart_key
from resolvers.carts.unit_of_work import MAX_ATTEMPTS, NOT_FOUND, CartUnitOfWork, Changed, backoff

SIGN_IN_FIRST = UserError("CUSTOMER_REQUIRED", "send the customer's bearer token to attach the cart to them")
TOO_BUSY = UserError("VERSION_CONFLICT", "the carts changed too often while signing in; try again")


async def attach_customer(uow: CartUnitOfWork, cart_id: str, expected_version: int | None) -> CartOutcome:
    customer = uow.ctx.customer_id
    if customer is None:
        return CartOutcome(None, (SIGN_IN_FIRST,))
    key = cart_key(cart_id)
    for attempt in range(MAX_ATTEMPTS):
        guest = await uow.read(key)
        if guest is None:
            return CartOutcome(None, (NOT_FOUND,))
        if guest.status is CartStatus.MERGING:  # a sign-in that did not finish: finish it
            return await _absorb(uow, guest, customer)
        if refused := uow.refusal(guest, expected_version):
            return CartOutcome(guest, (refused,))
        if guest.customer_id == customer:
            return CartOutcome(guest)
        theirs = await uow.store.active_for_customer(customer)
        outcome = await (_attach(uow, guest, customer) if theirs is None else _meet(uow, guest, theirs, customer))
        if outcome is not None:
            return outcome
        await backoff(attempt)
    return CartOutcome(await uow.read(key), (TOO_BUSY,))


async def _attach(uow: CartUnitOfWork, guest: Cart, customer: str) -> CartOutcome | None:
    """None when another writer changed the guest cart, or the customer got an active cart meanwhile."""
    attached = await uow.write(guest.reopened(customer))
    return CartOutcome(attached) if attached is not None else None


async def _meet(uow: CartUnitOfWork, guest: Cart, theirs: Cart, customer: str) -> CartOutcome | None:
    strategy = uow.rules.merge_strategy.between(theirs)
    if strategy is MergeStrategy.KEEP_GUEST:
        return await _attach(uow, guest, customer) if await uow.write(theirs.closed_into(guest.cart_id)) else None
    if strategy is MergeStrategy.KEEP_CUSTOMER:
        return CartOutcome(theirs) if await uow.write(guest.closed_into(theirs.cart_id)) else None
    # read stock before the first write: a backend failing here leaves both carts as they were
    available = await available_by_sku(uow.ctx, (line.sku for line in guest.lines))
    merging = await uow.write(dataclasses.replace(guest.merging_into(theirs), customer_id=customer))
    return await _absorb(uow, merging, customer, available) if merging is not None else None


async def _absorb(uow: CartUnitOfWork, guest: Cart, customer: str,
                  available: dict[str, int | None] | None = None) -> CartOutcome:
    """Moves a MERGING guest cart's lines into the customer's active cart, then closes it."""
    absorbed = False
    try:
        if available is None:
            available = await available_by_sku(uow.ctx, (line.sku for line in guest.lines))
        for attempt in range(MAX_ATTEMPTS):
            theirs = await uow.store.active_for_customer(customer)
            if theirs is None:  # checked out (or closed) meanwhile: the guest cart becomes their cart
                if (attached := await uow.write(guest.reopened(customer))) is not None:
                    return CartOutcome(attached)
            else:
                def merged(cart: Cart) -> Changed:
                    cart, warnings = cart.merged_with(guest, available, uow.rules,
                                                                  show_quantity=uow.ctx.sees_stock)
                    return Changed(cart, tuple(warnings))

                outcome = await uow.change(theirs.cart_id, None, merged, ends_operation=False)
                if not outcome.user_errors and outcome.cart is not None:
                    absorbed = True
                    await _close(uow, guest, outcome.cart)
                    return outcome
            await backoff(attempt)
            guest = await uow.read(guest.cart_id) or guest
            if guest.status is not CartStatus.MERGING:  # another sign-in of this cart ended the merge
                return CartOutcome(guest, (TOO_BUSY,))
        return CartOutcome(guest, (TOO_BUSY,))
    except BaseException:
        if not absorbed:
            await asyncio.shield(_reopen(uow, guest))
        raise


async def _close(uow: CartUnitOfWork, guest: Cart, survivor: Cart) -> None:
    """Closes the MERGING guest cart into the cart that took its lines in."""
    for attempt in range(MAX_ATTEMPTS):
        if guest.status is not CartStatus.MERGING or await uow.write(guest.closed_into(survivor.cart_id)):
            return
        await backoff(attempt)
        guest = await uow.read(guest.cart_id) or guest


async def _reopen(uow: CartUnitOfWork, guest: Cart) -> None:
    """A merge that failed before the customer's cart took the lines in: the guest cart is a guest's
    again, as it was (signing in again retries)."""
    current = await uow.store.get(guest.cart_id)
    if current is not None and current.status is CartStatus.MERGING:
        await uow.write(current.reopened(None))
