"""Signing in with a guest cart: it becomes the customer's, or meets the customer's active cart
and the configured strategy decides which survives. The loser is closed and points to the winner.

A MERGE never loses the guest's lines nor adds them twice: the guest cart is first marked MERGING
(no other change lands on it from then on, so its lines can be counted), its lines are then written
into the customer's cart together with a note that this guest cart was taken in, and only then is
the guest cart closed. When the second step fails, the sign-in that marked the cart opens it again
(unless the customer's cart shows it was taken in after all); when that process dies instead, a
sign-in after `CartRules.claim_seconds` finishes the merge (the note keeps the lines from being added
twice); when the customer's cart was checked out meanwhile, the guest cart becomes their cart.
Neither cart is touched while a checkout holds it.
"""

from __future__ import annotations

import asyncio
import dataclasses

from domain.carts import Cart, CartOutcome, CartStatus, MergeStrategy, UserError
from resolvers import holds
from resolvers.carts.changes import available_by_sku
from resolvers.carts.ids import cart_key
from resolvers.carts.unit_of_work import MAX_ATTEMPTS, NOT_FOUND, CartUnitOfWork, Changed, backoff

SIGN_IN_FIRST = UserError("CUSTOMER_REQUIRED", "send the customer's bearer token to attach the cart to them")
TOO_BUSY = UserError("VERSION_CONFLICT", "the carts changed too often while signing in; try again", retryable=True)
MERGING = UserError("VERSION_CONFLICT", "another sign-in is merging this cart; try again in a moment",
                    ("cartId",), retryable=True)


async def attach_customer(uow: CartUnitOfWork, cart_id: str, expected_version: int | None) -> CartOutcome:
    customer = uow.ctx.customer_id
    if customer is None:
        return CartOutcome(None, (SIGN_IN_FIRST,))
    key = cart_key(cart_id)
    for attempt in range(MAX_ATTEMPTS):
        guest = await uow.read(key)
        if guest is None:
            return CartOutcome(None, (NOT_FOUND,))
        if guest.status is CartStatus.MERGING:  # another sign-in merges it, or died doing so
            return await _absorb(uow, guest, customer) if guest.merge_left(uow.now(), uow.rules) \
                else CartOutcome(guest, (MERGING,))
        if (survivor := await _merged_into_theirs(uow, guest, customer)) is not None:
            return CartOutcome(survivor)  # signed in already (a retry whose answer was lost)
        if refused := uow.refusal(guest, expected_version):
            return CartOutcome(guest, (refused,))
        if guest.customer_id == customer:
            return CartOutcome(guest)
        theirs = await uow.store.active_for_customer(customer)
        if theirs is not None and (busy := uow.refusal(theirs, None)) is not None:
            return CartOutcome(guest, (busy,))  # their cart is being checked out
        outcome = await (_attach(uow, guest, customer) if theirs is None else _meet(uow, guest, theirs, customer))
        if outcome is not None:
            return outcome
        await backoff(attempt)
    return CartOutcome(await uow.read(key), (TOO_BUSY,))


async def _merged_into_theirs(uow: CartUnitOfWork, guest: Cart, customer: str) -> Cart | None:
    if guest.status is not CartStatus.MERGED or guest.merged_into is None:
        return None
    survivor = await uow.read(guest.merged_into)
    ours = survivor is not None and survivor.customer_id == customer and survivor.status is CartStatus.ACTIVE
    return survivor if ours else None


async def _attach(uow: CartUnitOfWork, guest: Cart, customer: str) -> CartOutcome | None:
    """None when another writer changed the guest cart, or the customer got an active cart meanwhile."""
    attached = await uow.write(guest.reopened(customer))
    return CartOutcome(attached) if attached is not None else None


