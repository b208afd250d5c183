"""One deterministic catalog that every simulator serves its own view of.

Products are generated from (seed, index) alone, so any process builds the same
catalog. Deliberate disagreements between backends make the merge rules matter:
some ERP titles are upper-case abbreviations of the web-shop's, and the web-shop's
stock figure is stale for a fifth of the products. One product in fifty is like the
Odoo demo's "Customizable Desk": a template with several variants and no Internal
Reference of its own, whose variants carry codes of another pattern (KETT0181, …);
its SKU is its first variant's code, the web-shop's parent product has a SKU of its own,
and the app backend sells all of its variants but the first.

The simulators' write APIs change it at runtime (`change`, `set_stock`, …); each
change stamps the backend it went through, so every backend reports its own
modification times, as the real systems do. A product's seeded time never changes, so the
catalog keeps the products in that order once (`seeded_order`), and `in_time_order` merges a
backend's stamps into it: change lists stay cheap at any catalog size, as a database's index
on the modification time keeps them. `replaced` lists the products the write APIs replaced, in
order, for the simulators' own indexes to catch up from.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import random
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cached_property

DEFAULT_SIZE = 1_000
MAX_SIZE = 100_000
BASE_TIME = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
CURRENCY = "EUR"

BRANDS = ("Nordwind", "Alpenglow", "Kestrel", "Fjellmark", "Harbor & Co", "Lumen", "Tessera",
          "Brightfield", "Oakhaven", "Solstice", "Riverton", "Marlowe")
CATEGORIES = ("Jackets", "Shirts", "Trousers", "Footwear", "Bags", "Headwear", "Knitwear",
              "Accessories", "Outdoor", "Kitchen", "Home", "Lighting")
ADJECTIVES = ("Trail", "Classic", "Urban", "Coastal", "Summit", "Everyday", "Heritage", "Storm",
              "Linen", "Merino", "Canvas", "Compact")
NOUNS = {"Jackets": "Jacket", "Shirts": "Shirt", "Trousers": "Trousers", "Footwear": "Boot",
         "Bags": "Backpack", "Headwear": "Cap", "Knitwear": "Sweater", "Accessories": "Belt",
         "Outdoor": "Tent", "Kitchen": "Kettle", "Home": "Blanket", "Lighting": "Lamp"}
SIZE_OPTIONS = ("S", "M", "L")
CODELESS_EVERY, CODELESS_AT = 50, 45  # the products with no template code: index % 50 == 45


@dataclass(frozen=True, slots=True)
class SeedLocation:
    """An Odoo warehouse: `stock_location_id` is its lot_stock_id, `partner_id` its address."""

    warehouse_id: int
    code: str
    name: str
    is_store: bool
    stock_location_id: int
    partner_id: int
    street: str
    city: str
    zip: str
    latitude: float
    longitude: float


LOCATIONS = (
    SeedLocation(1, "DC1", "Distribution Centre Kassel", False, 101, 201, "Industriestraße 4", "Kassel", "34123", 51.3127, 9.4797),
    SeedLocation(2, "DC2", "Distribution Centre Leipzig", False, 102, 202, "Am Exer 12", "Leipzig", "04158", 51.3890, 12.3731),
    SeedLocation(3, "DC3", "Distribution Centre Duisburg", False, 103, 203, "Logport 1", "Duisburg", "47229", 51.3980, 6.7003),
    SeedLocation(4, "BER", "Store Berlin Mitte", True, 104, 204, "Rosenthaler Straße 40", "Berlin", "10178", 52.5251, 13.4020),
    SeedLocation(5, "HAM", "Store Hamburg Altstadt", True, 105, 205, "Mönckebergstraße 7", "Hamburg", "20095", 53.5507, 10.0009),
    SeedLocation(6, "MUC", "Store München Zentrum", True, 106, 206, "Kaufingerstraße 15", "München", "80331", 48.1374, 11.5726),
    SeedLocation(7, "CGN", "Store Köln Schildergasse", True, 107, 207, "Schildergasse 65", "Köln", "50667", 50.9365, 6.9540),
    SeedLocation(8, "FRA", "Store Frankfurt Zeil", True, 108, 208, "Zeil 90", "Frankfurt am Main", "60313", 50.1146, 8.6834),
)

# Odoo pricelists: 1 is the public list price; the others carry channel prices.
PRICELISTS = {1: "Public Pricelist", 2: "Store Pricelist", 3: "Call Centre Pricelist"}


@dataclass(frozen=True, slots=True)
class SeedVariant:
    erp_id: int
    sku: str
    gtin: str
    option_value: str
    option_value_id: int
    list_price: Decimal


@dataclass(frozen=True, slots=True)
class SeedProduct:
    index: int
    erp_id: int
    sku: str
    title: str
    erp_title: str
    description: str
    brand: str
    category: str
    list_price: Decimal
    variants: tuple[SeedVariant, ...]
    updated_at: datetime
    in_webshop: bool
    webshop_stock_offset: int
    in_app: bool
    app_promotion: Decimal | None
    on_marketplace: bool
    marketplace_price: Decimal
    store_price: Decimal | None
    call_centre_price: Decimal | None
    active: bool = True  # False once archived in the ERP
    codeless: bool = False  # the ERP template has no code: `sku` is its first variant's

    @property
    def gtin(self) -> str | None:
        return self.variants[0].gtin if len(self.variants) == 1 else None

    @property
    def template_code(self) -> str | None:
        """The ERP template's Internal Reference (`default_code`)."""
        return None if self.codeless else self.sku

    @property
    def webshop_sku(self) -> str:
        """The web-shop's own SKU of the (parent) product: a codeless product's differs from every ERP code."""
        return f"W{self.index + 1:06d}" if self.codeless else self.sku

    def app_price(self, variant: SeedVariant) -> Decimal:
        """The variant's price in the app backend: its list price, lowered by the app's promotion where one runs."""
        if self.app_promotion is None:
            return variant.list_price
        return (variant.list_price * self.app_promotion).quantize(Decimal("0.01"))


