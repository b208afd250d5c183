"""Carts as the gateway stores them, and their rules as pure functions of the cart.

A cart's lines are keyed by variant SKU, each with the price it was added at. Every method that
changes a cart returns a new cart, or the user errors saying why the change is refused; reading
prices and stock, and writing, are the use cases' business (`resolvers/carts/`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from domain.records import Attribute

if TYPE_CHECKING:
    from domain.lists import ListOutcome

Field = tuple[str | int, ...]  # where in the input an error points
APPLIED_KEPT = 16  # idempotency records a cart keeps (those of its latest changes), see `Cart.recording`
APPLIED_FOR = timedelta(hours=24)  # as long as the idempotency store keeps a key
ABSORBED_KEPT = 16  # guest carts whose lines a cart took in at sign-in, remembered so a retry adds none twice


class CartStatus(StrEnum):
    ACTIVE = "ACTIVE"
    MERGING = "MERGING"      # a sign-in moves its lines into `merged_into`; no other change meanwhile
    MERGED = "MERGED"        # closed by a sign-in merge; `merged_into` names the survivor
    COMPLETED = "COMPLETED"  # checked out


class MergeStrategy(StrEnum):
    """What signing in does when the guest cart meets the customer's active cart."""

    MERGE = "MERGE"                  # guest lines summed into the customer's cart, capped by stock
    KEEP_CUSTOMER = "KEEP_CUSTOMER"  # the customer's cart stays as it was
    KEEP_GUEST = "KEEP_GUEST"        # the guest cart becomes the customer's cart
    KEEP_GUEST_IF_CUSTOMER_EMPTY = "KEEP_GUEST_IF_CUSTOMER_EMPTY"  # else MERGE

    def between(self, customers: Cart) -> MergeStrategy:
        """The strategy that applies when the customer's cart is `customers`."""
        if self is MergeStrategy.KEEP_GUEST_IF_CUSTOMER_EMPTY:
            return MergeStrategy.KEEP_GUEST if not customers.lines else MergeStrategy.MERGE
        return self


@dataclass(frozen=True, slots=True)
class CartRules:
    """The limits a retailer configures (`[carts]` in the settings)."""

    max_lines: int = 250
    max_quantity: int = 999
    note_max_length: int = 2_000
    max_attributes: int = 32  # of a cart, and of each line
    attribute_key_max_length: int = 64
    attribute_value_max_length: int = 500
    guest_cart_ttl_days: float = 30.0
    merge_strategy: MergeStrategy = MergeStrategy.MERGE
    shop_currency: str = "EUR"  # of the web-shop's fixed-amount coupons
    claim_seconds: float = 120.0  # a checkout claim or sign-in merge older than this was left by a dead process
    max_discount_codes: int = 5  # per cart: each is looked up at the web-shop

    def quantity_error(self, quantity: int, field: Field) -> UserError | None:
        if not 1 <= quantity <= self.max_quantity:
            return UserError("INVALID_QUANTITY", f"quantity must be between 1 and {self.max_quantity}, "
                                                 f"got {quantity}", field)
        return None

    def note_errors(self, note: str | None) -> list[UserError]:
        if note is not None and len(note) > self.note_max_length:
            return [UserError("INVALID_NOTE", f"a note has at most {self.note_max_length} characters", ("note",))]
        return []

    def attribute_errors(self, attributes: Sequence[Attribute], field: Field) -> list[UserError]:
        """Attributes are client text kept with the cart: bounded in count and length."""
        if len(attributes) > self.max_attributes:
            return [UserError("TOO_MANY_ATTRIBUTES", f"at most {self.max_attributes} attributes, got "
                                                     f"{len(attributes)}", field)]
        return [UserError("ATTRIBUTE_TOO_LONG", f"an attribute's key has at most {self.attribute_key_max_length} "
                                                f"characters and its value at most "
                                                f"{self.attribute_value_max_length}", (*field, n))
                for n, a in enumerate(attributes)
                if len(a.key) > self.attribute_key_max_length or len(a.value) > self.attribute_value_max_length]


@dataclass(frozen=True, slots=True)
class CartLine:
    line_id: str        # unique within the cart
    sku: str            # the variant's SKU
    quantity: int
    added_price: Decimal  # unit price when added (or last changed), for PRICE_CHANGED warnings
    added_currency: str
    attributes: tuple[Attribute, ...] = ()


@dataclass(frozen=True, slots=True)
class NewLine:
    """A line to add, its variant known and priced; `index` is its place in the request."""

    index: int
    sku: str
    quantity: int
    price: Decimal
    currency: str
    attributes: tuple[Attribute, ...] = ()


