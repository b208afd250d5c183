"""Per-key budgets (requests and cost points per minute) that hold across gateway processes.

Each budget is a token bucket in the shared store, refilled continuously at `per_minute / 60`
tokens a second up to `per_minute`. A process does not ask the store on every request: it leases
a slice of the bucket (a tenth by default, more if one operation needs more) and spends it
locally; only when the slice is gone does it lease again, with a compare-and-swap on the bucket.
Whatever every process admits together is therefore bounded by the shared bucket, and the store
sees about one round trip per slice. The bucket as last seen, refilled since, bounds what it can
hold now (other processes only take from it), so a client hammering a spent key is refused
without round trips until the bucket may hold enough again.

The price of leasing: a slice leased by one process and not yet spent is unavailable to the
others (it stays with its process until spent), and a key may burst past its budget by what its
processes hold: at most one slice each. Remaining-budget figures are the shared bucket as last
seen, refilled since, plus the local slice: an estimate.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from domain.api_keys import BucketState
from domain.ports import BudgetStore

LEASE_FRACTION = 0.1
MAX_SWAPS = 20


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    remaining: int          # tokens left for this key, estimated (see the module docstring)
    limit: int              # per minute
    reset_seconds: int      # until the bucket would be full again
    retry_after: int = 0    # when refused: seconds until `amount` will be available


@dataclass(slots=True)
class _Local:
    slice: float = 0.0
    shared_tokens: float = 0.0  # the shared bucket after our last lease…
    shared_at: float = 0.0      # …and when
    backoff_until: float = 0.0  # after losing every compare-and-swap
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class SharedBudgets:
    def __init__(self, store: BudgetStore, lease_fraction: float = LEASE_FRACTION,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.lease_fraction = lease_fraction
        self.clock = clock
        self.local: dict[str, _Local] = {}

    async def take(self, bucket_id: str, per_minute: int, amount: float) -> Decision:
        """Spends `amount` tokens of the bucket, or refuses without spending any."""
        local = self.local.setdefault(bucket_id, _Local())
        now = self.clock()
        if local.slice < amount:
            # the bucket as last seen, refilled since, is an upper bound of what it holds now (other
            # processes only take from it): below `amount`, the store would refuse too
            if now < local.backoff_until or local.slice + self._shared(local, per_minute, now) < amount:
                return self._decision(local, per_minute, now, refused=amount)
            async with local.lock:
                if local.slice < amount:
                    await self._lease(bucket_id, local, per_minute, amount - local.slice, now)
            if local.slice < amount:
                return self._decision(local, per_minute, now, refused=amount)
        local.slice -= amount
        return self._decision(local, per_minute, now)

    def give_back(self, bucket_id: str, per_minute: int, amount: float) -> Decision | None:
        """Returns tokens taken for more than was spent (an operation cheaper than estimated), never
        past the bucket's size: the slice and the shared bucket as last seen, refilled since, hold at
        most `per_minute` together. The budget after it."""
        local = self.local.get(bucket_id)
        if local is None:
            return None
        now = self.clock()
        if amount > 0:
            room = max(0.0, per_minute - self._shared(local, per_minute, now))
            local.slice = min(local.slice + amount, max(room, local.slice))
        return self._decision(local, per_minute, now)

    async def take_spent(self, bucket_id: str, per_minute: int, amount: float) -> Decision:
        """Takes `amount` tokens already spent (an operation that cost more than its charge): what
        the slice lacks is leased, and if the bucket holds less, all of it is taken. Never refuses."""
        local = self.local.setdefault(bucket_id, _Local())
        now = self.clock()
        if local.slice < amount and now >= local.backoff_until:
            async with local.lock:
                if local.slice < amount:
                    await self._lease(bucket_id, local, per_minute, amount - local.slice, now, partial=True)
        local.slice = max(0.0, local.slice - amount)
        return self._decision(local, per_minute, now)

    async def _lease(self, bucket_id: str, local: _Local, per_minute: int, needed: float, now: float,
                     partial: bool = False) -> None:
        """Moves at least `needed` tokens (a slice's worth if more) from the shared bucket to the local
        slice; none if the bucket holds fewer, unless `partial`: then whatever it holds."""
        rate = per_minute / 60.0
        wanted = max(needed, per_minute * self.lease_fraction)
        for _ in range(MAX_SWAPS):
            state = await self.store.read(bucket_id)
            tokens = per_minute if state is None else min(per_minute, state.tokens + (now - state.at) * rate)
            if tokens <= 0 or (tokens < needed and not partial):  # nothing to move: no write
                local.shared_tokens, local.shared_at = tokens, now
                return
            granted = min(wanted, tokens)
            new = BucketState(tokens=tokens - granted, at=now, version=(state.version + 1) if state else 1)
            if await self.store.swap(bucket_id, new, state.version if state else None):
                local.slice += granted
                local.shared_tokens, local.shared_at = new.tokens, now
                return
            now = self.clock()
        # every swap lost to other processes: treat as spent for now, briefly
        local.backoff_until = now + 1.0

    @staticmethod
    def _shared(local: _Local, per_minute: int, now: float) -> float:
        return min(per_minute, local.shared_tokens + (now - local.shared_at) * per_minute / 60.0)

    def _decision(self, local: _Local, per_minute: int, now: float, refused: float = 0.0) -> Decision:
        rate = per_minute / 60.0
        remaining = max(0.0, min(per_minute, self._shared(local, per_minute, now) + local.slice))
        reset = (per_minute - remaining) / rate
        if refused:
            retry = max(local.backoff_until - now, (refused - remaining) / rate, 0.0)
            return Decision(False, math.floor(remaining), per_minute, math.ceil(reset), max(1, math.ceil(retry)))
        return Decision(True, math.floor(remaining), per_minute, math.ceil(reset))
