"""Failed authentications per client address: a client that keeps sending unknown keys (random key
ids, guessed secrets) is refused for a while before its keys cost a database read.

Each address has a token bucket of `per_minute` failures, refilled continuously at `per_minute / 60`
a second. Every read of a key id the process has not found before takes one (before the read, so
concurrent requests cannot all pass while their reads run), given back when the key was valid: only
failed authentications spend the bucket. An address whose bucket is empty is refused (HTTP 429 with
Retry-After) for any key id the process has not found before, without a read. Key ids it found
(those in its key cache, however old the entry) still pass, so a client behind the same address with
a key in use is not locked out by an attacker. The buckets are per process and bounded: at most
`max_addresses` are kept, the least recently failing are dropped first.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

MAX_ADDRESSES = 10_000


class FailedAuthentications:
    def __init__(self, per_minute: int, max_addresses: int = MAX_ADDRESSES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.max_addresses = max_addresses
        self.clock = clock
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # address: (tokens, at)

    def take(self, address: str) -> int:
        """Takes one failure from `address`'s bucket before its key is read (so that concurrent
        requests cannot all pass while their reads run): 0 when taken, else the seconds until one
        may be (at least 1). `give_back` when the key turned out valid."""
        now = self.clock()
        tokens = self._tokens(address, now)
        if tokens < 1:
            return max(1, math.ceil((1 - tokens) * 60 / self.per_minute))
        self.buckets[address] = (tokens - 1, now)
        self.buckets.move_to_end(address)
        while len(self.buckets) > self.max_addresses:
            self.buckets.popitem(last=False)
        return 0

    def give_back(self, address: str) -> None:
        if (seen := self.buckets.get(address)) is not None:
            self.buckets[address] = (min(float(self.per_minute), seen[0] + 1), seen[1])

    def _tokens(self, address: str, now: float) -> float:
        seen = self.buckets.get(address)
        if seen is None:
            return float(self.per_minute)
        return min(float(self.per_minute), seen[0] + (now - seen[1]) * self.per_minute / 60.0)