async def _meet(uow: CartUnitOfWork, guest: Cart, theirs: Cart, customer: str) -> CartOutcome | None:
    """None when a write lost a race (both carts are read again); each write is version-checked
    over the version whose state (claims included) was judged."""
    strategy = uow.rules.merge_strategy.between(theirs)
    if strategy is MergeStrategy.KEEP_GUEST:
        return await _attach(uow, guest, customer) if await uow.write(theirs.closed_into(guest.cart_id)) else None
    if strategy is MergeStrategy.KEEP_CUSTOMER:
        return CartOutcome(theirs) if await uow.write(guest.closed_into(theirs.cart_id)) else None
    # read stock before the first write: a backend failing here leaves both carts as they were
    available = await available_by_sku(uow.ctx, (line.sku for line in guest.lines), guest.cart_id)
    merging = await uow.write(dataclasses.replace(guest.merging_into(theirs), customer_id=customer))
    return await _absorb(uow, merging, customer, available, marked_here=True) if merging is not None else None


async def _absorb(uow: CartUnitOfWork, guest: Cart, customer: str, available: dict[str, int | None] | None = None,
                  marked_here: bool = False) -> CartOutcome:
    """Moves a MERGING guest cart's lines into the customer's active cart, then closes it."""
    if (took_it := await _taken_in_by(uow, guest)) is not None:  # done but for the closing
        await _close(uow, guest, took_it)
        return CartOutcome(took_it)
    try:
        if available is None:
            available = await available_by_sku(uow.ctx, (line.sku for line in guest.lines), guest.cart_id)
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
                    await _close(uow, guest, outcome.cart)
                    return outcome
                if any(e.code == "CHECKOUT_IN_PROGRESS" for e in outcome.user_errors):
                    raise _Busy(outcome)
            await backoff(attempt)
            guest = await uow.read(guest.cart_id) or guest
            if guest.status is not CartStatus.MERGING:  # another sign-in of this cart ended the merge
                return CartOutcome(guest, (TOO_BUSY,))
        return CartOutcome(guest, (TOO_BUSY,))
    except _Busy as busy:
        await _reopen(uow, guest)
        return CartOutcome(await uow.read(guest.cart_id), busy.outcome.user_errors)
    except BaseException:
        if marked_here:  # a sign-in that resumed a dead one's merge leaves it for the next
            await asyncio.shield(_reopen(uow, guest))
        raise


class _Busy(Exception):
    def __init__(self, outcome: CartOutcome) -> None:
        self.outcome = outcome


async def _taken_in_by(uow: CartUnitOfWork, guest: Cart) -> Cart | None:
    """The cart that took this guest cart's lines in already, if one did: the one it was being
    merged into, or (when that one was checked out meanwhile) the customer's active cart."""
    marked = await uow.store.get(guest.merged_into) if guest.merged_into else None
    active = await uow.store.active_for_customer(guest.customer_id) if guest.customer_id else None
    return next((cart for cart in (marked, active) if cart is not None and guest.cart_id in cart.absorbed), None)


async def _close(uow: CartUnitOfWork, guest: Cart, survivor: Cart) -> None:
    """Closes the MERGING guest cart into the cart that took its lines in, which holds its units now."""
    await holds.hand_over(uow.ctx, guest, survivor)
    for attempt in range(MAX_ATTEMPTS):
        if guest.status is not CartStatus.MERGING or await uow.write(guest.closed_into(survivor.cart_id)):
            return
        await backoff(attempt)
        guest = await uow.read(guest.cart_id) or guest


async def _reopen(uow: CartUnitOfWork, guest: Cart) -> None:
    """A merge that did not get the lines into the customer's cart: the guest cart is a guest's
    again, as it was (signing in again retries). A merge whose write landed though it failed (a
    timeout after the store applied it) is closed instead; when the store cannot say, the cart
    stays MERGING for the next sign-in to finish."""
    current = await uow.store.get(guest.cart_id)
    if current is None or current.status is not CartStatus.MERGING:
        return
    if (took_it := await _taken_in_by(uow, current)) is not None:
        await _close(uow, current, took_it)
    else:
        await uow.write(current.reopened(None))
