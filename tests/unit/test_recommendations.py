"""Recommendations over fakes: what counts of an order, how scores rank, what a customer's list
leaves out, that only products sold and in stock in the channel are shown, and that the work of a
request stays bounded whatever the history (a product bought with 10,000 others, a customer with
5,000 orders, `first: 10000`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.carts import Cart, CartLine, CartStatus
from domain.channels import Channel
from domain.errors import BackendUnavailable, BadUserInput
from domain.records import ChangeMark, StockQuant
from domain.recommendations import (
    ALL_CHANNELS,
    MAX_BASKET,
    Basket,
    BoughtWith,
    Delta,
    Neighbour,
    OrderEvent,
    RecommendationReason,
)
from resolvers import recommendations
from resolvers.recommendation_feed import FOLD_ORDERS, MAX_PAGES, PAGE, PASS_LEASE_SECONDS, fold_orders
from resolvers.recommendations import MAX_SEEDS, candidates
from tests.unit.fakes import DC, World, product, variant

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


@dataclass
class FakeRecommendations:
    """Counts as the store keeps them, from baskets folded in; records what it was asked."""

    pairs: Counter[tuple[int, int]] = field(default_factory=Counter)
    popular_: Counter[tuple[str, int]] = field(default_factory=Counter)
    orders: Counter[str] = field(default_factory=Counter)
    bought_: dict[str, list[int]] = field(default_factory=dict)
    asked: list[tuple[str, object]] = field(default_factory=list)

    def add(self, *products: int, channel: str = "WEB", customer: str | None = None) -> None:
        delta = Delta.empty()
        delta.add(Basket(frozenset(products), channel, customer), 1)
        self.pairs.update(delta.pairs)
        self.popular_.update(delta.popular)
        self.orders.update(delta.orders)
        if customer:
            mine = self.bought_.setdefault(customer, [])
            mine[:0] = [p for p in products if p not in mine]  # the most recent first

    async def bought_with(self, product_ids: Collection[int], limit: int) -> dict[int, BoughtWith]:
        self.asked.append(("bought_with", (len(product_ids), limit)))
        return {p: BoughtWith(self.popular_[(ALL_CHANNELS, p)], tuple(sorted(
            (Neighbour(b, n) for (a, b), n in self.pairs.items() if a == p),
            key=lambda x: (-x.together, x.product_id))[:limit])) for p in product_ids}

    async def popular(self, channel: str, limit: int) -> tuple[int, list[tuple[int, int]]]:
        self.asked.append(("popular", (channel, limit)))
        found = sorted(((p, n) for (c, p), n in self.popular_.items() if c == channel), key=lambda x: (-x[1], x[0]))
        return self.orders[channel], found[:limit]

    async def bought(self, customer_id: str) -> list[int]:
        self.asked.append(("bought", customer_id))
        return self.bought_.get(customer_id, [])


@dataclass
class FakeSavedLists:
    saved: dict[str, set[str]] = field(default_factory=dict)

    async def skus_saved_by(self, customer_id: str) -> set[str]:
        return set(self.saved.get(customer_id, ()))


@dataclass
class FakeCarts:
    carts: dict[str, Cart] = field(default_factory=dict)

    async def active_for_customer(self, customer_id: str) -> Cart | None:
        return self.carts.get(customer_id)


def shop(count: int, out_of_stock: Collection[int] = (), unsold: Collection[int] = ()) -> World:
    """Products 1..count, each with one variant (`V-<id>`) holding 5 units in the web's warehouse,
    but those `out_of_stock`; those `unsold` are gone from the ERP (archived: no product, no variant)."""
    world = World()
    for n in range(1, count + 1):
        if n in unsold:
            continue
        world.erp.products.append(product(n, f"P-{n}", variant_ids=(n * 10,)))
        world.erp.variants.append(variant(n * 10, f"V-{n}", n))
        if n not in out_of_stock:
            world.erp.quants.append(StockQuant(n * 10, DC.stock_location_id, Decimal(5), Decimal(0)))
    return world


def context(world: World, store: FakeRecommendations, *, saved: FakeSavedLists | None = None,
            carts: FakeCarts | None = None, channel: Channel = Channel.WEB):
    ctx = world.context(channel)
    ctx.services.recommendations = store  # type: ignore[assignment]
    ctx.services.lists = saved  # type: ignore[assignment]
    ctx.services.carts = carts  # type: ignore[assignment]
    return ctx


def ids(found) -> list[int]:
    return [r.product.erp_id for r in found]


# --- what an order counts ---

def test_an_order_counts_once_confirmed_and_its_change_or_cancellation_counts_the_difference():
    confirmed = OrderEvent(1, T0, "sale", "WEB", "c1", frozenset({1, 2}))
    # a quotation adds nothing; a confirmed order adds its pair both ways, its products and the customer's
    assert Basket.of(OrderEvent(1, T0, "draft", "WEB", "c1", frozenset({1, 2}))) == Basket()
    delta = Delta.empty()
    delta.change(Basket(), Basket.of(confirmed))
    assert delta.pairs == {(1, 2): 1, (2, 1): 1}
    assert delta.popular == {("*", 1): 1, ("*", 2): 1, ("WEB", 1): 1, ("WEB", 2): 1}
    assert delta.orders == {"*": 1, "WEB": 1} and delta.bought == {("c1", 1): 1, ("c1", 2): 1}
    # the same order read again differs in nothing
    again = Delta.empty()
    again.change(Basket.of(confirmed), Basket.of(confirmed))
    assert again.pruned() == Delta.empty()
    # a product added later counts only what it adds; a cancellation takes all back
    edited = Delta.empty()
    edited.change(Basket.of(confirmed), Basket.of(OrderEvent(1, T0, "sale", "WEB", "c1", frozenset({1, 2, 3}))))
    assert edited.pruned().pairs == {(1, 3): 1, (3, 1): 1, (2, 3): 1, (3, 2): 1}
    cancelled = Delta.empty()
    cancelled.change(Basket.of(confirmed), Basket.of(OrderEvent(1, T0, "cancel", "WEB", "c1", frozenset({1, 2}))))
    assert cancelled.pairs == {(1, 2): -1, (2, 1): -1} and cancelled.orders == {"*": -1, "WEB": -1}


def test_a_bulk_order_adds_no_pairs_but_counts_for_popularity():
    basket = Basket(frozenset(range(1, MAX_BASKET + 2)), "STORE", None)
    delta = Delta.empty()
    delta.add(basket, 1)
    assert not delta.pairs and delta.popular[("STORE", 1)] == 1


# --- bought together ---

async def test_a_products_most_frequent_companion_comes_first_then_the_channels_most_ordered():
    # given product 1 in four orders: three with 2, one with 3; and 4 the web's most ordered otherwise
    store = FakeRecommendations()
    for _ in range(3):
        store.add(1, 2)
    store.add(1, 3)
    for _ in range(5):
        store.add(4)
    ctx = context(shop(5), store)
    # when
    found = await recommendations.for_product(ctx, (await ctx.loaders.product_by_id.load(1)), 3)
    # then 2 (three orders in four), 3 (one in four), then the popular 4
    assert [(r.product.erp_id, r.reason, r.score) for r in found] == [
        (2, RecommendationReason.BOUGHT_TOGETHER, 0.75), (3, RecommendationReason.BOUGHT_TOGETHER, 0.25),
        (4, RecommendationReason.POPULAR_IN_CHANNEL, round(5 / 9, 6))]


async def test_only_products_sold_and_in_stock_in_the_channel_are_shown_from_one_batched_read():
    # given product 1 bought with 2..9; 2 and 3 out of stock, 4 no longer sold
    store = FakeRecommendations()
    for other in range(2, 10):
        for _ in range(10 - other):
            store.add(1, other)
    world = shop(9, out_of_stock={2, 3}, unsold={4})
    ctx = context(world, store)
    world.erp.calls.clear()
    # when three are asked for
    found = await recommendations.for_product(ctx, world.erp.products[0], 3)
    # then the next three in stock fill the page
    assert ids(found) == [5, 6, 7]
    # with one call each for the candidates' products, variants and stock
    methods = Counter(method for method, _ in world.erp.calls if method != "warehouses")
    assert methods == {"products_by_id": 1, "variants_of": 1, "stock_quants": 1}


async def test_the_marketplace_channel_shows_what_its_own_stock_pool_holds():
    from domain.records import MarketplaceItem

    store = FakeRecommendations()
    store.add(1, 2)
    store.add(1, 3)
    world = shop(3)
    world.marketplace.items = [MarketplaceItem("V-3", 4)]  # the marketplace pool has 3 only
    found = await recommendations.for_product(context(world, store, channel=Channel.MARKETPLACE),
                                              world.erp.products[0], 5)
    assert ids(found) == [3]


# --- for a customer ---

async def test_a_customers_list_leaves_out_what_they_bought_saved_or_hold_in_the_cart():
    # given: 1 bought, 2 saved, 3 in the cart; each bought in other orders with what they have and with 8
    store = FakeRecommendations()
    store.add(1, customer="ada")
    for have in (1, 2, 3):
        store.add(have, 8)
        store.add(have, 1 if have != 1 else 2)
        store.add(have, 3 if have != 3 else 2)
    store.add(9, 10)
    saved = FakeSavedLists({"ada": {"V-2"}})
    cart = Cart(cart_id="c", channel=Channel.WEB, version=1, status=CartStatus.ACTIVE, customer_id="ada",
                created_at=T0, updated_at=T0,
                lines=(CartLine("1", "V-3", 1, Decimal("10.00"), "EUR"),))
    ctx = context(shop(10), store, saved=saved, carts=FakeCarts({"ada": cart}))
    # when
    found = await recommendations.for_customer(ctx, "ada", 5)
    # then none of 1, 2, 3; 8 (bought with all three) first, for the cart's sake
    assert ids(found)[0] == 8 and not {1, 2, 3} & set(ids(found))
    assert found[0].reason is RecommendationReason.BOUGHT_TOGETHER


async def test_reasons_follow_what_the_customer_has():
    store = FakeRecommendations()
    store.add(1, customer="bo")
    store.add(1, 5)
    store.add(2, 6)
    ctx = context(shop(6), store, saved=FakeSavedLists({"bo": {"V-2"}}))
    found = await recommendations.for_customer(ctx, "bo", 5)
    reasons = {r.product.erp_id: r.reason for r in found}
    assert reasons[5] is RecommendationReason.SIMILAR_TO_PURCHASED
    assert reasons[6] is RecommendationReason.SIMILAR_TO_SAVED


async def test_a_customer_without_history_gets_the_channels_most_ordered_or_every_channels():
    store = FakeRecommendations()
    store.add(1, channel="APP")
    store.add(1, channel="APP")
    store.add(2, channel="APP")
    store.add(3, channel="STORE")
    app = await recommendations.for_customer(context(shop(3), store, channel=Channel.APP), "new", 5)
    assert [(r.product.erp_id, r.reason, r.score) for r in app] == [
        (1, RecommendationReason.POPULAR_IN_CHANNEL, round(2 / 3, 6)),
        (2, RecommendationReason.POPULAR_IN_CHANNEL, round(1 / 3, 6))]
    # the call centre has no orders yet: every channel's
    assert ids(await recommendations.for_customer(context(shop(3), store, channel=Channel.CALL_CENTER),
                                                  "new", 5)) == [1, 2, 3]


# --- bounds ---

@pytest.mark.parametrize("first", [0, -1, 101, 10_000])
async def test_first_is_bounded(first):
    ctx = context(shop(1), FakeRecommendations())
    with pytest.raises(BadUserInput, match="between 1 and 100"):
        await recommendations.for_product(ctx, product(1), first)
    with pytest.raises(BadUserInput, match="between 1 and 100"):
        await recommendations.for_customer(ctx, "ada", first)


async def test_a_product_bought_with_10000_others_costs_what_any_does():
    # given product 1 bought with 10,000 others
    store = FakeRecommendations()
    for other in range(2, 10_002):
        store.pairs[(1, other)] = 1 + other % 7
    world = shop(10_001)
    ctx = context(world, store)
    world.erp.calls.clear()
    # when ten are asked for
    found = await recommendations.for_product(ctx, world.erp.products[0], 10)
    # then the store was asked for a bounded page, and the ERP read as many products at most
    assert len(found) == 10
    assert store.asked[0] == ("bought_with", (1, candidates(10)))
    read = next(args[0] for method, args in world.erp.calls if method == "products_by_id")
    assert len(read) <= candidates(10)


async def test_a_customer_with_5000_orders_costs_what_any_does():
    # given a customer who bought in 5,000 orders, one product each, each bought with another
    store = FakeRecommendations()
    for n in range(1, 5_001):
        store.add(n, customer="big")
        store.add(n, n + 5_000)
    world = shop(10_000)
    ctx = context(world, store)
    world.erp.calls.clear()
    # when ten are asked for
    found = await recommendations.for_customer(ctx, "big", 10)
    # then the list starts from at most MAX_SEEDS of their products, each read with a bounded limit
    assert len(found) == 10 and all(r.product.erp_id > 5_000 for r in found)
    assert [args for what, args in store.asked if what == "bought"] == ["big"]  # their purchases, read once
    assert ("bought_with", (MAX_SEEDS, candidates(10))) in store.asked
    read = next(args[0] for method, args in world.erp.calls if method == "products_by_id")
    assert len(read) <= candidates(10)


@dataclass
class FoldingStore:
    """A recommendation store as the feed sees it: records each fold's size and mark."""

    folds: list[tuple[int, ChangeMark]] = field(default_factory=list)
    kept: ChangeMark | None = None
    leases: list[tuple[str, datetime]] = field(default_factory=list)  # ("claimed" or "released", until)
    failing: bool = False

    async def claim_pass(self, now: datetime, every: timedelta) -> bool:
        self.leases.append(("claimed", now + every))
        return True

    async def release_pass(self, until: datetime) -> None:
        self.leases.append(("released", until))

    async def resume(self) -> int:
        return 0

    async def mark(self) -> ChangeMark | None:
        return self.kept

    async def fold(self, events: Sequence[OrderEvent], mark: ChangeMark) -> int:
        if self.failing:
            raise BackendUnavailable("store", "down")
        self.folds.append((len(events), mark))
        self.kept = mark
        return len(events)