@dataclass(frozen=True, slots=True)
class LineChange:
    """A change to the line at `position` (None: no such line in this cart); quantity 0 removes it."""

    index: int
    position: int | None
    quantity: int | None = None
    attributes: tuple[Attribute, ...] | None = None


@dataclass(frozen=True, slots=True)
class AppliedChange:
    """The idempotency record of a change, written with the change itself: a retry of a request
    whose process died after the write finds it here and does not apply the change again."""

    key: str
    fingerprint: str
    at: datetime
    warnings: tuple[CartWarning, ...] = ()


@dataclass(frozen=True, slots=True)
class Cart:
    cart_id: str              # ≥ 128 bits of randomness, URL-safe
    version: int              # +1 per change; the optimistic-concurrency check
    channel: str              # where it was created
    status: CartStatus
    created_at: datetime
    updated_at: datetime
    customer_id: str | None = None
    lines: tuple[CartLine, ...] = ()
    note: str | None = None
    attributes: tuple[Attribute, ...] = ()
    discount_codes: tuple[str, ...] = ()
    next_line_number: int = 1
    merged_into: str | None = None
    expires_at: datetime | None = None  # guest carts only: abandoned ones expire
    checkout_started_at: datetime | None = None  # a checkout claimed the cart: no second order meanwhile
    applied: tuple[AppliedChange, ...] = ()  # idempotency records of its latest changes
    absorbed: tuple[str, ...] = ()  # guest carts merged into this one at sign-in

    @classmethod
    def new(cls, cart_id: str, channel: str, customer_id: str | None, now: datetime, rules: CartRules) -> Cart:
        return cls(cart_id=cart_id, version=1, channel=channel, status=CartStatus.ACTIVE, created_at=now,
                   updated_at=now, customer_id=customer_id, expires_at=_expiry(customer_id, now, rules))

    def line(self, line_id: str) -> CartLine | None:
        return next((line for line in self.lines if line.line_id == line_id), None)

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    # ---- changes a shopper asks for

    def with_lines(self, new: Sequence[NewLine], rules: CartRules, where: Field) -> tuple[Cart, dict[str, int]] | list[UserError]:
        """The cart with `new` added, each summed into a line of the same variant and attributes, and
        the line ids touched (with the request index that touched them); or why not."""
        errors = [e for n in new if (e := rules.quantity_error(n.quantity, (*where, n.index, "quantity")))]
        errors += [e for n in new for e in rules.attribute_errors(n.attributes, (*where, n.index, "attributes"))]
        if errors:
            return errors
        lines = list(self.lines)
        next_number = self.next_line_number
        touched: dict[str, int] = {}
        for n in new:
            same = same_line(lines, n.sku, n.attributes)
            if same is None:
                lines.append(CartLine(str(next_number), n.sku, n.quantity, n.price, n.currency, n.attributes))
                next_number += 1
                same = len(lines) - 1
            else:
                lines[same] = dataclasses.replace(lines[same], quantity=lines[same].quantity + n.quantity)
            touched[lines[same].line_id] = n.index
        if len(lines) > rules.max_lines:
            return [UserError("TOO_MANY_LINES", f"a cart has at most {rules.max_lines} lines", where)]
        for line in lines:
            if line.line_id in touched and (e := rules.quantity_error(line.quantity,
                                                                       (*where, touched[line.line_id], "quantity"))):
                return [e]
        return dataclasses.replace(self, lines=tuple(lines), next_line_number=next_number), touched

    def with_changes(self, changes: Sequence[LineChange], rules: CartRules) -> tuple[Cart, dict[str, int]] | list[UserError]:
        """The cart with each line's quantity or attributes changed (quantity 0 removes it), and the
        line ids touched; or why not."""
        lines = list(self.lines)
        errors: list[UserError] = []
        touched: dict[str, int] = {}
        for change in changes:
            if change.position is None:
                errors.append(UserError("LINE_NOT_FOUND", "no such line in this cart", ("lines", change.index, "id")))
                continue
            if change.quantity and (e := rules.quantity_error(change.quantity, ("lines", change.index, "quantity"))):
                errors.append(e)
                continue
            if change.attributes is not None and (
                    e2 := rules.attribute_errors(change.attributes, ("lines", change.index, "attributes"))):
                errors += e2
                continue
            line = lines[change.position]
            if change.quantity is not None:
                line = dataclasses.replace(line, quantity=change.quantity)
            if change.attributes is not None:
                line = dataclasses.replace(line, attributes=change.attributes)
            lines[change.position] = line
            touched[line.line_id] = change.index
        if errors:
            return errors
        return dataclasses.replace(self, lines=tuple(line for line in lines if line.quantity > 0)), touched

    def without_lines(self, positions: Sequence[int | None]) -> Cart | list[UserError]:
        missing = [UserError("LINE_NOT_FOUND", "no such line in this cart", ("lineIds", n))
                   for n, position in enumerate(positions) if position is None]
        if missing:
            return missing
        return dataclasses.replace(self, lines=tuple(line for n, line in enumerate(self.lines) if n not in positions))

    def with_note(self, note: str, rules: CartRules) -> Cart | list[UserError]:
        return rules.note_errors(note) or dataclasses.replace(self, note=note or None)

    def with_attributes(self, attributes: Sequence[Attribute], rules: CartRules) -> Cart | list[UserError]:
        return rules.attribute_errors(attributes, ("attributes",)) or dataclasses.replace(
            self, attributes=tuple(attributes))

    def stock_errors(self, available: Mapping[str, int], touched: Mapping[str, int],
                     where: Field = ("lines",), *, show_quantity: bool = True) -> list[UserError]:
        """INSUFFICIENT_STOCK for each touched line asking more than `available` (by SKU) has; the
        quantity available is told only when `show_quantity` (the caller may read stock)."""
        return [UserError("INSUFFICIENT_STOCK", f"{short_of(line.sku, available[line.sku], show_quantity)}, "
                                                f"{line.quantity} asked", (*where, touched[line.line_id], "quantity"),
                          available=available[line.sku] if show_quantity else None)
                for line in self.lines
                if line.line_id in touched and line.sku in available and line.quantity > available[line.sku]]

    # ---- sign-in

    def merged_with(self, guest: Cart, available: Mapping[str, int | None],
                    rules: CartRules, *, show_quantity: bool = True) -> tuple[Cart, list[CartWarning]]:
        """The guest cart's lines summed into this one per variant and attributes, capped by what is
        `available` (None: no longer sold) and the limits; a guest cart taken in before adds nothing.
        A capped line's warning tells the quantity available only when `show_quantity`."""
        if guest.cart_id in self.absorbed:
            return self, []
        warnings: list[CartWarning] = []
        lines = list(self.lines)
        next_number = self.next_line_number
        for line in guest.lines:
            stocked = available.get(line.sku)
            if stocked is None:
                warnings.append(CartWarning("ITEM_UNAVAILABLE", f"{line.sku} is no longer sold; not moved"))
                continue
            same = same_line(lines, line.sku, line.attributes)
            have = lines[same].quantity if same is not None else 0
            quantity = min(have + line.quantity, max(stocked, have), rules.max_quantity)
            if quantity < have + line.quantity:
                said = f" ({stocked} available)" if show_quantity else ""
                warnings.append(CartWarning("QUANTITY_CAPPED", f"{line.sku}: {have + line.quantity} wanted, "
                                                               f"{quantity} kept{said}"))
            if same is not None:
                lines[same] = dataclasses.replace(lines[same], quantity=quantity)
            elif quantity > 0 and len(lines) < rules.max_lines:
                lines.append(dataclasses.replace(line, line_id=str(next_number), quantity=quantity))
                next_number += 1
            elif quantity > 0:
                warnings.append(CartWarning("TOO_MANY_LINES", f"{line.sku}: the cart is full; not moved"))
        absorbed = (*self.absorbed, guest.cart_id)[-ABSORBED_KEPT:]
        return dataclasses.replace(self, lines=tuple(lines), next_line_number=next_number, absorbed=absorbed), warnings

    def merging_into(self, survivor: Cart) -> Cart:
        return dataclasses.replace(self, status=CartStatus.MERGING, merged_into=survivor.cart_id)

    def closed_into(self, survivor_id: str) -> Cart:
        return dataclasses.replace(self, status=CartStatus.MERGED, merged_into=survivor_id)

    def reopened(self, customer_id: str | None) -> Cart:
        """Active again (a merge that could not finish), belonging to `customer_id`."""
        return dataclasses.replace(self, status=CartStatus.ACTIVE, merged_into=None, customer_id=customer_id)

    # ---- checkout

    def checkout_held(self, now: datetime, rules: CartRules) -> bool:
        """A checkout runs on this cart (its claim is younger than a process could run)."""
        held = self.checkout_started_at
        return held is not None and now - held <= timedelta(seconds=rules.claim_seconds)

    def merge_left(self, now: datetime, rules: CartRules) -> bool:
        """A sign-in marked this cart MERGING and, by now, died before it ended the merge."""
        return self.status is CartStatus.MERGING and now - self.updated_at > timedelta(seconds=rules.claim_seconds)

    def claimed_for_checkout(self, now: datetime, rules: CartRules) -> Cart | list[UserError]:
        if self.checkout_held(now, rules):
            return [CHECKOUT_IN_PROGRESS]
        return dataclasses.replace(self, checkout_started_at=now)

    def unclaimed(self) -> Cart:
        return dataclasses.replace(self, checkout_started_at=None)

    def completed(self) -> Cart:
        return dataclasses.replace(self, status=CartStatus.COMPLETED, checkout_started_at=None)

    # ---- what every write does

    def refusal(self, expected_version: int | None, now: datetime, rules: CartRules, *, survivor: str | None = None,
                checking_out: bool = False) -> UserError | None:
        """Why this cart takes no change now: closed, held by a checkout (unless the change is that
        checkout's own), or not at the version the caller expects. `survivor` is how the caller
        names the cart this one was merged into."""
        if self.status is CartStatus.MERGING:
            return UserError("CART_CLOSED", "the cart is being merged into the customer's cart", ("cartId",))
        if self.status is CartStatus.MERGED and survivor:
            return UserError("CART_CLOSED", f"the cart was merged into {survivor}", ("cartId",))
        if self.status is not CartStatus.ACTIVE:
            return UserError("CART_CLOSED", f"the cart is {self.status.value.lower()} and takes no more changes",
                             ("cartId",))
        if not checking_out and self.checkout_held(now, rules):
            return CHECKOUT_IN_PROGRESS  # the order is being made from the lines as they are
        if expected_version is not None and self.version != expected_version:
            return UserError("VERSION_CONFLICT", f"the cart is at version {self.version}, not {expected_version}; "
                                                 "re-apply the change to the cart returned", ("expectedVersion",))
        return None

    def next_version(self, now: datetime, rules: CartRules) -> Cart:
        """This cart as the next version of the one it was computed from; a guest cart's expiry moves on."""
        return dataclasses.replace(self, version=self.version + 1, updated_at=now,
                                   expires_at=_expiry(self.customer_id, now, rules))

    def applied_change(self, key: str) -> AppliedChange | None:
        return next((a for a in self.applied if a.key == key), None)

    def recording(self, change: AppliedChange) -> Cart:
        """This cart carrying `change`'s idempotency record."""
        return dataclasses.replace(self, applied=kept_with(self.applied, change))


