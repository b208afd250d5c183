"""The shared answer cache as a store: lifetimes and stale times on an injected clock, bounds in
bytes (the whole and each key's share), and what a change seen in a feed ends."""

from __future__ import annotations

import json

from domain.records import CatalogInvalidation, ChangeAspect
from gateway.answer_cache import ENTRY_OVERHEAD, Answer, AnswerCache, RawJSON, encode_spliced
from resolvers.loaders import ASSORTMENT

CONTENT, PRICES, STOCK = frozenset({"content"}), frozenset({"content", "price"}), frozenset({"content", "price", "stock"})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def answer(touched: frozenset[str] = PRICES, size: int = 100) -> Answer:
    return Answer(RawJSON(b"x" * size), touched, requested=5, actual=3)


def cache(max_bytes: int = 100_000, **kw) -> tuple[AnswerCache, Clock]:
    clock = Clock()
    return AnswerCache(max_bytes, clock=clock, **kw), clock


def test_an_answer_is_fresh_for_its_lifetime_then_stale_then_gone():
    store, clock = cache(stale_seconds=300)
    assert store.store(b"k", answer(), owner="key-1", lifetime=60)
    clock.now += 59.9
    assert store.fresh(b"k").answer.actual == 3 and store.hits == 1
    clock.now += 0.1
    # past its lifetime it is no longer served, but may still stand in when a backend fails
    assert store.fresh(b"k") is None
    assert store.stale(b"k") is not None
    clock.now += 300
    assert store.stale(b"k") is None and store.fresh(b"k") is None
    assert store.evictions == {"ttl": 1} and store.bytes == 0


def test_no_lifetime_no_entry_and_a_zero_size_cache_keeps_nothing():
    store, _ = cache()
    assert not store.store(b"k", answer(), owner="o", lifetime=0)
    off, _ = cache(max_bytes=0)
    assert not off.store(b"k", answer(), owner="o", lifetime=60)
    assert store.entries == {} and off.entries == {}


def test_an_answer_above_a_sixteenth_of_the_cache_is_not_kept():
    store, _ = cache(max_bytes=16_000)
    assert not store.store(b"big", answer(size=1_000 - ENTRY_OVERHEAD + 1), owner="o", lifetime=60)
    assert store.store(b"fits", answer(size=1_000 - ENTRY_OVERHEAD), owner="o", lifetime=60)


def test_the_least_recently_used_go_first_when_the_bytes_run_out():
    entry = 100 + ENTRY_OVERHEAD
    store, _ = cache(max_bytes=entry * 20, owner_share=1.0)
    for n in range(20):
        store.store(b"k%d" % n, answer(), owner="o", lifetime=60)
    store.fresh(b"k0")  # used again: now the most recent
    store.store(b"new", answer(), owner="o", lifetime=60)
    assert b"k0" in store.entries and b"k1" not in store.entries and b"new" in store.entries
    assert store.bytes == entry * 20 and store.evictions == {"size": 1}


def test_a_key_flooding_the_cache_with_variables_only_churns_its_own_share():
    entry = 100 + ENTRY_OVERHEAD
    store, _ = cache(max_bytes=entry * 20, owner_share=0.5)
    for n in range(5):
        store.store(b"theirs%d" % n, answer(), owner="good", lifetime=60)
    # when another key stores far more distinct answers than the cache holds
    for n in range(100):
        store.store(b"mine%d" % n, answer(), owner="flood", lifetime=60)
    # then it holds no more than its share, and everyone else's answers are still there
    assert store.owned_bytes["flood"] <= entry * 10
    assert all(b"theirs%d" % n in store.entries for n in range(5))


def test_a_change_ends_the_entries_that_show_what_changed_of_a_product_they_hold():
    store, _ = cache(stale_seconds=300)
    store.store(b"titles", answer(CONTENT), owner="o", lifetime=300, product_ids={1, 2})
    store.store(b"prices", answer(PRICES), owner="o", lifetime=60, product_ids={1})
    store.store(b"stock", answer(STOCK), owner="o", lifetime=10, product_ids={1})
    store.store(b"other", answer(STOCK), owner="o", lifetime=10, product_ids={3})
    # a stock change of product 1 ends only what shows its stock
    assert store.invalidate(CatalogInvalidation(products=((1, frozenset({ChangeAspect.STOCK})),))) == 1
    assert [k for k in (b"titles", b"prices", b"stock", b"other") if store.fresh(k)] == [b"titles", b"prices",
                                                                                         b"other"]
    # a price change ends what shows its prices; a content change ends everything holding it
    store.invalidate(CatalogInvalidation(products=((1, frozenset({ChangeAspect.PRICE})),)))
    assert store.fresh(b"prices") is None and store.fresh(b"titles") is not None
    store.invalidate(CatalogInvalidation(products=((2, frozenset({ChangeAspect.CONTENT})),)))
    assert store.fresh(b"titles") is None and store.fresh(b"other") is not None
    assert store.evictions == {"invalidated": 3}


