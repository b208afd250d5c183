"""Stock figures kept in the process for a few seconds (`catalog.stock_cache_seconds`).

Every figure keeps the time it was read (`asOf`), so an answer says how old it is. A query
that needs fresher figures asks with `@inContext(maxStockAge: seconds)` and gets a live read
of whatever is older; mutations (cart changes, checkout) always read live.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime
from typing import Protocol

MAX_ENTRIES = 200_000


class Dated(Protocol):
    @property
    def as_of(self) -> datetime: ...  # read-only: the figures kept are frozen dataclasses


class StockCache:
    def __init__(self, ttl_seconds: float, max_entries: int = MAX_ENTRIES,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.clock = clock
        self.entries: OrderedDict[Hashable, Dated] = OrderedDict()

    def fresh[K: Hashable, V: Dated](self, keys: Iterable[K], max_age: float) -> dict[K, V]:
        """The figures of `keys` read at most `max_age` seconds ago."""
        now = self.clock()
        found = {}
        for key in keys:
            figure = self.entries.get(key)
            if figure is not None and (now - figure.as_of).total_seconds() <= max_age:
                found[key] = figure
        return found  # type: ignore[return-value]

    def forget(self, keys: Iterable[Hashable]) -> None:
        """Drops figures known to have changed: the next read of them is live."""
        for key in keys:
            self.entries.pop(key, None)

    def keep(self, figures: dict[Hashable, Dated]) -> None:
        for key, figure in figures.items():
            self.entries[key] = figure
            self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)
        # figures are kept in the order they were read: those past the time to live, at the front,
        # can serve no one and go (a crawl through a large catalog kept 200,000 of them, ~120 MB)
        now = self.clock()
        while self.entries:
            oldest = next(iter(self.entries.values()))
            if (now - oldest.as_of).total_seconds() <= self.ttl_seconds:
                break
            self.entries.popitem(last=False)