def kept_with(applied: tuple[AppliedChange, ...], change: AppliedChange) -> tuple[AppliedChange, ...]:
    """The idempotency records a document keeps with `change` added: the latest APPLIED_KEPT of the last day."""
    kept = tuple(a for a in applied if change.at - a.at < APPLIED_FOR)
    return (*kept, change)[-APPLIED_KEPT:]


def short_of(sku: str, available: int, show_quantity: bool) -> str:
    """What an INSUFFICIENT_STOCK message says of the stock: the quantity only to a caller who may
    read stock (the `stock:read` scope), since the message would tell it to any other."""
    return f"only {available} of {sku} available" if show_quantity else f"not enough of {sku} available"


def same_line(lines: Sequence[CartLine], sku: str, attributes: tuple[Attribute, ...]) -> int | None:
    """Index of the line a new one of this variant and attributes adds to, if any."""
    return next((i for i, line in enumerate(lines) if line.sku == sku and line.attributes == attributes), None)


def _expiry(customer_id: str | None, now: datetime, rules: CartRules) -> datetime | None:
    return None if customer_id is not None else now + timedelta(days=rules.guest_cart_ttl_days)


@dataclass(frozen=True, slots=True)
class CartWarning:
    code: str  # PRICE_CHANGED, ITEM_UNAVAILABLE, INSUFFICIENT_STOCK, QUANTITY_CAPPED, TOO_MANY_LINES
    message: str
    line_id: str | None = None


@dataclass(frozen=True, slots=True)
class UserError:
    code: str
    message: str
    field: Field | None = None
    retryable: bool = False  # the same request may succeed later: not kept as an idempotency key's outcome
    available: int | None = None  # INSUFFICIENT_STOCK: what is left, to a caller who may read stock


CHECKOUT_IN_PROGRESS = UserError("CHECKOUT_IN_PROGRESS", "a checkout of this cart is running; read the cart later",
                                 ("cartId",), retryable=True)


@dataclass(frozen=True, slots=True)
class CartOutcome:
    cart: Cart | None
    user_errors: tuple[UserError, ...] = ()
    warnings: tuple[CartWarning, ...] = ()  # about what the operation did, e.g. a quantity it capped


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """What the first use of an idempotency key asked for, and its outcome once there is one."""

    fingerprint: str
    outcome: CartOutcome | ListOutcome | None  # None while the first request is still running


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    """This request runs the operation of its idempotency key. `target` is the cart id chosen at the
    first claim (the cart a cartCreate makes); `resumed` when the claim was taken over from a
    request whose process died, so the operation may have been applied already."""

    target: str
    token: str  # this claim's own: only its holder gives it up
    resumed: bool = False
