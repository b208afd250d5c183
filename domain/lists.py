"""Saved lists (wishlists, "Saved for later") as the gateway stores them in MongoDB, and what the
reminder worker reads of them. An item keeps what the customer saw when saving it (price and
stock in the channel it was saved from), which is what a reminder compares today's figures with.

A list holds each SKU once: saving a SKU the list has already keeps the first item (and what it
was saved at), so a retried or concurrent add never makes a second one. Every method that changes
a list returns a new list, or the user errors saying why not; reading and writing are the use
cases' business (`resolvers/lists/`).
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from domain.carts import ABSORBED_KEPT, AppliedChange, Cart, CartWarning, Field, UserError, kept_with

DEFAULT_LIST_NAME = "Saved for later"
DEFAULT_SLOT = 0  # the default list's; the customer's other lists take 1 .. max_lists - 1
# format characters that reorder or hide text (bidi overrides and isolates): a name shown to the
# customer must read as it is stored
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class ListStatus(StrEnum):
    ACTIVE = "ACTIVE"
    MERGING = "MERGING"  # a sign-in moves its items into `merged_into`; no other change meanwhile
    MERGED = "MERGED"    # a guest list closed by a sign-in merge; `merged_into` names the survivor


@dataclass(frozen=True, slots=True)
class ListRules:
    """The limits a retailer configures (`[lists]` in the settings)."""

    max_lists: int = 20           # per customer, the default list included
    max_items: int = 250          # per list
    name_max_length: int = 100    # characters, after normalization
    guest_list_ttl_days: float = 30.0
    claim_seconds: float = 120.0  # a sign-in merge or move older than this was left by a dead process

    def cleaned_name(self, name: str, field: Field = ("name",)) -> str | UserError:
        """The name as kept (NFC, trimmed), or why it is refused: empty, too long, or with control,
        unassigned, private-use or text-reordering characters."""
        cleaned = unicodedata.normalize("NFC", name[:self.name_max_length * 4]).strip()
        if not cleaned:
            return UserError("INVALID_NAME", "a list name must not be empty", field)
        if len(cleaned) > self.name_max_length:
            return UserError("INVALID_NAME", f"a list name has at most {self.name_max_length} characters", field)
        if any(c in _BIDI_CONTROLS or unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") for c in cleaned):
            return UserError("INVALID_NAME", "a list name must not contain control or invisible "
                                             "text-direction characters", field)
        return cleaned

    def too_many_items(self, count: int, field: Field) -> UserError:
        return UserError("TOO_MANY_ITEMS", f"a list holds at most {self.max_items} items, this would make {count}",
                         field)


def name_key(name: str) -> str:
    """What two names of one customer's lists must not share (case and width folded)."""
    return unicodedata.normalize("NFKC", name).casefold()


@dataclass(frozen=True, slots=True)
class SavedItem:
    item_id: str                         # unique within its list
    sku: str                             # the variant's SKU, as cart lines keep it
    added_at: datetime
    channel: str                         # where it was saved: its price and stock are that channel's
    price_when_saved: Decimal | None = None
    currency: str | None = None
    stock_when_saved: int | None = None  # None: the caller could not see stock, or the backend was down


@dataclass(frozen=True, slots=True)
class NewItem:
    """An item to save, its variant known; `index` is its place in the request."""

    index: int
    sku: str
    channel: str
    price: Decimal | None = None
    currency: str | None = None
    stock: int | None = None


@dataclass(frozen=True, slots=True)
class PendingMove:
    """Items on their way to a cart (listItemsMoveToCart): the cart takes them in first, noting
    `move_id` among what it absorbed, and only then does the list let them go."""

    move_id: str
    cart_id: str
    item_ids: tuple[str, ...]
    at: datetime


