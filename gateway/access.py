"""Who is calling: the API key of every request, its budgets, and what it may see.

Keys are read through a short in-process cache (`auth.key_cache_seconds`), so a busy key costs
no database read per request; a revocation or rotation therefore takes effect within that many
seconds in every gateway process. `last_used_at` is written at most once a minute per key and
process, in the background.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.api_keys import ApiKey, KeyEvent, KeyKind
from domain.channels import Channel
from domain.errors import RateLimited, TooCostly
from domain.ports import ApiKeyStore
from gateway.auth_failures import FailedAuthentications
from gateway.budgets import Decision, SharedBudgets
from resolvers import api_keys

log = logging.getLogger(__name__)
API_KEY_HEADER = "x-api-key"
TOUCH_EVERY_SECONDS = 60.0
MAX_CACHED_KEYS = 10_000
MAX_CACHED_UNKNOWN = 100_000  # a 12-character id and a time each: a few MB at most
WHY = {
    "missing": "No API key: send one in the X-API-Key header.",
    "malformed": "The API key is malformed: keys look like cgw_<id>_<secret>.",
    "unknown": "The API key is not valid.",
    "revoked": "The API key has been revoked.",
    "expired": "The API key has expired.",
}
TOO_MANY_FAILURES = ("Too many requests with unknown API keys from this address; retry in {retry} s with a "
                     "valid key.")


class CachedKeyStore:
    """The key store's `get`, remembered for `ttl` seconds; the rest passes on.

    Known keys and unknown ids are kept apart, each bounded and least recently used first out:
    ids are client-chosen, so a flood of random ones fills only the unknown side (each costs one
    read, then none for `ttl`) and never pushes the keys in use out of the cache."""

    def __init__(self, store: ApiKeyStore, ttl: float, clock=time.monotonic, max_keys: int = MAX_CACHED_KEYS,
                 max_unknown: int = MAX_CACHED_UNKNOWN) -> None:
        self.store = store
        self.ttl = ttl
        self.clock = clock
        self.max_keys, self.max_unknown = max_keys, max_unknown
        self.found: OrderedDict[str, tuple[float, ApiKey]] = OrderedDict()
        self.unknown: OrderedDict[str, float] = OrderedDict()

    def known(self, key_id: str) -> bool:
        """Whether `key_id` was found in the store (however long ago, while it stays in the cache), or
        `get` would answer that it is unknown without a read."""
        if key_id in self.found:
            return True
        at = self.unknown.get(key_id)
        return at is not None and self.clock() - at < self.ttl

    async def get(self, key_id: str) -> ApiKey | None:
        now = self.clock()
        hit = self.found.get(key_id)
        if hit is not None and now - hit[0] < self.ttl:
            self.found.move_to_end(key_id)
            return hit[1]
        at = self.unknown.get(key_id)
        if at is not None and now - at < self.ttl:
            return None
        key = await self.store.get(key_id)
        self.found.pop(key_id, None)
        self.unknown.pop(key_id, None)
        if key is None:
            self._keep(self.unknown, key_id, now, self.max_unknown)
        else:
            self._keep(self.found, key_id, (now, key), self.max_keys)
        return key

    @staticmethod
    def _keep(cache: OrderedDict, key_id: str, value: object, size: int) -> None:
        cache[key_id] = value
        while len(cache) > size:
            cache.popitem(last=False)

    async def get_fresh(self, key_id: str) -> ApiKey | None:
        """The stored key, read now (after a write), and cached again."""
        self.forget(key_id)
        return await self.get(key_id)

    def forget(self, key_id: str) -> None:
        self.found.pop(key_id, None)
        self.unknown.pop(key_id, None)

    async def revoke(self, key_id: str, at: datetime, event: KeyEvent) -> bool:
        """A revocation or rotation made through this process takes effect here at once."""
        self.forget(key_id)
        return await self.store.revoke(key_id, at, event)

    async def replace_secret(self, key_id: str, old_sha256: str, new_sha256: str, event: KeyEvent) -> bool:
        self.forget(key_id)
        return await self.store.replace_secret(key_id, old_sha256, new_sha256, event)

    def __getattr__(self, name: str) -> Any:  # insert, all, touch, events: straight to the store
        return getattr(self.store, name)


@dataclass(slots=True)
class Admitted:
    key: ApiKey
    requests: Decision


@dataclass(frozen=True, slots=True)
class Refused:
    """Too many failed authentications from the request's address: answer 429, read nothing."""

    retry_after: int

    def __str__(self) -> str:
        return TOO_MANY_FAILURES.format(retry=self.retry_after)


