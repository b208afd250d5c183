"""Signing in with a guest list (`listBuyerIdentityUpdate`): its items join the customer's default
list, each SKU once, and the guest list is closed, pointing to it. The same steps as a cart's
MERGE (resolvers/carts/sign_in.py): the guest list is first marked MERGING and becomes the
customer's (no other change lands on it, and no one else reaches it, from then on); its items are
written into the default list together with a note that this guest list was taken in (so a retry,
or a second sign-in racing this one, adds nothing twice, not even an item removed since); only then
is the guest list closed. A failure in between opens the guest list again; a process that dies in
between leaves it MERGING, and the next sign-in after the claim time finishes the merge.
"""

from __future__ import annotations

import asyncio

from domain.carts import UserError
from domain.lists import ListOutcome, ListStatus, SavedList
from resolvers.carts.unit_of_work import MAX_ATTEMPTS, backoff
from resolvers.lists.changes import SIGN_IN_FIRST, default_list
from resolvers.lists.ids import list_key
from resolvers.lists.unit_of_work import NOT_FOUND, TOO_BUSY, ListUnitOfWork, Saved

MERGING = UserError("VERSION_CONFLICT", "another sign-in is merging this list; try again in a moment", ("listId",),
                    retryable=True)


async def attach_list(uow: ListUnitOfWork, list_id: str, expected_version: int | None) -> ListOutcome:
    customer = uow.ctx.customer_id
    if customer is None:
        return ListOutcome(None, (SIGN_IN_FIRST,))
    key = list_key(list_id)
    for attempt in range(MAX_ATTEMPTS):
        guest = await uow.read(key)
        if guest is None:
            return ListOutcome(None, (NOT_FOUND,))
        if guest.status is ListStatus.MERGED:
            survivor = await uow.read(guest.merged_into) if guest.merged_into else None
            if survivor is not None and survivor.customer_id == customer:
                return ListOutcome(survivor)  # signed in already (a retry whose answer was lost)
        if guest.status is ListStatus.MERGING:
            return await _absorb(uow, guest) if guest.held_by_dead(uow.now(), uow.rules) \
                else ListOutcome(None, (MERGING,))
        if refused := uow.refused(guest, expected_version):
            return ListOutcome(guest, (refused,))
        if guest.customer_id == customer:
            return ListOutcome(guest)  # theirs already
        theirs = await default_list(uow, customer)
        marked = await uow.write(guest.merging_into(theirs, customer))
        if marked is not None:
            return await _absorb(uow, marked, marked_here=True)
        await backoff(attempt)  # the guest changed it meanwhile: judge it again
    return ListOutcome(await uow.read(key), (TOO_BUSY,))


async def _absorb(uow: ListUnitOfWork, guest: SavedList, marked_here: bool = False) -> ListOutcome:
    """Moves a MERGING guest list's items into the list it is being merged into, then closes it."""
    assert guest.merged_into is not None
    try:
        merged = await uow.apply(guest.merged_into, None,
                                  lambda theirs: Saved(*_merged(theirs, guest, uow)))
        if merged.user_errors:
            await _reopen(uow, guest)
            return ListOutcome(None, merged.user_errors)
        await _close(uow, guest)
        return merged
    except BaseException:
        if marked_here:  # a sign-in that resumed a dead one's merge leaves it for the next
            await asyncio.shield(_reopen(uow, guest))
        raise


def _merged(theirs: SavedList, guest: SavedList, uow: ListUnitOfWork) -> tuple[SavedList, tuple]:
    merged, warnings = theirs.merged_with(guest, uow.rules)
    return merged, tuple(warnings)


async def _close(uow: ListUnitOfWork, guest: SavedList) -> None:
    for attempt in range(MAX_ATTEMPTS):
        if guest.status is not ListStatus.MERGING or await uow.write(guest.closed_into(guest.merged_into or "")):
            return
        await backoff(attempt)
        guest = await uow.store.get(guest.list_id) or guest


async def _reopen(uow: ListUnitOfWork, guest: SavedList) -> None:
    """A merge that did not get the items in: the list is a guest's again; one whose write landed
    after all is closed instead."""
    current = await uow.store.get(guest.list_id)
    if current is None or current.status is not ListStatus.MERGING:
        return
    survivor = await uow.store.get(current.merged_into) if current.merged_into else None
    if survivor is not None and current.list_id in survivor.absorbed:
        await _close(uow, current)
    else:
        await uow.write(current.reopened())
