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
modification times, as the real systems do.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
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
        self.seeded_until = max(p.updated_at for p in self.products)
        self.stamps: dict[tuple[str, str], datetime] = {}  # (backend, sku or record key) -> last change
        self.stock_edits: dict[tuple[int, int], tuple[int, int]] = {}  # (variant, warehouse) -> (on hand, reserved)
        self.pool_edits: dict[int, int] = {}  # variant -> marketplace pool
        self.offer_price_edits: dict[int, Decimal] = {}  # variant -> marketplace offer price

    @cached_property
    def locations_by_stock_location(self) -> dict[int, SeedLocation]:
        return {loc.stock_location_id: loc for loc in LOCATIONS}

    def stamp(self, backend: str, key: str, default: datetime) -> datetime:
        """When `key` last changed through `backend`'s write API, else `default` (the seeded time)."""
        return self.stamps.get((backend, key), default)

    def touch(self, backend: str, key: str) -> datetime:
        now = self.clock()
        self.stamps[(backend, key)] = now
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

    def pool(self, variant_erp_id: int) -> int:
        return self.pool_edits.get(variant_erp_id, marketplace_pool(variant_erp_id))

    def offer_price(self, product: SeedProduct, variant: SeedVariant) -> Decimal:
        seeded = product.marketplace_price + (variant.list_price - product.list_price)
        return self.offer_price_edits.get(variant.erp_id, seeded)

    def erp_stock_total(self, product: SeedProduct) -> int:
        return sum(self.stock(v.erp_id, loc)[0] - self.stock(v.erp_id, loc)[1]
                   for v in product.variants for loc in LOCATIONS if not loc.is_store)
