"""Idempotent mutations: the first request with a key runs; repeats with the same input get its
outcome again without applying anything; the same key with another input is refused.

Keys are scoped to the caller: the API key the request came with and the signed-in customer
(guests of one API key together), so a key reused through another API key, or by a customer on
a guest's key, never replays another caller's result. Within one API key, guests are told apart
only by their keys: clients make them unguessable (a random UUID per intended change). A repeat
that arrives while the first is still running waits for it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from domain.carts import CartOutcome, UserError
from resolvers.context import RequestContext

MAX_KEY_LENGTH = 255
WAIT_FOR_FIRST_SECONDS = 10.0


def fingerprint(operation: str, arguments: Any) -> str:
    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.asdict(value)
        return str(value)

    canonical = json.dumps([operation, arguments], sort_keys=True, default=plain)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def once(ctx: RequestContext, operation: str, key: str | None, arguments: Any,
               run: Callable[[], Awaitable[CartOutcome]]) -> CartOutcome:
    if key is None:
        return await run()
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        return CartOutcome(None, (UserError("IDEMPOTENCY_KEY_INVALID",
                                            f"an idempotency key has 1 to {MAX_KEY_LENGTH} characters",
                                            ("idempotencyKey",)),))
    store = ctx.idempotency_store
    caller = ctx.api_key.key_id if ctx.api_key is not None else ""
    scoped = f"{caller}\x1f{ctx.customer_id or ''}\x1f{key}"
    wanted = fingerprint(operation, arguments)
    deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
    while (first := await store.claim(scoped, wanted)) is not None:
        if first.fingerprint != wanted:
            return CartOutcome(None, (UserError("IDEMPOTENCY_KEY_REUSED", "this idempotency key was used for "
                                                "another operation or input", ("idempotencyKey",)),))
        if first.outcome is not None:
            return first.outcome
        if time.monotonic() > deadline:
            return CartOutcome(None, (UserError("IDEMPOTENCY_KEY_IN_USE", "a request with this idempotency key "
                                                "is still running; retry later", ("idempotencyKey",)),))
        await asyncio.sleep(0.05)
    try:
        outcome = await run()
    except BaseException:
        await store.release(scoped)
        raise
    await store.complete(scoped, outcome)
    return outcome
