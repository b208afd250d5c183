"""The shared answer cache: answers that hold nothing private, kept in the process by a key of
everything that decides them (gateway/shared_answers.py makes the key and decides what is shared).

- An entry is fresh for the lifetime its caching policy gives it (the HTTP max-age, bounded by
  `maxStockAge`), then kept `stale_seconds` more, only to stand in for an answer a backend failed
  (stale-if-error), then dropped.
- The cache is bounded by the bytes of the answers it holds (their JSON); the least recently used
  go first. The answers one API key first asked for hold at most `owner_share` of it, so a client
  that varies its variables can only churn its own share. An answer above a sixteenth of the whole
  is not kept.
- Invalidation: a change seen in the backends' feeds ends the freshness of every entry that holds
  a changed product and shows what changed of it (content changes end every entry holding the
  product), and of every entry whose composition depends on what changed (a page of the assortment
  on any assortment change, a page filtered by availability on any stock change), and of every entry
  showing what changed of every product (prices, on a pricelist rule for a category or for all
  products: every channel's, whichever pricelist the rule is in). Such entries stay
  as stale answers: a known-old answer still beats none when a backend is down.
- Counters (`hits`, `misses`, `coalesced`, `evictions` by reason `ttl`, `size`, `invalidated`) are
  plain integers, and go to `events` too when it is given (gateway/metrics.py's series).
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from domain.records import CatalogInvalidation
from resolvers.loaders import ASSORTMENT

ENTRY_SHARE = 16  # an answer above 1/ENTRY_SHARE of the cache is not kept
ENTRY_OVERHEAD = 400  # bytes an entry costs beside its answer: key, record, indexes
PURGE_EVERY_SECONDS = 10.0  # expired entries are swept out this often (an O(n) pass)


class RawJSON:
    """An answer's `data`, already encoded: spliced into the response body as it is."""

    __slots__ = ("text",)

    def __init__(self, text: bytes) -> None:
        self.text = text


