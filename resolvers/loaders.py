"""Per-request DataLoaders: one batched backend call per resource for the whole query.

Names follow `<Entity>By<Key>`. A batch that fails raises the backend's error
for every key in it, so each field that needed it reports that backend; a record the
backend could not supply (a `RecordError` among the batch's) raises for its own key only.
Every product and variant an answer holds passes through them, so they also record
what the answer was built from (`Held`), for the shared answer cache's invalidation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from strawberry.dataloader import DataLoader

from domain.errors import RecordError
from domain.holds import Hold
from domain.ports import StockHolds, utc_now
from domain.records import (
    AppVariant,
    ChangeAspect,
    ContentRecord,
    Coupon,
    ErpProduct,
    ErpVariant,
    MarketplaceItem,
    MarketplaceOffer,
    PriceListEntry,
    VariantOption,
    marketplace_sku,
)
from resolvers.backends import Backends
from resolvers.stock_cache import Dated, StockCache
from resolvers.stores import StoreDirectory


@dataclass(frozen=True, slots=True)
class StockSnapshot:
    """What one variant holds per ERP stock location, and when the ERP said so."""

    by_location: dict[int, tuple[int, int]]
    as_of: datetime

    def available_at(self, location_ids: Iterable[int]) -> int:
        return sum(max(0, on_hand - reserved) for loc in location_ids
                   for on_hand, reserved in [self.by_location.get(loc, (0, 0))])


@dataclass(frozen=True, slots=True)
class PoolFigure:
    item: MarketplaceItem | None
    as_of: datetime
    fault: RecordError | None = None  # what the marketplace answered instead of the item: raised for its SKU


STOCK_TAG, POOL_TAG = "stock", "pool"  # stock cache keys: (STOCK_TAG, variant id), (POOL_TAG, variant SKU)
ASSORTMENT = "ASSORTMENT"  # what `Held.depends_on` names besides the change aspects


@dataclass(slots=True)
class Held:
    """What one answer was built from: the ERP products it holds (by id, whichever record led to
    them), what else its composition depends on (`ASSORTMENT`: a page of the assortment, or a lookup
    that found nothing, which a new product could answer; a `ChangeAspect`: a page filtered by it),
    and when its oldest stock figure was read."""

    product_ids: set[int] = field(default_factory=set)
    depends_on: set[str] = field(default_factory=set)
    oldest_stock: datetime | None = None

    def products(self, ids: Iterable[int], missing: bool = False) -> None:
        self.product_ids.update(ids)
        if missing:
            self.depends_on.add(ASSORTMENT)

    def page(self, *aspects: ChangeAspect) -> None:
        """A page of the assortment: a new, removed or re-sorted product, or a change of `aspects`
        anywhere, can change which products it holds."""
        self.depends_on.update((ASSORTMENT, *aspects))

    def stock_read(self, figures: Iterable[StockSnapshot | PoolFigure]) -> None:
        for figure in figures:
            if self.oldest_stock is None or figure.as_of < self.oldest_stock:
                self.oldest_stock = figure.as_of


def read_time() -> datetime:
    """What an ERP stock figure is stamped with (its `asOf`), and a hold consumed by an ERP order
    too: one clock, so that a hold counts against exactly the figures read before its order."""
    return datetime.now(UTC)


def _index[K: Hashable, V](keys: Sequence[K], records: Iterable[V], key: Callable[[V], K | None]) -> list[V | None]:
    found = {key(r): r for r in records}
    return [found.get(k) for k in keys]


def _grouped[K: Hashable, V](keys: Sequence[K], records: Iterable[V], key: Callable[[V], K]) -> list[list[V]]:
    found: dict[K, list[V]] = defaultdict(list)
    for r in records:
        found[key(r)].append(r)
    return [found.get(k, []) for k in keys]


class Loaders:
    def __init__(self, backends: Backends, directory: StoreDirectory, stock_cache: StockCache | None = None,
                 stock_max_age: Callable[[], float] = lambda: 0.0, holds: StockHolds | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.backends = backends
        self.holds = holds
        self.clock = clock
        self.directory = directory
        self.stock_cache = stock_cache
        self.stock_max_age = stock_max_age  # asked when the stock is loaded: @inContext is applied by then
        self.held = Held()
        self.product_by_sku: DataLoader[str, ErpProduct | None] = DataLoader(self._products_by_sku)
        self.product_by_id: DataLoader[int, ErpProduct | None] = DataLoader(self._products_by_id)
        self.variants_by_product_id: DataLoader[int, list[ErpVariant]] = DataLoader(self._variants_by_product)
        self.variant_by_sku: DataLoader[str, ErpVariant | None] = DataLoader(self._variants_by_sku)
        self.variant_by_gtin: DataLoader[str, ErpVariant | None] = DataLoader(self._variants_by_gtin)
        self.option_by_id: DataLoader[int, VariantOption | None] = DataLoader(self._options)
        self.content_by_sku: DataLoader[str, ContentRecord | None] = DataLoader(self._content)
        self.app_variant_by_sku: DataLoader[str, AppVariant | None] = DataLoader(self._app_variants)
        self.channel_price_by_key: DataLoader[tuple[int, int], PriceListEntry | None] = DataLoader(self._prices)
        self.stock_by_variant_id: DataLoader[int, StockSnapshot] = DataLoader(self._stock)
        self.pool_by_sku: DataLoader[str, PoolFigure] = DataLoader(self._pool)
        self.offer_by_sku: DataLoader[str, MarketplaceOffer | None] = DataLoader(self._offers)
        self.coupon_by_code: DataLoader[str, Coupon | None] = DataLoader(self._coupons)
        self.holds_by_sku: DataLoader[str, list[Hold]] = DataLoader(self._holds)

    def cancel_waiting(self) -> None:
        """Cancels every load still waiting (the request was given up: past its deadline, or its client
        left). A batch whose loads are all cancelled is cancelled in turn (strawberry's DataLoader), and
        with it its backend call; whatever waited for those loads stops there."""
        for loader in vars(self).values():
            if isinstance(loader, DataLoader):
                for future in list(getattr(loader.cache_map, "cache_map", {}).values()):
                    future.cancel()

    def prime_products(self, products: Iterable[ErpProduct]) -> None:
        for p in products:
            self.product_by_sku.prime(p.sku, p)
            self.product_by_id.prime(p.erp_id, p)
            self.held.product_ids.add(p.erp_id)

    def _prime_variants(self, variants: Iterable[ErpVariant]) -> None:
        for v in variants:
            self.variant_by_sku.prime(v.sku, v)

    async def _products_by_sku(self, skus: list[str]) -> list[ErpProduct | None]:
        found = await self.backends.erp.products_by_sku(skus)
        self.prime_products(found)
        return self._looked_up(_index(skus, found, lambda p: p.sku))

    async def _products_by_id(self, ids: list[int]) -> list[ErpProduct | None]:
        found = await self.backends.erp.products_by_id(ids)
        self.prime_products(found)
        return self._looked_up(_index(ids, found, lambda p: p.erp_id))

    async def _variants_by_product(self, ids: list[int]) -> list[list[ErpVariant]]:
        found = await self.backends.erp.variants_of(ids)
        self._prime_variants(found)
        self.held.products(ids)
        return [sorted(group, key=lambda v: v.erp_id) for group in _grouped(ids, found, lambda v: v.product_erp_id)]

    async def _variants_by_sku(self, skus: list[str]) -> list[ErpVariant | None]:
        return self._variants_held(_index(skus, await self.backends.erp.variants_by_sku(skus), lambda v: v.sku))

    async def _variants_by_gtin(self, gtins: list[str]) -> list[ErpVariant | None]:
        return self._variants_held(_index(gtins, await self.backends.erp.variants_by_gtin(gtins), lambda v: v.gtin))

    def _looked_up(self, found: list[ErpProduct | None]) -> list[ErpProduct | None]:
        if None in found:
            self.held.products((), missing=True)
        return found

    def _variants_held(self, found: list[ErpVariant | None]) -> list[ErpVariant | None]:
        self.held.products((v.product_erp_id for v in found if v is not None), missing=None in found)
        return found

    async def _options(self, ids: list[int]) -> list[VariantOption | None]:
        return _index(ids, await self.backends.erp.variant_options(ids), lambda o: o.erp_id)

    async def _content(self, skus: list[str]) -> list[ContentRecord | None]:
        """Under the product's own SKU, or under the variant SKU it was found by (a product's own
        SKU wins over another's variant's)."""
        found = await self.backends.content.content_by_sku(skus)
        by_sku = {s: c for c in found for s in c.variant_skus} | {c.sku: c for c in found if c.sku}
        return [by_sku.get(s) for s in skus]

    async def _app_variants(self, skus: list[str]) -> list[AppVariant | None]:
        return _index(skus, await self.backends.app.variants_by_sku(skus), lambda v: v.sku)

    async def _prices(self, keys: list[tuple[int, int]]) -> list[PriceListEntry | None]:
        by_list: dict[int, list[int]] = defaultdict(list)
        for pricelist_id, variant_id in keys:
            by_list[pricelist_id].append(variant_id)
        found: dict[tuple[int, int], PriceListEntry] = {}
        for pricelist_id, variant_ids in by_list.items():
            for entry in await self.backends.erp.price_list_entries(pricelist_id, variant_ids):
                # the entry for the smallest quantity is the unit price a shopper sees
                current = found.get((pricelist_id, entry.variant_erp_id))
                if current is None or entry.min_quantity < current.min_quantity:
                    found[(pricelist_id, entry.variant_erp_id)] = entry
        return [found.get(k) for k in keys]

    async def _through_cache[K: Hashable, V: Dated](self, keys: list[K], read: Callable[[list[K]], Awaitable[list[V]]],
                                            tag: str) -> list[V]:
        """Figures younger than the operation's maximum age from the cache, the rest read live (and
        kept, a live read of a mutation too)."""
        if self.stock_cache is None:
            return await read(keys)
        max_age = self.stock_max_age()
        cached: dict[tuple[str, K], V] = (
            self.stock_cache.fresh([(tag, k) for k in keys], max_age) if max_age > 0 else {})
        missing = [k for k in keys if (tag, k) not in cached]
        if missing:
            read_now = dict(zip(missing, await read(missing), strict=True))
            self.stock_cache.keep({(tag, k): v for k, v in read_now.items()})
            cached.update({(tag, k): v for k, v in read_now.items()})
        return [cached[(tag, k)] for k in keys]

    async def _stock(self, variant_ids: list[int]) -> list[StockSnapshot]:
        figures = await self._through_cache(variant_ids, self._read_stock, STOCK_TAG)
        self.held.stock_read(figures)
        return figures

    async def _read_stock(self, variant_ids: list[int]) -> list[StockSnapshot]:
        warehouses = await self.directory.warehouses()
        locations = [w.stock_location_id for w in warehouses.values()]
        as_of = read_time()  # before the call: the figure is at least this recent (what consumed holds rely on)
        quants = await self.backends.erp.stock_quants(variant_ids, locations)
        per_variant: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        for q in quants:
            cell = per_variant[q.variant_erp_id][q.location_erp_id]
            cell[0] += int(q.quantity)
            cell[1] += int(q.reserved)
        return [StockSnapshot({loc: (c[0], c[1]) for loc, c in per_variant.get(v, {}).items()}, as_of)
                for v in variant_ids]

    async def _pool(self, skus: list[str]) -> list[PoolFigure | RecordError]:
        figures = await self._through_cache(skus, self._read_pool, POOL_TAG)
        self.held.stock_read(figures)
        return [f.fault or f for f in figures]

    async def _read_pool(self, skus: list[str]) -> list[PoolFigure]:
        items = await self.backends.marketplace.inventory_by_sku(skus)
        as_of = datetime.now(UTC)
        return [PoolFigure(None, as_of, item) if isinstance(item, RecordError) else PoolFigure(item, as_of)
                for item in _index(skus, items, marketplace_sku)]

    async def _holds(self, skus: list[str]) -> list[list[Hold]]:
        """The live holds of every SKU the operation asks stock of, in one store read."""
        found = await self.holds.holds_of(skus, self.clock()) if self.holds is not None else {}
        return [found.get(s, []) for s in skus]

    async def _coupons(self, codes: list[str]) -> list[Coupon | None]:
        return _index([c.lower() for c in codes], await self.backends.content.coupons_by_code(codes),
                      lambda c: c.code)

    async def _offers(self, skus: list[str]) -> list[MarketplaceOffer | RecordError | None]:
        """A SKU whose offer the marketplace could not supply gets its error; the others their offers."""
        return _index(skus, await self.backends.marketplace.offers_by_sku(skus), marketplace_sku)
