"""Recommendations from the orders of every channel: what counts of an order, and how the counts
become scores. Counts are per product (an ERP product template): a shirt bought in M and another in
L is one product bought twice, and a recommendation names a product, never a size.

An order counts once confirmed; what it added is kept with it (a `Basket`), so an order read again
adds nothing, and one changed or cancelled afterwards adds only the difference (`delta`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

COUNTED_STATES = frozenset({"sale", "done"})  # a confirmed order (Odoo 16 and older lock it as `done`)
MAX_BASKET = 30  # an order with more distinct products (a bulk or trade order) adds no pairs: it says little of affinity
ALL_CHANNELS = "*"  # the popularity key counting every order, whatever its channel


class RecommendationReason(StrEnum):
    BOUGHT_TOGETHER = "BOUGHT_TOGETHER"            # in the same orders as the product (or the cart's products)
    SIMILAR_TO_SAVED = "SIMILAR_TO_SAVED"          # bought with what the customer saved
    SIMILAR_TO_PURCHASED = "SIMILAR_TO_PURCHASED"  # bought with what the customer bought
    POPULAR_IN_CHANNEL = "POPULAR_IN_CHANNEL"      # among the most ordered in the channel


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One ERP order as its change feed reads it: when it was last written (and its id, the feed's
    key), its state, channel and customer, and the products (templates) of its lines."""

    order_id: int
    at: datetime
    state: str
    channel: str | None
    customer_id: str | None
    product_ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class Basket:
    """What an order adds to the counts: nothing until it is confirmed."""

    products: frozenset[int] = frozenset()
    channel: str | None = None
    customer_id: str | None = None

    @classmethod
    def of(cls, event: OrderEvent) -> Basket:
        if event.state not in COUNTED_STATES or not event.product_ids:
            return cls()
        return cls(event.product_ids, event.channel, event.customer_id)

    def pairs(self) -> Iterable[tuple[int, int]]:
        """Both directions of every pair (a product's neighbours are read by it alone)."""
        if len(self.products) > MAX_BASKET:
            return ()
        return ((a, b) for a in self.products for b in self.products if a != b)

    def popularity(self) -> Iterable[str]:
        if not self.products:
            return ()
        return (ALL_CHANNELS, self.channel) if self.channel else (ALL_CHANNELS,)


@dataclass(slots=True)
class Delta:
    """Count changes, by what they count."""

    pairs: Counter[tuple[int, int]]
    popular: Counter[tuple[str, int]]   # (channel or ALL_CHANNELS, product)
    bought: Counter[tuple[str, int]]    # (customer, product)
    orders: Counter[str]                # channel or ALL_CHANNELS

    @classmethod
    def empty(cls) -> Delta:
        return cls(Counter(), Counter(), Counter(), Counter())

    def add(self, basket: Basket, sign: int) -> None:
        for pair in basket.pairs():
            self.pairs[pair] += sign
        for channel in basket.popularity():
            self.orders[channel] += sign
            for product in basket.products:
                self.popular[(channel, product)] += sign
        if basket.customer_id:
            for product in basket.products:
                self.bought[(basket.customer_id, product)] += sign

    def change(self, before: Basket, after: Basket) -> None:
        """From what an order added (`before`) to what it adds now."""
        self.add(before, -1)
        self.add(after, 1)

    def pruned(self) -> Delta:
        """Without the counts that cancel out."""
        return Delta(Counter({k: v for k, v in self.pairs.items() if v}),
                     Counter({k: v for k, v in self.popular.items() if v}),
                     Counter({k: v for k, v in self.bought.items() if v}),
                     Counter({k: v for k, v in self.orders.items() if v}))


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A product bought with another: in `together` of the orders holding that other one."""

    product_id: int
    together: int


@dataclass(frozen=True, slots=True)
class BoughtWith:
    """A product's orders, and the products most often in them (a page, most first)."""

    orders: int = 0
    neighbours: tuple[Neighbour, ...] = ()


@dataclass(frozen=True, slots=True)
class Scored:
    product_id: int
    reason: RecommendationReason
    score: float


def bought_together(found: BoughtWith) -> list[Scored]:
    """The share of the product's orders that also hold each neighbour (0..1), highest first."""
    total = max(found.orders, 1)
    return ranked(Scored(n.product_id, RecommendationReason.BOUGHT_TOGETHER, min(n.together / total, 1.0))
                  for n in found.neighbours)


def personalized(seeds: Mapping[int, RecommendationReason], found: Mapping[int, BoughtWith]) -> list[Scored]:
    """Each candidate's score is the mean, over the seeds (what the customer has), of the share of a
    seed's orders that also hold it; its reason is that of the seed that gave it the most."""
    totals: dict[int, float] = {}
    best: dict[int, tuple[float, RecommendationReason]] = {}
    for seed, reason in seeds.items():
        bought_with = found.get(seed, BoughtWith())
        orders = max(bought_with.orders, 1)
        for n in bought_with.neighbours:
            share = min(n.together / orders, 1.0)
            totals[n.product_id] = totals.get(n.product_id, 0.0) + share
            if n.product_id not in best or share > best[n.product_id][0]:
                best[n.product_id] = (share, reason)
    count = max(len(seeds), 1)
    return ranked(Scored(p, best[p][1], total / count) for p, total in totals.items())


def popular(orders_in_channel: int, counts: Iterable[tuple[int, int]]) -> list[Scored]:
    """The share of the channel's orders holding each product."""
    total = max(orders_in_channel, 1)
    return ranked(Scored(p, RecommendationReason.POPULAR_IN_CHANNEL, min(c / total, 1.0)) for p, c in counts)


def ranked(found: Iterable[Scored]) -> list[Scored]:
    """Highest score first; ties by product id, so that a page is the same every time."""
    return sorted(found, key=lambda s: (-s.score, s.product_id))