def order_feed(world: World, count: int) -> None:
    """`count` confirmed orders in the ERP's feed, one a second, read in pages by `(at, id)`."""
    events = [OrderEvent(n, T0 + timedelta(seconds=n), "sale", "WEB", None, frozenset({1, 2}))
              for n in range(1, count + 1)]

    async def order_changes(after: ChangeMark | None, until: datetime, limit: int) -> list[OrderEvent]:
        return [e for e in events if after is None or (e.at, e.order_id) > (after.at, after.key)][:limit]
    world.erp.order_changes = order_changes  # type: ignore[attr-defined]


async def test_a_pass_folds_its_pages_in_at_once_at_most_fold_orders_a_time():
    # given an ERP feed of more orders than one fold holds, read in several pages
    world, store = World(), FoldingStore()
    count = 2 * FOLD_ORDERS + 1
    order_feed(world, count)
    ctx = world.context()
    # when a pass reads the whole feed
    assert await fold_orders(ctx.services, store, 3_600, max_pages=1_000) == count
    # then the store folded the pages in by FOLD_ORDERS (each counts document rewritten once per fold),
    # each fold marked at its last order
    assert [n for n, _ in store.folds] == [FOLD_ORDERS, FOLD_ORDERS, 1]
    assert [m.key for _, m in store.folds] == [FOLD_ORDERS, 2 * FOLD_ORDERS, count]
    assert FOLD_ORDERS > PAGE


