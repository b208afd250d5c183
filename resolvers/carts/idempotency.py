"""Idempotent mutations: the first request with a key runs; repeats with the same input get its
outcome again without applying anything; the same key with another input is refused.

Keys are scoped to the caller: the API key the request came with and the signed-in customer
(guests of one API key together), so a key reused through another API key, or by a customer on
a guest's key, never replays another caller's result. Within one API key, guests are told apart
only by their keys: clients make them unguessable (a random UUID per intended change). A repeat
that arrives while the first is still running waits for it.

The record here is claimed before the operation runs and completed after; the cart write that
ends the operation carries the record too (see `unit_of_work`), so a claim whose process died
after that write is answered from the cart when it is taken over. A claim whose operation
failed, or answered an error that may go away (CHECKOUT_IN_PROGRESS, a cart changed too often),
is given up rather than completed: the next request with the key runs it again, on the same
target cart.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast

from domain.carts import CartOutcome, IdempotencyClaim, UserError
from resolvers.carts.ids import new_cart_id
from resolvers.carts.unit_of_work import KEY_REUSED, CartUnitOfWork, IdempotentCall
from resolvers.context import RequestContext

MAX_KEY_LENGTH = 255
WAIT_FOR_FIRST_SECONDS = 10.0

Operation = Callable[[CartUnitOfWork], Awaitable[CartOutcome]]


def fingerprint(operation: str, arguments: Any) -> str:
    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.asdict(value)
        return str(value)

    canonical = json.dumps([operation, arguments], sort_keys=True, default=plain)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Outcome(Protocol):
    @property
    def user_errors(self) -> tuple[UserError, ...]: ...


async def once(ctx: RequestContext, operation: str, key: str | None, arguments: Any, run: Operation) -> CartOutcome:
    """Runs `run` with the unit of work its cart writes go through, at most once per key."""
    return await run_once(ctx, operation, key, arguments, lambda call: run(CartUnitOfWork(ctx, call)),
                          lambda error: CartOutcome(None, (error,)))


async def run_once[O: Outcome](ctx: RequestContext, operation: str, key: str | None, arguments: Any,
                               run: Callable[[IdempotentCall | None], Awaitable[O]],
                               refused: Callable[[UserError], O]) -> O:
    """Runs `run` at most once per key (with the call its last write records, None without a key);
    `refused` makes the outcome of a key refused. The outcome of any operation the idempotency
    store can keep: carts' and saved lists'."""
    if key is None:
        return await run(None)
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        return refused(UserError("IDEMPOTENCY_KEY_INVALID", f"an idempotency key has 1 to {MAX_KEY_LENGTH} "
                                 "characters", ("idempotencyKey",)))
    store = ctx.idempotency_store
    caller = ctx.api_key.key_id if ctx.api_key is not None else ""
    scoped = f"{caller}\x1f{ctx.customer_id or ''}\x1f{key}"
    wanted = fingerprint(operation, arguments)
    deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
    while not isinstance(first := await store.claim(scoped, wanted, new_cart_id()), IdempotencyClaim):
        if first.fingerprint != wanted:
            return refused(KEY_REUSED)
        if first.outcome is not None:
            return cast(O, first.outcome)  # the operation is part of the fingerprint: its own outcome's type
        if time.monotonic() > deadline:
            return refused(UserError("IDEMPOTENCY_KEY_IN_USE", "a request with this idempotency key is still "
                                     "running; retry later", ("idempotencyKey",)))
        await asyncio.sleep(0.05)
    try:
        outcome = await run(IdempotentCall(scoped, wanted, first))
    except BaseException:
        await asyncio.shield(store.release(scoped, first.token))
        raise
    if any(error.retryable for error in outcome.user_errors):
        await store.release(scoped, first.token)  # e.g. a checkout still running: the same request may succeed later
    else:
        await store.complete(scoped, outcome)  # type: ignore[arg-type]  # a CartOutcome or a ListOutcome
    return outcome
