"""A seeded history of customers and their orders, the same in every simulator that holds them.

Like the catalog, it is generated from the catalog's seed alone, so every process builds the same
history. It has the structure real order data has, so that recommendations made from it make sense:
- Demand is skewed: a product's weight falls with its rank in a seeded shuffle (Zipf-like, s = 0.8),
  so a few products sell often and most rarely.
- Products come in pairs that sell together: `companion_of` (index 2k with 2k + 1, say a jacket with
  the cap beside it). An order made around a product adds its companion three times in four; in all,
  63% of the orders holding a product hold its companion too (at the default 1,000 products).
- Some orders add one or two more products, drawn by the same demand.
- A few customers order often and most seldom; every order has a channel (WEB half of them, APP a
  quarter, the rest STORE and CALL_CENTER) and a time between the catalog's seeding and ten months after.

At the default 1,000 products: 3,000 orders of 500 customers. The history grows with the catalog up to
6,000 orders, so a 100,000-product simulator still starts in a moment.
"""

from __future__ import annotations

import bisect
import itertools
import random
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from simulators.catalog import BASE_TIME, Catalog, SeedProduct

MAX_ORDERS = 6_000
ORDERS_PER_PRODUCT = 3
ORDERS_PER_CUSTOMER = 6  # on average
COMPANION_SHARE = 0.75
HISTORY_DAYS = 300
CHANNELS = ("WEB", "APP", "STORE", "CALL_CENTER")
CHANNEL_WEIGHTS = (50, 25, 15, 10)

FIRST_NAMES = (("Ada", "ada"), ("Zoë", "zoe"), ("José", "jose"), ("Łukasz", "lukasz"), ("Maren", "maren"),
               ("Noah", "noah"), ("Amélie", "amelie"), ("Jonas", "jonas"), ("Sofia", "sofia"), ("Emil", "emil"),
               ("Ingrid", "ingrid"), ("Mateo", "mateo"), ("Leila", "leila"), ("Finn", "finn"), ("Hana", "hana"))
LAST_NAMES = (("Lovelace", "lovelace"), ("Müller", "mueller"), ("García", "garcia"), ("Nowak", "nowak"),
              ("Jensen", "jensen"), ("Dubois", "dubois"), ("Rossi", "rossi"), ("de Vries", "devries"),
              ("Schmidt", "schmidt"), ("O'Brien", "obrien"), ("Fischer", "fischer"), ("Lindqvist", "lindqvist"))
CITIES = (("Berlin", "10115", "DE"), ("Hamburg", "20095", "DE"), ("München", "80331", "DE"),
          ("Wien", "1010", "AT"), ("Amsterdam", "1012", "NL"), ("Paris", "75001", "FR"))
STREETS = ("Hauptstraße", "Lindenallee", "Bahnhofstraße", "Gartenweg", "Rosenstraße", "Am Markt")


@dataclass(frozen=True, slots=True)
class SeedCustomer:
    index: int
    ref: str            # the gateway's customer id (a token's `sub`), kept as the ERP contact's `ref`
    email: str
    first_name: str
    last_name: str
    phone: str
    street: str
    city: str
    zip: str
    country_code: str
    accepts_marketing: bool

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, slots=True)
class SeedOrderLine:
    variant_erp_id: int
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class SeedOrder:
    index: int              # orders are numbered in time order
    customer: int           # the customer's index
    channel: str            # WEB, APP, STORE, CALL_CENTER
    created_at: datetime
    lines: tuple[SeedOrderLine, ...]


@dataclass(frozen=True, slots=True)
class OrderHistory:
    customers: tuple[SeedCustomer, ...]
    orders: tuple[SeedOrder, ...]


_HISTORIES: weakref.WeakKeyDictionary[Catalog, OrderHistory] = weakref.WeakKeyDictionary()


def order_history(catalog: Catalog) -> OrderHistory:
    """The catalog's history, built once per catalog (every model of a simulator reads the same)."""
    found = _HISTORIES.get(catalog)
    if found is None:
        found = _HISTORIES[catalog] = _build(catalog)
    return found


def seeded_customers(catalog: Catalog) -> tuple[SeedCustomer, ...]:
    return order_history(catalog).customers


def seeded_orders(catalog: Catalog) -> tuple[SeedOrder, ...]:
    return order_history(catalog).orders


def companion_of(catalog: Catalog, product: SeedProduct) -> SeedProduct | None:
    """The product that most orders holding `product` hold too: its pair (indexes 2k and 2k + 1)."""
    index = product.index ^ 1
    return catalog.products[index] if index < len(catalog.products) else None


def _build(catalog: Catalog) -> OrderHistory:
    rng = random.Random(catalog.seed * 7_919 + 15)
    order_count = min(MAX_ORDERS, ORDERS_PER_PRODUCT * catalog.size)
    customers = tuple(_customer(rng, n) for n in range(max(1, order_count // ORDERS_PER_CUSTOMER)))
    products = catalog.products
    ranked = list(range(len(products)))
    rng.shuffle(ranked)
    demand = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(ranked))))
    loyalty = list(itertools.accumulate(1 / (n + 1) ** 0.5 for n in range(len(customers))))

    def popular() -> SeedProduct:
        return products[ranked[bisect.bisect_left(demand, rng.random() * demand[-1])]]

    drafts: list[tuple[datetime, int, str, tuple[SeedOrderLine, ...]]] = []
    for _ in range(order_count):
        anchor = popular()
        chosen = [anchor]
        companion = companion_of(catalog, anchor)
        if companion is not None and rng.random() < COMPANION_SHARE:
            chosen.append(companion)
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            if (extra := popular()) not in chosen:
                chosen.append(extra)
        customer = min(bisect.bisect_left(loyalty, rng.random() * loyalty[-1]), len(customers) - 1)
        at = BASE_TIME + timedelta(seconds=rng.randrange(HISTORY_DAYS * 86_400))
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        lines = []
        for product in chosen:
            variant = rng.choice(product.variants)
            lines.append(SeedOrderLine(variant.erp_id, variant.sku, 2 if rng.random() < 0.1 else 1,
                                       variant.list_price))
        drafts.append((at, customer, channel, tuple(lines)))
    drafts.sort(key=lambda d: d[0])
    orders = tuple(SeedOrder(n, customer, channel, at, lines)
                   for n, (at, customer, channel, lines) in enumerate(drafts))
    return OrderHistory(customers, orders)


def _customer(rng: random.Random, n: int) -> SeedCustomer:
    (first, first_ascii), (last, last_ascii) = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    city, zip_code, country = rng.choice(CITIES)
    return SeedCustomer(
        index=n, ref=f"cust-{n + 1:04d}", email=f"{first_ascii}.{last_ascii}.{n + 1}@example.com",
        first_name=first, last_name=last, phone=f"+49 30 555{n:05d}",
        street=f"{rng.choice(STREETS)} {rng.randint(1, 120)}", city=city, zip=zip_code, country_code=country,
        accepts_marketing=rng.random() < 0.6)