async def test_a_pass_reads_at_most_max_pages_and_the_next_goes_on_from_there():
    # given more orders than a pass reads
    world, store = World(), FoldingStore()
    order_feed(world, MAX_PAGES * PAGE + 7)
    ctx = world.context()
    # when two passes run
    first = await fold_orders(ctx.services, store, 3_600)
    second = await fold_orders(ctx.services, store, 3_600)
    # then the first folded in what it read, at once, and the second the rest
    assert (first, second) == (MAX_PAGES * PAGE, 7)
    assert [n for n, _ in store.folds] == [MAX_PAGES * PAGE, 7]


async def test_a_pass_holds_its_lease_while_it_folds_and_hands_it_back_for_the_interval():
    # given a poll interval far shorter than a large fold can take on a slow store
    world, store = World(), FoldingStore()
    order_feed(world, 3)
    ctx = world.context()
    now = ctx.services.clock()
    # when a pass folds, and another pass fails in its fold
    await fold_orders(ctx.services, store, 10)
    order_feed(world, 6)
    store.failing = True
    with pytest.raises(BackendUnavailable):
        await fold_orders(ctx.services, store, 10)
    # then each claimed the lease for PASS_LEASE_SECONDS (no other process folds beside it meanwhile),
    # and handed it back as if claimed for the interval, failed or not
    assert [what for what, _ in store.leases] == ["claimed", "released", "claimed", "released"]
    for (_, claimed), (_, released) in (store.leases[:2], store.leases[2:]):
        assert claimed - now >= timedelta(seconds=PASS_LEASE_SECONDS) - timedelta(seconds=1)
        assert released - now <= timedelta(seconds=10) + timedelta(seconds=1)
