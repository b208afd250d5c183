"""The stock cache: figures by age, and bounded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from resolvers.stock_cache import StockCache

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Figure:
    quantity: int
    as_of: datetime


def test_figures_are_found_by_age():
    now = [T0]
    cache = StockCache(10, clock=lambda: now[0])
    cache.keep({"a": Figure(1, T0), "b": Figure(2, T0 - timedelta(seconds=8))})
    assert set(cache.fresh(["a", "b", "c"], 10)) == {"a", "b"}
    assert set(cache.fresh(["a", "b"], 5)) == {"a"}
    now[0] = T0 + timedelta(seconds=11)
    assert cache.fresh(["a", "b"], 10) == {}


def test_the_oldest_entries_go_first_when_full():
    cache = StockCache(10, max_entries=2, clock=lambda: T0)
    cache.keep({"a": Figure(1, T0), "b": Figure(2, T0)})
    cache.keep({"a": Figure(3, T0)})  # refreshed: now the newest
    cache.keep({"c": Figure(4, T0)})
    assert set(cache.fresh(["a", "b", "c"], 10)) == {"a", "c"}


def test_figures_past_their_time_to_live_are_let_go():
    # given figures read over a while, as a crawl through a large catalog reads them
    now = [T0]
    cache = StockCache(10, clock=lambda: now[0])
    for second in range(30):
        now[0] = T0 + timedelta(seconds=second)
        cache.keep({f"v{second}": Figure(1, now[0])})
    # then the cache holds only the figures of the last ten seconds, not every one it ever read
    assert sorted(cache.entries) == sorted(f"v{s}" for s in range(19, 30))