class Gatekeeper:
    def __init__(self, store: ApiKeyStore, budgets: SharedBudgets, key_cache_seconds: float,
                 failed_auth_per_minute: int = 60) -> None:
        self.keys = CachedKeyStore(store, key_cache_seconds)
        self.budgets = budgets
        self.failures = FailedAuthentications(failed_auth_per_minute)
        self.touched: dict[str, float] = {}
        self.background: set[asyncio.Task] = set()

    async def admit(self, raw: str | None, address: str = "") -> Admitted | Refused | str:
        """The key and its request budget after this request, or why the key is not accepted (a
        `Refused` when its address failed too often and the key id is not one this process found)."""
        parts = api_keys.split_key(raw.strip()) if raw else None
        taken = parts is not None and not self.keys.known(parts[0])
        if taken and (wait := self.failures.take(address)):
            return Refused(wait)
        checked = await api_keys.check(self.keys, raw)
        if taken and checked != "unknown":
            self.failures.give_back(address)
        if isinstance(checked, str):
            return WHY[checked]
        self._touch(checked.key_id)
        decision = await self.budgets.take(f"{checked.key_id}:requests", checked.requests_per_minute, 1)
        return Admitted(checked, decision)

    def meter(self, key: ApiKey) -> KeyMeter:
        return KeyMeter(self.budgets, key)

    def _touch(self, key_id: str) -> None:
        now = time.monotonic()
        if now - self.touched.get(key_id, -TOUCH_EVERY_SECONDS) < TOUCH_EVERY_SECONDS:
            return
        self.touched[key_id] = now
        task = asyncio.create_task(self._record_use(key_id))
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _record_use(self, key_id: str) -> None:
        try:
            await self.keys.touch(key_id, datetime.now(UTC))
        except Exception:  # noqa: BLE001 - bookkeeping must never fail a request
            log.warning("could not record the use of key %s", key_id, exc_info=True)

    async def close(self) -> None:
        if self.background:
            await asyncio.gather(*self.background, return_exceptions=True)


class KeyMeter:
    """One request's cost budget (a CostMeter): the charge is taken before execution and settled
    to the actual cost after it."""

    def __init__(self, budgets: SharedBudgets, key: ApiKey) -> None:
        self.budgets = budgets
        self.bucket = f"{key.key_id}:cost"
        self.per_minute = key.cost_per_minute
        self.charged = 0
        self.decision: Decision | None = None

    async def charge(self, requested: int) -> None:
        if requested > self.per_minute:
            raise TooCostly(f"The operation's cost ({requested} points) is above this key's whole budget of "
                            f"{self.per_minute} points per minute; it can never run with this key.")
        self.decision = await self.budgets.take(self.bucket, self.per_minute, requested)
        if not self.decision.allowed:
            raise RateLimited(f"The key's cost budget is spent for now: {self.decision.remaining} of "
                              f"{self.per_minute} points per minute left, this operation needs {requested}. "
                              f"Retry in {self.decision.retry_after} s.", retry_after=self.decision.retry_after)
        self.charged = requested

    async def settle(self, actual: int) -> None:
        """Gives back what the charge took beyond `actual` (never filling the bucket past its size),
        or takes what `actual` ran past it (a list longer than estimated), down to an empty bucket."""
        if actual < self.charged:
            after = self.budgets.give_back(self.bucket, self.per_minute, self.charged - actual)
            if after is not None:
                self.decision = after
        elif actual > self.charged:
            self.decision = await self.budgets.take_spent(self.bucket, self.per_minute, actual - self.charged)
        self.charged = actual


def bound_channel(key: ApiKey) -> Channel | None:
    return Channel.parse(key.channel) if key.channel else None


def may_introspect(key: ApiKey, production: bool) -> bool:
    return not production and key.kind is not KeyKind.MARKETPLACE