def ean13(number: int) -> str:
    """A valid EAN-13 in the 400–440 (Germany) prefix range."""
    body = f"40{number:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _variant_code(index: int, n: int, value: str, codeless_noun: str | None) -> str:
    """`CG-000001-M` under a product's code; a codeless product's variants are coded like the Odoo
    demo's desk variants (DESK0005): a word and the variant's number."""
    if codeless_noun is not None:
        return f"{codeless_noun[:4].upper()}{index * 4 + n + 1:04d}"
    return f"CG-{index + 1:06d}-{value.replace(' ', '').upper()}"


def variant_key(variant_erp_id: int) -> str:
    """The stamp key of a variant's own ERP record (a codeless product's SKU is its first variant's code)."""
    return f"variant:{variant_erp_id}"


def _product(seed: int, index: int) -> SeedProduct:
    rng = random.Random(seed * 1_000_003 + index)
    category = CATEGORIES[rng.randrange(len(CATEGORIES))]
    brand = BRANDS[rng.randrange(len(BRANDS))]
    title = f"{brand} {ADJECTIVES[rng.randrange(len(ADJECTIVES))]} {NOUNS[category]}"
    erp_title = title.upper() if rng.random() < 0.1 else title
    list_price = _money(rng.uniform(5, 300)).quantize(Decimal("1")) - Decimal("0.01")
    codeless = index % CODELESS_EVERY == CODELESS_AT
    sized = codeless or category in {"Jackets", "Shirts", "Trousers", "Footwear", "Knitwear"}
    options = SIZE_OPTIONS if sized else ("One size",)
    variants = tuple(
        SeedVariant(
            erp_id=index * 4 + n + 1,
            sku=_variant_code(index, n, value, NOUNS[category] if codeless else None),
            gtin=ean13(index * 4 + n + 1),
            option_value=value,
            option_value_id=SIZE_OPTIONS.index(value) + 1 if sized else 4,
            list_price=list_price + (Decimal(5) * n if sized else 0),
        )
        for n, value in enumerate(options)
    )
    promo = rng.random() < 0.3
    return SeedProduct(
        index=index,
        erp_id=index + 1,
        sku=variants[0].sku if codeless else f"CG-{index + 1:06d}",
        title=title,
        erp_title=erp_title,
        description=f"The {title} is made to last, from the {brand} {category.lower()} range.",
        brand=brand,
        category=category,
        list_price=list_price,
        variants=variants,
        updated_at=BASE_TIME + timedelta(minutes=index * 7 % 86_400, seconds=rng.randrange(60)),
        in_webshop=rng.random() < 0.9,
        webshop_stock_offset=rng.randrange(-3, 4) if rng.random() < 0.2 else 0,
        in_app=rng.random() < 0.6,
        app_promotion=Decimal("0.80") if promo else None,
        on_marketplace=rng.random() < 0.4,
        marketplace_price=(list_price * Decimal("1.08")).quantize(Decimal("1")) - Decimal("0.01"),
        store_price=(list_price * Decimal("0.95")).quantize(Decimal("0.01")) if index % 5 == 0 else None,
        call_centre_price=(list_price * Decimal("0.97")).quantize(Decimal("0.01")) if index % 7 == 0 else None,
        codeless=codeless,
    )