@dataclass(frozen=True, slots=True)
class SavedList:
    list_id: str
    name: str
    version: int
    created_at: datetime
    updated_at: datetime
    customer_id: str | None = None  # None: a guest's list, found by its id alone
    default: bool = False           # the customer's "Saved for later": cartLinesSaveForLater moves lines here
    items: tuple[SavedItem, ...] = field(default=())
    status: ListStatus = ListStatus.ACTIVE
    slot: int | None = None         # a customer's list's place among their max_lists (unique per customer)
    next_item_number: int = 1
    merged_into: str | None = None
    expires_at: datetime | None = None  # guest lists only: untouched ones expire
    applied: tuple[AppliedChange, ...] = ()  # idempotency records of its latest changes
    absorbed: tuple[str, ...] = ()  # guest lists merged into this one at sign-in
    moving: PendingMove | None = None

    @classmethod
    def new(cls, list_id: str, name: str, customer_id: str | None, now: datetime, rules: ListRules, *,
            default: bool = False, slot: int | None = None) -> SavedList:
        return cls(list_id=list_id, name=name, version=1, created_at=now, updated_at=now, customer_id=customer_id,
                   default=default, slot=slot, expires_at=_expiry(customer_id, now, rules))

    def item(self, item_id: str) -> SavedItem | None:
        return next((i for i in self.items if i.item_id == item_id), None)

    def with_items(self, new: Sequence[NewItem], rules: ListRules, now: datetime,
                   where: Field = ("items",)) -> tuple[SavedList, list[CartWarning]] | list[UserError]:
        """The list with `new` saved; a SKU it holds already keeps its first item (with a warning)."""
        items = list(self.items)
        held = {i.sku for i in items}
        number = self.next_item_number
        warnings: list[CartWarning] = []
        for n in new:
            if n.sku in held:
                warnings.append(CartWarning("ALREADY_SAVED", f"{n.sku} is in the list already"))
                continue
            items.append(SavedItem(str(number), n.sku, now, n.channel, n.price, n.currency, n.stock))
            held.add(n.sku)
            number += 1
        if len(items) > rules.max_items:
            return [rules.too_many_items(len(items), where)]
        return dataclasses.replace(self, items=tuple(items), next_item_number=number), warnings

    def without_items(self, item_ids: Sequence[str]) -> SavedList:
        gone = set(item_ids)
        return dataclasses.replace(self, items=tuple(i for i in self.items if i.item_id not in gone))

    def merged_with(self, guest: SavedList, rules: ListRules) -> tuple[SavedList, list[CartWarning]]:
        """The guest list's items added to this one (each SKU once, within the limit); a guest list
        taken in before adds nothing, even an item removed since."""
        if guest.list_id in self.absorbed:
            return self, []
        items, held, number = list(self.items), {i.sku for i in self.items}, self.next_item_number
        warnings: list[CartWarning] = []
        for item in guest.items:
            if item.sku in held:
                continue
            if len(items) >= rules.max_items:
                warnings.append(CartWarning("LIST_FULL", f"{item.sku}: the list is full; not moved"))
                continue
            items.append(dataclasses.replace(item, item_id=str(number)))
            held.add(item.sku)
            number += 1
        absorbed = (*self.absorbed, guest.list_id)[-ABSORBED_KEPT:]
        return dataclasses.replace(self, items=tuple(items), next_item_number=number, absorbed=absorbed), warnings

    def merging_into(self, survivor: SavedList, customer_id: str) -> SavedList:
        return dataclasses.replace(self, status=ListStatus.MERGING, merged_into=survivor.list_id,
                                   customer_id=customer_id)

    def closed_into(self, survivor_id: str) -> SavedList:
        return dataclasses.replace(self, status=ListStatus.MERGED, merged_into=survivor_id)

    def reopened(self) -> SavedList:
        """A guest's again: a merge that could not finish."""
        return dataclasses.replace(self, status=ListStatus.ACTIVE, merged_into=None, customer_id=None)

    def held_by_dead(self, now: datetime, rules: ListRules) -> bool:
        """A merge or a move began on this list and, by now, its process died before it ended."""
        started = self.moving.at if self.moving else self.updated_at if self.status is ListStatus.MERGING else None
        return started is not None and now - started > timedelta(seconds=rules.claim_seconds)

    def refused(self, expected_version: int | None, *, survivor: str | None = None) -> UserError | None:
        """Why this list takes no change now: merged away, being merged, items on their way to a
        cart, or not at the version the caller expects."""
        if self.status is ListStatus.MERGED:
            said = f" into {survivor}" if survivor else ""
            return UserError("LIST_CLOSED", f"the list was merged{said} at sign-in and takes no more changes",
                             ("listId",))
        if self.status is ListStatus.MERGING or self.moving is not None:
            return UserError("VERSION_CONFLICT", "the list is being merged or moved to a cart; try again in a moment",
                             ("listId",), retryable=True)
        if expected_version is not None and self.version != expected_version:
            return UserError("VERSION_CONFLICT", f"the list is at version {self.version}, not {expected_version}; "
                                                 "re-apply the change to the list returned", ("expectedVersion",))
        return None

    def next_version(self, now: datetime, rules: ListRules) -> SavedList:
        return dataclasses.replace(self, version=self.version + 1, updated_at=now,
                                   expires_at=_expiry(self.customer_id, now, rules))

    def applied_change(self, key: str) -> AppliedChange | None:
        return next((a for a in self.applied if a.key == key), None)

    def recording(self, change: AppliedChange) -> SavedList:
        return dataclasses.replace(self, applied=kept_with(self.applied, change))


def _expiry(customer_id: str | None, now: datetime, rules: ListRules) -> datetime | None:
    return None if customer_id is not None else now + timedelta(days=rules.guest_list_ttl_days)


def free_slot(lists: Sequence[SavedList], rules: ListRules) -> int | None:
    """The lowest place for a new (not default) list of the customer's, None when all are taken."""
    taken = {s.slot for s in lists}
    return next((n for n in range(DEFAULT_SLOT + 1, rules.max_lists) if n not in taken), None)


@dataclass(frozen=True, slots=True)
class ListOutcome:
    """What a list mutation did: the list (and the cart, for moves between the two)."""

    saved_list: SavedList | None
    user_errors: tuple[UserError, ...] = ()
    warnings: tuple[CartWarning, ...] = ()
    cart: Cart | None = None


@dataclass(frozen=True, slots=True)
class Watch:
    """A signed-in customer's saved item, as the reminder worker evaluates it against a change."""

    customer_id: str
    list_id: str
    item: SavedItem
