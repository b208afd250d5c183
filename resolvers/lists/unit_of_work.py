"""The one way a saved list is written, as a cart is (resolvers/carts/unit_of_work.py): read,
decide, write over the version read, retry when another writer won (unless the caller named the
version it expects); under an idempotency key, the write that ends the operation carries the key's
record inside the list document, so a retry after a lost answer is answered from it.

A list left with items on their way to a cart by a process that died (`SavedList.moving` older
than the claim time) is settled when next read: the items leave the list if the cart took them in
(it notes the move's id), else they stay and the list is free again.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from domain.carts import AppliedChange, CartWarning, UserError
from domain.errors import ListConflict
from domain.lists import ListOutcome, SavedList
from resolvers.carts.ids import visible_to
from resolvers.carts.unit_of_work import KEY_REUSED, MAX_ATTEMPTS, IdempotentCall, backoff
from resolvers.context import RequestContext
from resolvers.lists.ids import list_ref

NOT_FOUND = UserError("LIST_NOT_FOUND", "no list with this id", ("listId",))
TOO_BUSY = UserError("VERSION_CONFLICT", "the list is being changed too often to apply this change; read it and "
                                         "try again", retryable=True)


@dataclass(frozen=True, slots=True)
class Saved:
    """A change's result when it has something to say about what it did."""

    saved_list: SavedList
    warnings: tuple[CartWarning, ...] = ()


ChangeResult = SavedList | Saved | list[UserError]
Change = Callable[[SavedList], ChangeResult | Awaitable[ChangeResult]]


class ListUnitOfWork:
    """The list writes of one operation, as its caller (customer or guest) may make them."""

    def __init__(self, ctx: RequestContext, call: IdempotentCall | None = None) -> None:
        self.ctx = ctx
        self.call = call
        self.store = ctx.list_store
        self.rules = ctx.services.list_rules

    def now(self) -> datetime:
        """To the millisecond, as MongoDB keeps it: a replayed answer shows the times the first one did."""
        now = self.ctx.services.clock()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    async def read(self, list_id: str) -> SavedList | None:
        """The list, when the caller may see it (a move a dead process left settled first)."""
        saved = await self.store.get(list_id)
        if saved is None or not visible_to(saved, self.ctx.customer_id):
            return None
        if saved.moving is not None and saved.held_by_dead(self.now(), self.rules):
            saved = await self._settled(saved)
        return saved

    def refused(self, saved: SavedList, expected_version: int | None) -> UserError | None:
        return saved.refused(expected_version, survivor=list_ref(saved.merged_into) if saved.merged_into else None)

    async def apply(self, list_id: str, expected_version: int | None, change: Change, *,
                     ends_operation: bool = True) -> ListOutcome:
        """Applies `change` to the current list and writes it over the version it read (see the
        cart's unit of work: the same rules)."""
        for attempt in range(MAX_ATTEMPTS):
            saved = await self.read(list_id)
            if saved is None:
                return ListOutcome(None, (NOT_FOUND,))
            if ends_operation and (replayed := self.replayed(saved)) is not None:
                return replayed
            if refused := self.refused(saved, expected_version):
                return ListOutcome(saved, (refused,))
            result = change(saved)
            if inspect.isawaitable(result):
                result = await result
            if isinstance(result, list):
                return ListOutcome(saved, tuple(result))
            changed = result if isinstance(result, Saved) else Saved(result)
            written = self._stamped(changed.saved_list.next_version(self.now(), self.rules), changed.warnings,
                                    ends_operation)
            if await self.store.replace(written):
                return ListOutcome(written, warnings=changed.warnings)
            await backoff(attempt)
        return ListOutcome(await self.read(list_id), (TOO_BUSY,))

    async def create(self, saved: SavedList) -> ListOutcome | None:
        """Inserts a new list (under an idempotency key, with the id its first claim chose); None
        when its place or name was taken meanwhile (the caller decides again)."""
        if self.call is not None:
            made = await self.read(self.call.claim.target)
            if made is not None and (replayed := self.replayed(made)) is not None:
                return replayed
            saved = dataclasses.replace(saved, list_id=self.call.claim.target)
        stamped = self._stamped(saved, (), True)
        try:
            await self.store.insert(stamped)
        except ListConflict:
            return None
        return ListOutcome(stamped)

    async def write(self, saved: SavedList, *, ends_operation: bool = False) -> SavedList | None:
        """Writes `saved`, computed from the version it carries, as its next version (with the
        idempotency record when it `ends_operation`); None when another writer changed it first."""
        written = self._stamped(saved.next_version(self.now(), self.rules), (), ends_operation)
        return written if await self.store.replace(written) else None

    def replayed(self, saved: SavedList) -> ListOutcome | None:
        """The answer to a request this list already took in, under the same idempotency key."""
        if self.call is None or (applied := saved.applied_change(self.call.record_key)) is None:
            return None
        if applied.fingerprint != self.call.record_fingerprint:
            return ListOutcome(None, (KEY_REUSED,))
        return ListOutcome(saved, warnings=applied.warnings)

    def _stamped(self, saved: SavedList, warnings: tuple[CartWarning, ...], ends_operation: bool) -> SavedList:
        if ends_operation and self.call is not None:
            return saved.recording(AppliedChange(self.call.record_key, self.call.record_fingerprint, self.now(),
                                                 warnings))
        return saved

    async def _settled(self, saved: SavedList) -> SavedList:
        move = saved.moving
        assert move is not None
        cart = await self.ctx.cart_store.get(move.cart_id)
        taken = cart is not None and move.move_id in cart.absorbed
        settled = dataclasses.replace(saved.without_items(move.item_ids) if taken else saved, moving=None)
        return await self.write(settled) or await self.store.get(saved.list_id) or saved