def encode_spliced(body: object, encode: Callable[[object], str | bytes]) -> str | bytes:
    """A response body with `encode`, except for data already encoded, which is spliced in."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not isinstance(data, RawJSON):
        return encode(body)
    rest = encode({k: v for k, v in body.items() if k != "data"})
    rest = rest.encode() if isinstance(rest, str) else rest
    return b'{"data":' + data.text + (b"}" if rest == b"{}" else b"," + rest[1:])


class CacheEvents(Protocol):
    """Where the cache's counts also go: gateway.metrics.Metrics."""

    def answer_cache_hit(self) -> None: ...

    def answer_cache_miss(self) -> None: ...

    def answer_cache_eviction(self, reason: str, count: int = 1) -> None: ...

    def coalesced_request(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Answer:
    """What a shared answer is, whoever asked: its data, what it touched and what it cost, and the
    name its operation has in the document (for the request metrics)."""

    data: RawJSON
    touched: frozenset[str]
    requested: int
    actual: int
    operation_name: str | None = None


@dataclass(slots=True)
class Entry:
    answer: Answer
    owner: str
    size: int
    stored_at: float
    fresh_until: float
    product_ids: frozenset[int]
    depends_on: frozenset[str]
    invalidated: bool = False

    def age(self, now: float) -> float:
        return now - self.stored_at


class AnswerCache:
    def __init__(self, max_bytes: int, owner_share: float = 0.5, stale_seconds: float = 0.0,
                 clock: Callable[[], float] = time.monotonic, events: CacheEvents | None = None) -> None:
        self.max_bytes = max_bytes
        self.events = events
        self.owner_bytes = int(max_bytes * owner_share)
        self.stale_seconds = stale_seconds
        self.clock = clock
        self.entries: OrderedDict[bytes, Entry] = OrderedDict()  # least recently used first
        self.owned: dict[str, OrderedDict[bytes, None]] = {}
        self.owned_bytes: Counter[str] = Counter()
        self.by_product: dict[int, set[bytes]] = {}
        self.dependents: dict[str, set[bytes]] = {}  # entries whose composition a change anywhere alters, by kind
        self.bytes = 0
        self.generation = 0  # goes up with every invalidation: an answer computed across one is not kept
        self.purged_at = clock()
        self.hits = self.misses = self.coalesced = 0
        self.evictions: Counter[str] = Counter()  # ttl, size, invalidated

    def fresh(self, key: bytes) -> Entry | None:
        """The entry for `key` while it is fresh (counted as a hit), else None."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        now = self.clock()
        if now >= entry.fresh_until:
            if now >= entry.fresh_until + self.stale_seconds:
                self._remove(key, None if entry.invalidated else "ttl")
            return None
        self.entries.move_to_end(key)
        self.owned[entry.owner].move_to_end(key)
        self.hits += 1
        if self.events is not None:
            self.events.answer_cache_hit()
        return entry

    def missed(self) -> None:
        """A shared request that ran: nothing fresh was kept for it, or it asked for a fresh answer."""
        self.misses += 1
        if self.events is not None:
            self.events.answer_cache_miss()

    def joined(self) -> None:
        """A request that took the answer of the same request already running."""
        self.coalesced += 1
        if self.events is not None:
            self.events.coalesced_request()

    def stale(self, key: bytes) -> Entry | None:
        """The entry for `key` while it may stand in for an answer a backend failed: fresh, or
        expired (or invalidated) less than `stale_seconds` ago."""
        entry = self.entries.get(key)
        if entry is None or self.clock() >= entry.fresh_until + self.stale_seconds:
            return None
        return entry

    def store(self, key: bytes, answer: Answer, *, owner: str, lifetime: float, product_ids: Iterable[int] = (),
              depends_on: Iterable[str] = ()) -> bool:
        """Keeps `answer` fresh for `lifetime` seconds (replacing what `key` held); False when it is
        not kept (no lifetime, or too large)."""
        size = len(answer.data.text) + ENTRY_OVERHEAD
        if lifetime <= 0 or size > min(self.max_bytes // ENTRY_SHARE, self.owner_bytes):
            return False
        now = self.clock()
        if now - self.purged_at >= PURGE_EVERY_SECONDS:
            self._purge(now)
        if key in self.entries:
            self._remove(key, None)
        while self.owned_bytes[owner] + size > self.owner_bytes:
            self._remove(next(iter(self.owned[owner])), "size")  # its own least recently used first
        while self.bytes + size > self.max_bytes:
            self._remove(next(iter(self.entries)), "size")
        entry = Entry(answer, owner, size, now, now + lifetime, frozenset(product_ids), frozenset(depends_on))
        self.entries[key] = entry
        self.owned.setdefault(owner, OrderedDict())[key] = None
        self.owned_bytes[owner] += size
        self.bytes += size
        for product_id in entry.product_ids:
            self.by_product.setdefault(product_id, set()).add(key)
        for kind in entry.depends_on:
            self.dependents.setdefault(kind, set()).add(key)
        return True

    def invalidate(self, change: CatalogInvalidation) -> int:
        """Ends the freshness of the entries `change` may have made wrong; how many."""
        self.generation += 1
        doomed: set[bytes] = set()
        for product_id, aspects in change.products:
            shown = {a.value.lower() for a in aspects}  # ChangeAspect.PRICE -> Touched.PRICE ("price")
            doomed.update(k for k in self.by_product.get(product_id, ()) if self.entries[k].answer.touched & shown)
        if change.every_product:  # a rule for a category or every product: whatever shows that of any product
            shown = {a.value.lower() for a in change.every_product}
            doomed.update(k for k, e in self.entries.items() if e.answer.touched & shown)
        for kind in {a.value for a in change.aspects} | ({ASSORTMENT} if change.assortment else set()):
            doomed.update(self.dependents.get(kind, ()))
        now = self.clock()
        for key in doomed:
            entry = self.entries[key]
            if not entry.invalidated:
                self._evicted("invalidated")
            if self.stale_seconds > 0:
                entry.invalidated, entry.fresh_until = True, min(entry.fresh_until, now)
            else:
                self._remove(key, None)
        return len(doomed)

    def _purge(self, now: float) -> None:
        """Drops every entry past its stale time (the LRU order is by use, not by age)."""
        self.purged_at = now
        for key in [k for k, e in self.entries.items() if now >= e.fresh_until + self.stale_seconds]:
            self._remove(key, None if self.entries[key].invalidated else "ttl")

    def _remove(self, key: bytes, reason: str | None) -> None:
        entry = self.entries.pop(key)
        if reason is not None:
            self._evicted(reason)
        owned = self.owned[entry.owner]
        del owned[key]
        if not owned:
            del self.owned[entry.owner]
        self.owned_bytes[entry.owner] -= entry.size
        if not self.owned_bytes[entry.owner]:
            del self.owned_bytes[entry.owner]
        self.bytes -= entry.size
        _untag(self.by_product, entry.product_ids, key)
        _untag(self.dependents, entry.depends_on, key)

    def _evicted(self, reason: str) -> None:
        self.evictions[reason] += 1
        if self.events is not None:
            self.events.answer_cache_eviction(reason)


def _untag[T](index: dict[T, set[bytes]], tags: Iterable[T], key: bytes) -> None:
    """Takes `key` out of `index` under each of `tags`, and the tags left with no key."""
    for tag in tags:
        keys = index[tag]
        keys.discard(key)
        if not keys:
            del index[tag]
