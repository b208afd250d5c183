"""The one way a cart is written: read, decide, write over the version read, retry when another
writer won (unless the caller named the version it expects).

Under an idempotency key, the change that ends the operation carries the key's record inside the
cart document, so change and record are one atomic write: a request whose process dies (or whose
idempotency store fails) after the write is answered, when retried, from the record in the cart
instead of applying the change a second time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import inspect
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from domain.carts import (
    AppliedChange,
    Cart,
    CartOutcome,
    CartWarning,
    IdempotencyClaim,
    UserError,
)
from domain.errors import CartConflict
from resolvers.carts.ids import cart_ref, visible_to
from resolvers.context import RequestContext

MAX_ATTEMPTS = 100  # concurrent writers to one cart each retry until their change lands
NOT_FOUND = UserError("CART_NOT_FOUND", "no cart with this id", ("cartId",))
KEY_REUSED = UserError("IDEMPOTENCY_KEY_REUSED", "this idempotency key was used for another operation or input",
                       ("idempotencyKey",))


@dataclass(frozen=True, slots=True)
class Changed:
    """A change's result when it has something to say about what it did."""

    cart: Cart
    warnings: tuple[CartWarning, ...] = ()


ChangeResult = Cart | Changed | list[UserError]
Change = Callable[[Cart], ChangeResult | Awaitable[ChangeResult]]


@dataclass(frozen=True, slots=True)
class IdempotentCall:
    key: str  # scoped to the caller
    fingerprint: str
    claim: IdempotencyClaim

    @property
    def record_key(self) -> str:
        """The key as the cart keeps it: 128 bits of its hash, as short as a record can be."""
        return hashlib.sha256(self.key.encode()).hexdigest()[:32]

    @property
    def record_fingerprint(self) -> str:
        return self.fingerprint[:32]


class CartUnitOfWork:
    """The cart writes of one operation, as the operation's caller (customer or guest) may make them."""

    def __init__(self, ctx: RequestContext, call: IdempotentCall | None = None) -> None:
        self.ctx = ctx
        self.call = call
        self.store = ctx.cart_store
        self.rules = ctx.services.cart_rules

    def now(self) -> datetime:
        return self.ctx.services.clock()

    async def read(self, cart_id: str) -> Cart | None:
        """The cart, when the caller may see it."""
        cart = await self.store.get(cart_id)
        return cart if cart is not None and visible_to(cart, self.ctx.customer_id) else None

    def refusal(self, cart: Cart, expected_version: int | None, checking_out: bool = False) -> UserError | None:
        return cart.refusal(expected_version, self.now(), self.rules, checking_out=checking_out,
                            survivor=cart_ref(cart.merged_into) if cart.merged_into else None)

    async def change(self, cart_id: str, expected_version: int | None, change: Change, *,
                     ends_operation: bool = True, checking_out: bool = False) -> CartOutcome:
        """Applies `change` to the current cart and writes it over the version it read.

        With `expected_version`, a cart that has moved on is answered with VERSION_CONFLICT and the
        current cart (an offline client rebases on it); without, the change is recomputed on the new
        version until it lands, so concurrent changes are all kept. The write that `ends_operation`
        carries the idempotency record, and is not made again when the cart already has it. A cart
        a checkout holds takes only that checkout's own changes (`checking_out`).
        """
        for attempt in range(MAX_ATTEMPTS):
            cart = await self.read(cart_id)
            if cart is None:
                return CartOutcome(None, (NOT_FOUND,))
            if ends_operation and (replayed := self.replayed(cart)) is not None:
                return replayed
            if refused := self.refusal(cart, expected_version, checking_out):
                return CartOutcome(cart, (refused,))
            result = change(cart)
            if inspect.isawaitable(result):
                result = await result
            if isinstance(result, list):
                return CartOutcome(cart, tuple(result))
            changed = result if isinstance(result, Changed) else Changed(result)
            written = self._stamped(changed, ends_operation)
            if await self.store.replace(written):
                return CartOutcome(written, warnings=changed.warnings)
            await backoff(attempt)
        return CartOutcome(await self.read(cart_id), (UserError(
            "VERSION_CONFLICT", "the cart is being changed too often to apply this change; read it and try again",
            retryable=True),))

    async def create(self, cart: Cart, warnings: tuple[CartWarning, ...] = ()) -> CartOutcome | None:
        """Inserts a new cart (under an idempotency key, with the id its first claim chose); None when
        the customer has an active cart already (made meanwhile, in another tab)."""
        if self.call is not None and self.call.claim.resumed:
            made = await self.read(self.call.claim.target)
            if made is not None and (replayed := self.replayed(made)) is not None:
                return replayed
        if self.call is not None:
            cart = dataclasses.replace(cart, cart_id=self.call.claim.target)
        stamped = self._stamped(Changed(cart, warnings), True, bump=False)
        try:
            await self.store.insert(stamped)
        except CartConflict:
            # the first attempt under this key, still running, may have made it; else the customer's cart exists
            made = await self.read(stamped.cart_id) if self.call is not None else None
            return self.replayed(made) if made is not None else None
        return CartOutcome(stamped, warnings=warnings)

    async def write(self, cart: Cart) -> Cart | None:
        """Writes `cart`, computed from the version it carries, as its next version; None when
        another writer changed it first, or when it would be the customer's second active cart
        (the caller decides again)."""
        written = cart.next_version(self.now(), self.rules)
        try:
            return written if await self.store.replace(written) else None
        except CartConflict:  # it would be the customer's second active cart
            return None

    def _stamped(self, changed: Changed, ends_operation: bool, bump: bool = True) -> Cart:
        cart = changed.cart.next_version(self.now(), self.rules) if bump else changed.cart
        if ends_operation and self.call is not None:
            cart = cart.recording(AppliedChange(self.call.record_key, self.call.record_fingerprint, self.now(),
                                                changed.warnings))
        return cart

    def replayed(self, cart: Cart) -> CartOutcome | None:
        """The answer to a request this cart already took in, under the same idempotency key."""
        if self.call is None or (applied := cart.applied_change(self.call.record_key)) is None:
            return None
        if applied.fingerprint != self.call.record_fingerprint:
            return CartOutcome(None, (KEY_REUSED,))
        return CartOutcome(cart, warnings=applied.warnings)


async def backoff(attempt: int) -> None:
    """A short random pause before retrying a write another writer beat."""
    await asyncio.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))