def test_a_price_change_of_every_product_ends_whatever_shows_a_price():
    store, _ = cache(stale_seconds=300)
    store.store(b"titles", answer(CONTENT), owner="o", lifetime=300, product_ids={1})
    store.store(b"prices", answer(PRICES), owner="o", lifetime=60, product_ids={1})
    store.store(b"other prices", answer(PRICES), owner="o", lifetime=60, product_ids={2})
    # a pricelist rule for every product (or a category) names no product
    ended = store.invalidate(CatalogInvalidation(every_product=frozenset({ChangeAspect.PRICE})))
    assert ended == 2 and store.fresh(b"titles") is not None
    assert store.fresh(b"prices") is None and store.fresh(b"other prices") is None


def test_pages_end_on_any_assortment_change_and_filtered_pages_on_any_change_they_filter_by():
    store, _ = cache(stale_seconds=300)
    store.store(b"page", answer(), owner="o", lifetime=60, product_ids={1, 2}, depends_on={ASSORTMENT})
    store.store(b"in-stock page", answer(), owner="o", lifetime=60, product_ids={1},
                depends_on={ASSORTMENT, ChangeAspect.STOCK})
    store.store(b"lookup", answer(), owner="o", lifetime=60, product_ids={1})
    # a stock change of a product on neither page can still bring it onto the filtered one
    store.invalidate(CatalogInvalidation(products=((9, frozenset({ChangeAspect.STOCK})),)))
    assert store.fresh(b"in-stock page") is None and store.fresh(b"page") is not None
    # a new product can land on any page, never in a lookup of another one
    store.invalidate(CatalogInvalidation(products=((10, frozenset({ChangeAspect.CONTENT, ChangeAspect.PRICE})),),
                                         assortment=True))
    assert store.fresh(b"page") is None and store.fresh(b"lookup") is not None


def test_an_invalidated_answer_stands_in_only_as_a_stale_one():
    store, _ = cache(stale_seconds=300)
    store.store(b"k", answer(), owner="o", lifetime=60, product_ids={1})
    store.invalidate(CatalogInvalidation(products=((1, frozenset({ChangeAspect.CONTENT})),)))
    assert store.fresh(b"k") is None and store.stale(b"k") is not None
    # without stale-if-error it is dropped at once
    without, _ = cache(stale_seconds=0)
    without.store(b"k", answer(), owner="o", lifetime=60, product_ids={1})
    without.invalidate(CatalogInvalidation(products=((1, frozenset({ChangeAspect.CONTENT})),)))
    assert without.entries == {} and without.by_product == {} and without.evictions == {"invalidated": 1}


def test_storing_again_replaces_and_the_indexes_follow():
    store, _ = cache()
    store.store(b"k", answer(), owner="o", lifetime=60, product_ids={1}, depends_on={ASSORTMENT})
    store.store(b"k", answer(size=50), owner="o", lifetime=60, product_ids={2})
    assert store.by_product == {2: {b"k"}} and store.dependents == {}
    assert store.bytes == store.owned_bytes["o"] == 50 + ENTRY_OVERHEAD


def test_entries_past_their_stale_time_are_purged_even_when_never_asked_again():
    store, clock = cache(stale_seconds=0)
    store.store(b"old", answer(), owner="o", lifetime=10)
    clock.now += 11
    store.store(b"new", answer(), owner="o", lifetime=10)
    assert list(store.entries) == [b"new"] and store.evictions == {"ttl": 1}


def test_data_already_encoded_is_spliced_into_the_body():
    data = {"products": [{"sku": "P-1", "title": "Ä"}]}
    body = {"data": RawJSON(json.dumps(data).encode()), "extensions": {"cost": {"requested": 5}}}
    encoded = encode_spliced(body, lambda b: json.dumps(b, separators=(",", ":")))
    assert json.loads(encoded) == {"data": data, "extensions": {"cost": {"requested": 5}}}
    assert json.loads(encode_spliced({"data": RawJSON(b"null")}, json.dumps)) == {"data": None}
    assert encode_spliced({"data": None}, json.dumps) == '{"data": null}'


class Events:
    def __init__(self) -> None:
        self.seen: list[tuple[str, ...]] = []

    def answer_cache_hit(self) -> None:
        self.seen.append(("hit",))

    def answer_cache_miss(self) -> None:
        self.seen.append(("miss",))

    def answer_cache_eviction(self, reason: str, count: int = 1) -> None:
        self.seen.append(("eviction", reason))

    def coalesced_request(self) -> None:
        self.seen.append(("coalesced",))


def test_what_the_counters_count_goes_to_the_metrics_too():
    events = Events()
    entry = 100 + ENTRY_OVERHEAD
    store, clock = cache(max_bytes=entry * 16, owner_share=1.0, events=events)
    store.missed()
    store.store(b"a", answer(), owner="o", lifetime=10, product_ids={1})
    store.fresh(b"a")
    store.joined()
    store.invalidate(CatalogInvalidation(products=((1, frozenset({ChangeAspect.CONTENT})),)))
    for n in range(17):
        store.store(b"k%d" % n, answer(), owner="o", lifetime=10)
    # (the invalidated answer is dropped at once without stale-if-error: 17 answers for 16 places)
    assert events.seen == [("miss",), ("hit",), ("coalesced",), ("eviction", "invalidated"), ("eviction", "size")]
    assert (store.hits, store.misses, store.coalesced, store.evictions) == (1, 1, 1, {"invalidated": 1, "size": 1})
