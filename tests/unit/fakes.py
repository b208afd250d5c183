"""In-memory stand-ins for the ports, with call logs and switchable failures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from domain.channels import Channel
from domain.errors import BackendError, BackendUnavailable
from domain.records import (
    AppVariant,
    ContentRecord,
    ErpProduct,
    ErpVariant,
    GeoPoint,
    MarketplaceItem,
    MarketplaceOffer,
    Money,
    PriceListEntry,
    ProductPage,
    ProductQuery,
    StockQuant,
    VariantOption,
    Warehouse,
)
from resolvers.backends import Backends
from resolvers.context import Services, RequestContext
from resolvers.rules import CatalogRules, ChannelRules, PriceSource, StockSource
from resolvers.stores import StoreDirectory


@dataclass
class FakeBackend:
    name: str
    calls: list[tuple[str, tuple]] = field(default_factory=list)
    failure: BackendError | None = None

    def _call(self, method: str, *args: object) -> None:
        self.calls.append((method, args))
        if self.failure is not None:
            raise self.failure

    def fail(self) -> None:
        self.failure = BackendUnavailable(self.name, "down for the test")

    async def ping(self) -> None:
        self._call("ping")


@dataclass
class FakeErp(FakeBackend):
    name: str = "odoo"
    products: list[ErpProduct] = field(default_factory=list)
    variants: list[ErpVariant] = field(default_factory=list)
    options: list[VariantOption] = field(default_factory=list)
    prices: dict[int, list[PriceListEntry]] = field(default_factory=dict)
    quants: list[StockQuant] = field(default_factory=list)
    sites: list[Warehouse] = field(default_factory=list)

    async def search_products(self, query: ProductQuery) -> ProductPage:
        self._call("search_products", query)
        page = self.products[query.offset: query.offset + query.limit]
        return ProductPage(tuple(page), query.offset + query.limit < len(self.products))

    async def count_products(self, query: ProductQuery) -> int:
        self._call("count_products", query)
        return len(self.products)

    async def products_by_sku(self, skus: Sequence[str]) -> list[ErpProduct]:
        self._call("products_by_sku", tuple(skus))
        return [p for p in self.products if p.sku in skus]

    async def products_by_id(self, ids: Sequence[int]) -> list[ErpProduct]:
        self._call("products_by_id", tuple(ids))
        return [p for p in self.products if p.erp_id in ids]

    async def variants_by_gtin(self, gtins: Sequence[str]) -> list[ErpVariant]:
        self._call("variants_by_gtin", tuple(gtins))
        return [v for v in self.variants if v.gtin in gtins]

    async def variants_by_sku(self, skus: Sequence[str]) -> list[ErpVariant]:
        self._call("variants_by_sku", tuple(skus))
        return [v for v in self.variants if v.sku in skus]

    async def variants_of(self, product_ids: Sequence[int]) -> list[ErpVariant]:
        self._call("variants_of", tuple(product_ids))
        return [v for v in self.variants if v.product_erp_id in product_ids]

    async def variant_options(self, value_ids: Sequence[int]) -> list[VariantOption]:
        self._call("variant_options", tuple(value_ids))
        return [o for o in self.options if o.erp_id in value_ids]

    async def price_list_entries(self, pricelist_id: int, variant_ids: Sequence[int]) -> list[PriceListEntry]:
        self._call("price_list_entries", pricelist_id, tuple(variant_ids))
        return [e for e in self.prices.get(pricelist_id, []) if e.variant_erp_id in variant_ids]

    async def stock_quants(self, variant_ids: Sequence[int], location_ids: Sequence[int]) -> list[StockQuant]:
        self._call("stock_quants", tuple(variant_ids), tuple(location_ids))
        return [q for q in self.quants if q.variant_erp_id in variant_ids and q.location_erp_id in location_ids]

    async def warehouses(self) -> list[Warehouse]:
        self._call("warehouses")
        return list(self.sites)


@dataclass
class FakeContent(FakeBackend):
    name: str = "woocommerce"
    records: list[ContentRecord] = field(default_factory=list)

    async def content_by_sku(self, skus: Sequence[str]) -> list[ContentRecord]:
        self._call("content_by_sku", tuple(skus))
        return [r for r in self.records if r.sku in skus or set(r.variant_skus) & set(skus)]


@dataclass
class FakeApp(FakeBackend):
    name: str = "medusa"
    records: list[AppVariant] = field(default_factory=list)

    async def variants_by_sku(self, skus: Sequence[str]) -> list[AppVariant]:
        self._call("variants_by_sku", tuple(skus))
        return [r for r in self.records if r.sku in skus]


@dataclass
class FakeMarketplace(FakeBackend):
    name: str = "ebay"
    items: list[MarketplaceItem] = field(default_factory=list)
    offers: list[MarketplaceOffer] = field(default_factory=list)

    async def inventory_by_sku(self, skus: Sequence[str]) -> list[MarketplaceItem]:
        self._call("inventory_by_sku", tuple(skus))
        return [i for i in self.items if i.sku in skus]

    async def offers_by_sku(self, skus: Sequence[str], *, sweep: bool = False) -> list[MarketplaceOffer]:
        self._call("offers_by_sku", tuple(skus))
        return [o for o in self.offers if o.sku in skus]


DC = Warehouse(code="DC1", name="Central", stock_location_id=11)
BERLIN = Warehouse(code="BER", name="Berlin", stock_location_id=21, location=GeoPoint(52.52, 13.40))
MUNICH = Warehouse(code="MUC", name="Munich", stock_location_id=22, location=GeoPoint(48.14, 11.58))


def product(erp_id: int = 1, sku: str = "P-1", title: str = "ERP TITLE", **kw: object) -> ErpProduct:
    defaults: dict = dict(gtin=None, list_price=Decimal("10.00"), category="Jackets", brand="ErpBrand",
                          description="erp text", updated_at=None, variant_ids=(erp_id * 10,))
    return ErpProduct(erp_id=erp_id, sku=sku, title=title, **{**defaults, **kw})


def variant(erp_id: int = 10, sku: str = "P-1-M", product_erp_id: int = 1, price: str = "10.00") -> ErpVariant:
    return ErpVariant(erp_id=erp_id, sku=sku, gtin=None, product_erp_id=product_erp_id, list_price=Decimal(price),
                      option_value_ids=(), updated_at=None)


def channel_rules(**overrides: ChannelRules) -> CatalogRules:
    channels = {
        Channel.WEB: ChannelRules(Channel.WEB, "Web", "EUR", stock_warehouses=("DC1",)),
        Channel.APP: ChannelRules(Channel.APP, "App", "EUR", price_source=PriceSource.APP, stock_warehouses=("DC1",)),
        Channel.STORE: ChannelRules(Channel.STORE, "Store", "EUR", pricelist_id=2, stock_warehouses=("BER", "MUC")),
        Channel.CALL_CENTER: ChannelRules(Channel.CALL_CENTER, "Call centre", "EUR"),
        Channel.MARKETPLACE: ChannelRules(Channel.MARKETPLACE, "Marketplace", "EUR",
                                          price_source=PriceSource.MARKETPLACE,
                                          stock_source=StockSource.MARKETPLACE),
    }
    channels.update({Channel(k): v for k, v in overrides.items()})
    return CatalogRules(channels=channels, pickup_warehouses=("BER", "MUC"))


@dataclass
class World:
    erp: FakeErp = field(default_factory=lambda: FakeErp(sites=[DC, BERLIN, MUNICH]))
    content: FakeContent = field(default_factory=FakeContent)
    app: FakeApp = field(default_factory=FakeApp)
    marketplace: FakeMarketplace = field(default_factory=FakeMarketplace)
    rules: CatalogRules = field(default_factory=channel_rules)

    def context(self, channel: Channel = Channel.WEB) -> RequestContext:
        backends = Backends(erp=self.erp, content=self.content, app=self.app, marketplace=self.marketplace)
        services = Services(backends=backends, rules=self.rules,
                                   directory=StoreDirectory(self.erp, pickup_codes=self.rules.pickup_warehouses))
        return RequestContext(services=services, request_id="test", channel=channel)


def money(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")