def stock_at(variant_erp_id: int, location: SeedLocation) -> tuple[int, int]:
    """(on hand, reserved) of one variant at one location; a fixed mix of zeros and plenty."""
    h = (variant_erp_id * 2_654_435_761 + location.warehouse_id * 40_503) % 1_000_003
    if h % 7 == 0:
        return 0, 0
    on_hand = h % 40 if location.is_store else h % 200
    reserved = min(on_hand, h % 4)
    return on_hand, reserved


def marketplace_pool(variant_erp_id: int) -> int:
    return (variant_erp_id * 97) % 23


class Catalog:
    """The whole seeded catalog with the indexes the simulators look things up by."""

    def __init__(self, size: int = DEFAULT_SIZE, seed: int = 7,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        """`clock` stamps the changes made through the write APIs (tests pass one they move)."""
        if not 1 <= size <= MAX_SIZE:
            raise ValueError(f"catalog size must be between 1 and {MAX_SIZE}, got {size}")
        self.size = size
        self.seed = seed
        self.clock = clock
        self.products = [_product(seed, i) for i in range(size)]
        self.by_sku = {p.sku: p for p in self.products}
        self.by_erp_id = {p.erp_id: p for p in self.products}
        self.variants_by_erp_id = {v.erp_id: (p, v) for p in self.products for v in p.variants}
        self.variants_by_sku = {v.sku: (p, v) for p in self.products for v in p.variants}
        self.stamps: dict[tuple[str, str], datetime] = {}  # (backend, sku or record key) -> last change
        self.stock_edits: dict[tuple[int, int], tuple[int, int]] = {}  # (variant, warehouse) -> (on hand, reserved)
        self.pool_edits: dict[int, int] = {}  # variant -> marketplace pool
        self.offer_price_edits: dict[int, Decimal] = {}  # variant -> marketplace offer price
        self.replaced: list[int] = []  # indexes of the products the write APIs replaced, in order
        self.revision = 0  # counts the stamps: what is derived from them is current while it stands

    @cached_property
    def seeded_order(self) -> tuple[list[datetime], list[int]]:
        """The seeded times in ascending order, and the index of the product of each (ties by index)."""
        ordered = sorted((p.updated_at, p.index) for p in self.products)
        return [at for at, _ in ordered], [index for _, index in ordered]

    @cached_property
    def locations_by_stock_location(self) -> dict[int, SeedLocation]:
        return {loc.stock_location_id: loc for loc in LOCATIONS}

    def stamp(self, backend: str, key: str, default: datetime) -> datetime:
        """When `key` last changed through `backend`'s write API, else `default` (the seeded time)."""
        return self.stamps.get((backend, key), default)

    def touch(self, backend: str, key: str) -> datetime:
        now = self.clock()
        self.stamps[(backend, key)] = now
        self.revision += 1
        return now

    def change(self, backend: str, product: SeedProduct, **fields: object) -> SeedProduct:
        """Replaces the product's seeded fields; a new list price moves its variants' prices along."""
        changed = dataclasses.replace(product, **fields)  # type: ignore[arg-type]
        if changed.list_price != product.list_price:
            shift = changed.list_price - product.list_price
            changed = dataclasses.replace(changed, variants=tuple(
                dataclasses.replace(v, list_price=v.list_price + shift) for v in changed.variants))
        self._replace(changed)
        self.touch(backend, changed.sku)
        return changed

    def change_variant(self, backend: str, variant_erp_id: int, **fields: object) -> SeedVariant:
        """Replaces one variant's seeded fields (its barcode); the variant's own record is stamped."""
        product, variant = self.variants_by_erp_id[variant_erp_id]
        changed = dataclasses.replace(variant, **fields)  # type: ignore[arg-type]
        self._replace(dataclasses.replace(product, variants=tuple(
            changed if v.erp_id == variant_erp_id else v for v in product.variants)))
        self.touch(backend, variant_key(variant_erp_id))
        return changed

    def _replace(self, changed: SeedProduct) -> None:
        self.products[changed.index] = changed
        self.replaced.append(changed.index)
        self.by_sku[changed.sku] = self.by_erp_id[changed.erp_id] = changed
        for v in changed.variants:
            self.variants_by_erp_id[v.erp_id] = self.variants_by_sku[v.sku] = (changed, v)

    def stock(self, variant_erp_id: int, location: SeedLocation) -> tuple[int, int]:
        """(on hand, reserved), as seeded or as last set."""
        edited = self.stock_edits.get((variant_erp_id, location.warehouse_id))
        return edited if edited is not None else stock_at(variant_erp_id, location)

    def set_stock(self, variant_erp_id: int, location: SeedLocation, on_hand: int) -> None:
        reserved = min(on_hand, self.stock(variant_erp_id, location)[1])
        self.stock_edits[(variant_erp_id, location.warehouse_id)] = (on_hand, reserved)
        self.touch("odoo", f"quant:{variant_erp_id}:{location.warehouse_id}")

    def reserve(self, variant_erp_id: int, location: SeedLocation, quantity: int) -> int:
        """Reserves up to `quantity` units of what the location has unreserved; the units reserved."""
        on_hand, reserved = self.stock(variant_erp_id, location)
        taken = max(0, min(quantity, on_hand - reserved))
        if taken:
            self.stock_edits[(variant_erp_id, location.warehouse_id)] = (on_hand, reserved + taken)
            self.touch("odoo", f"quant:{variant_erp_id}:{location.warehouse_id}")
        return taken

    def pool(self, variant_erp_id: int) -> int:
        return self.pool_edits.get(variant_erp_id, marketplace_pool(variant_erp_id))

    def offer_price(self, product: SeedProduct, variant: SeedVariant) -> Decimal:
        seeded = product.marketplace_price + (variant.list_price - product.list_price)
        return self.offer_price_edits.get(variant.erp_id, seeded)

    def erp_stock_total(self, product: SeedProduct) -> int:
        return sum(self.stock(v.erp_id, loc)[0] - self.stock(v.erp_id, loc)[1]
                   for v in product.variants for loc in LOCATIONS if not loc.is_store)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def in_time_order(catalog: Catalog, records_of: Callable[[list[int]], Iterable[int]],
                  stamped: list[tuple[datetime, int]], descending: bool = False,
                  floor: datetime | None = None, ceiling: datetime | None = None
                  ) -> Iterator[tuple[datetime, list[int]]]:
    """A backend's records grouped by equal modification time, in time order, each group's records
    ascending: each record of `records_of(product indexes)` at its product's seeded time, unless
    `stamped` ((time, record), sorted, times aware) gives it a time of its own. Only the times from
    `floor` to `ceiling` (both included) when given."""
    times, indexes = catalog.seeded_order
    low = bisect_left(times, _aware(floor)) if floor else 0
    high = bisect_right(times, _aware(ceiling)) if ceiling else len(times)
    own = {record for _, record in stamped}
    positions = range(high - 1, low - 1, -1) if descending else range(low, high)

    def seeded() -> Iterator[tuple[datetime, list[int]]]:
        for at, group in itertools.groupby(positions, key=times.__getitem__):
            records = [r for r in records_of([indexes[n] for n in group]) if r not in own]
            if records:
                yield at, records

    def written() -> Iterator[tuple[datetime, list[int]]]:
        chosen = [(at, r) for at, r in stamped
                  if (floor is None or at >= _aware(floor)) and (ceiling is None or at <= _aware(ceiling))]
        for at, group in itertools.groupby(reversed(chosen) if descending else chosen, key=lambda e: e[0]):
            yield at, [r for _, r in group]

    merged = heapq.merge(seeded(), written(), key=lambda e: e[0], reverse=descending)
    for at, group in itertools.groupby(merged, key=lambda e: e[0]):
        yield at, sorted(r for _, records in group for r in records)


Bound = tuple[datetime, bool]  # a time, and whether it is included


class ChangeOrder:
    """The products one backend lists (a fixed set of indexes) in the order of their modification
    times as it reports them (`reported`: its precision; the seeded times are whole seconds, which
    every precision keeps), ties by index: counted and paged within bounds without reading them all."""

    def __init__(self, catalog: Catalog, backend: str, listed: Iterable[int],
                 reported: Callable[[datetime], datetime]) -> None:
        self.catalog = catalog
        self.backend = backend
        self.listed = frozenset(listed)
        self.reported = reported
        _, indexes = catalog.seeded_order
        self._listed_before = list(itertools.accumulate((i in self.listed for i in indexes), initial=0))
        self._stamped: tuple[int, list[tuple[datetime, int]]] | None = None

    def stamped(self) -> list[tuple[datetime, int]]:
        """(time reported, index) of the listed products the backend stamped, sorted."""
        if self._stamped is None or self._stamped[0] != self.catalog.revision:
            found = ((at, self.catalog.by_sku.get(key)) for (backend, key), at in list(self.catalog.stamps.items())
                     if backend == self.backend)
            self._stamped = (self.catalog.revision, sorted((_aware(self.reported(at)), p.index) for at, p in found
                                                           if p is not None and p.index in self.listed))
        return self._stamped[1]

    def count(self, low: Bound | None, high: Bound | None) -> int:
        times, _ = self.catalog.seeded_order
        start = (bisect_left if low[1] else bisect_right)(times, low[0]) if low else 0
        end = (bisect_right if high[1] else bisect_left)(times, high[0]) if high else len(times)
        moved = [(at, self.catalog.products[i].updated_at) for at, i in self.stamped()]
        return self._listed_before[end] - self._listed_before[start] \
            - sum(1 for _, seeded in moved if _within(seeded, low, high)) \
            + sum(1 for at, _ in moved if _within(at, low, high))

    def page(self, descending: bool, low: Bound | None, high: Bound | None, offset: int, limit: int) -> list[int]:
        """The product indexes of one page, in (time, index) order, reversed when `descending`."""
        groups = in_time_order(self.catalog, lambda indexes: [i for i in indexes if i in self.listed], self.stamped(),
                               descending, low[0] if low else None, high[0] if high else None)
        ordered = (i for at, group in groups if _within(at, low, high)
                   for i in (reversed(group) if descending else group))
        return list(itertools.islice(ordered, offset, offset + limit))


def _within(at: datetime, low: Bound | None, high: Bound | None) -> bool:
    return (low is None or at > low[0] or (low[1] and at == low[0])) and \
        (high is None or at < high[0] or (high[1] and at == high[0]))
