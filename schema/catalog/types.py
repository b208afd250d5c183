"""Catalog types. Each wraps a domain record and resolves its fields through the resolvers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, overload

import strawberry
from strawberry.types import Info

from domain.api_keys import Scope
from domain.records import ErpProduct, ErpVariant, Warehouse
from domain.records import Money as MoneyRecord
from resolvers import catalog, global_ids, merge, pricing, recommendations, stock
from resolvers.eager import gather_eagerly, load_all
from resolvers.rules import CONTENT_FIELDS, ChannelRules, PriceSource, StockSource
from schema.catalog.enums import ChannelCode, RecommendationReason
from schema.catalog.inputs import GeoPointInput
from schema.context import ctx, guarded
from schema.node import Node
from schema.scalars import CurrencyCode
from schema.scopes import needs


@strawberry.type
class Money:
    amount: Decimal
    currency_code: CurrencyCode

    @overload
    @classmethod
    def of(cls, money: MoneyRecord) -> Money: ...

    @overload
    @classmethod
    def of(cls, money: MoneyRecord | None) -> Money | None: ...

    @classmethod
    def of(cls, money: MoneyRecord | None) -> Money | None:
        return cls(amount=money.amount, currency_code=CurrencyCode(money.currency)) if money else None


@strawberry.type
class PriceRange:
    min_variant_price: Money
    max_variant_price: Money


@strawberry.type(description="A stock figure, when it was true, and which backend said so.")
class StockLevel:
    quantity: int
    as_of: datetime
    source: str


@strawberry.type
class Image:
    url: str
    alt_text: str | None


@strawberry.type
class Attribute:
    key: str
    value: str


@strawberry.type
class SelectedOption:
    name: str
    value: str


@strawberry.type(description="Which backend supplied a field group of this product.")
class FieldSource:
    field: str
    backend: str


@strawberry.type
class GeoPoint:
    latitude: float
    longitude: float


@strawberry.type
class Address:
    street: str | None
    city: str | None
    zip: str | None
    country_code: str | None


@strawberry.type
class Store(Node):
    record: strawberry.Private[Warehouse]
    distance_km: float | None = None

    @classmethod
    def of(cls, record: Warehouse, distance: float | None = None) -> Store:
        return cls(id=strawberry.ID(global_ids.encode("Store", record.code)), record=record, distance_km=distance)

    @strawberry.field
    def name(self) -> str:
        return self.record.name

    @strawberry.field
    def address(self) -> Address | None:
        a = self.record.address
        return Address(street=a.street, city=a.city, zip=a.zip, country_code=a.country_code) if a else None

    @strawberry.field
    def location(self) -> GeoPoint | None:
        g = self.record.location
        return GeoPoint(latitude=g.latitude, longitude=g.longitude) if g else None


@strawberry.type
class StoreAvailability:
    store: Store
    quantity: int
    available: bool
    pick_up_time: str | None = strawberry.field(
        description="ISO 8601 duration within which a pickup order is ready, when in stock.")


def _near(near: GeoPointInput | None):
    return near.to_point() if near else None


async def _store_availability(info: Info, variants: list[ErpVariant], near: GeoPointInput | None,
                              first: int) -> list[StoreAvailability]:
    catalog.check_first(first)
    rows = await guarded(info, stock.store_availability(ctx(info), variants, _near(near), first), [])
    return [StoreAvailability(store=Store.of(r.store, r.distance_km), quantity=r.quantity, available=r.quantity > 0,
                              pick_up_time=r.ready_within) for r in rows]


@strawberry.type
class Variant(Node):
    record: strawberry.Private[ErpVariant]

    @classmethod
    def of(cls, record: ErpVariant) -> Variant:
        return cls(id=strawberry.ID(global_ids.encode("Variant", record.sku)), record=record)

    @strawberry.field
    def sku(self) -> str:
        return self.record.sku

    @strawberry.field
    def gtin(self) -> str | None:
        return self.record.gtin

    @strawberry.field
    async def selected_options(self, info: Info) -> list[SelectedOption]:
        options = await guarded(info, load_all(ctx(info).loaders.option_by_id, self.record.option_value_ids), [])
        return [SelectedOption(name=o.name, value=o.value) for o in options if o is not None]

    @strawberry.field
    async def title(self, info: Info) -> str | None:
        options = await guarded(info, load_all(ctx(info).loaders.option_by_id, self.record.option_value_ids))
        return " / ".join(o.value for o in options if o) if options else None

    @strawberry.field(description="In the operation's channel and currency; null only with an error naming the backend.")
    async def price(self, info: Info) -> Money | None:
        quote = await guarded(info, pricing.variant_price(ctx(info), self.record))
        return Money.of(quote.price) if quote else None

    @strawberry.field(description="Set when a promotion lowers the price.")
    async def compare_at_price(self, info: Info) -> Money | None:
        quote = await guarded(info, pricing.variant_price(ctx(info), self.record))
        return Money.of(quote.compare_at) if quote else None

    @strawberry.field(extensions=[needs(Scope.STOCK_READ)])
    async def quantity_available(self, info: Info) -> int | None:
        figure = await guarded(info, stock.variant_stock(ctx(info), self.record))
        return figure.quantity if figure else None

    @strawberry.field(extensions=[needs(Scope.STOCK_READ)])
    async def stock(self, info: Info) -> StockLevel | None:
        figure = await guarded(info, stock.variant_stock(ctx(info), self.record))
        return StockLevel(quantity=figure.quantity, as_of=figure.as_of, source=figure.source) if figure else None

    @strawberry.field(description="False when out of stock, or when stock cannot be confirmed (with an error).")
    async def available_for_sale(self, info: Info) -> bool:
        figure = await guarded(info, stock.variant_stock(ctx(info), self.record))
        return bool(figure and figure.quantity > 0)

    @strawberry.field(extensions=[needs(Scope.STOCK_READ)])
    async def store_availability(self, info: Info, near: GeoPointInput | None = None,
                                 first: int = 10) -> list[StoreAvailability]:
        return await _store_availability(info, [self.record], near, first)

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.of(await catalog.product_of(ctx(info), self.record))

    @strawberry.field(description="When the ERP last changed the variant (its SKU, barcode, options or list price).")
    def updated_at(self) -> datetime | None:
        return self.record.updated_at


@strawberry.type
class Product(Node):
    record: strawberry.Private[ErpProduct]

    @classmethod
    def of(cls, record: ErpProduct) -> Product:
        return cls(id=strawberry.ID(global_ids.encode("Product", record.sku)), record=record)

    async def _content(self, info: Info, field: str, fallback: object = None) -> Any:
        sourced = await guarded(info, merge.content_field(ctx(info), self.record, field))
        return sourced.value if sourced else fallback

    async def _variants(self, info: Info) -> list[ErpVariant]:
        return await ctx(info).loaders.variants_by_product_id.load(self.record.erp_id)

    @strawberry.field
    def sku(self) -> str:
        return self.record.sku

    @strawberry.field
    def gtin(self) -> str | None:
        return self.record.gtin

    @strawberry.field
    async def title(self, info: Info) -> str | None:
        return await self._content(info, "title")

    @strawberry.field
    async def description(self, info: Info) -> str | None:
        return await self._content(info, "description")

    @strawberry.field
    async def brand(self, info: Info) -> str | None:
        return await self._content(info, "brand")

    @strawberry.field
    async def categories(self, info: Info) -> list[str]:
        return list(await self._content(info, "categories", ()))

    @strawberry.field
    async def images(self, info: Info) -> list[Image]:
        return [Image(url=i.url, alt_text=i.alt_text) for i in await self._content(info, "images", ())]

    @strawberry.field
    async def attributes(self, info: Info) -> list[Attribute]:
        return [Attribute(key=a.key, value=a.value) for a in await self._content(info, "attributes", ())]

    @strawberry.field
    async def variants(self, info: Info) -> list[Variant]:
        return [Variant.of(v) for v in await guarded(info, self._variants(info), [])]

    @strawberry.field(description="In the operation's channel and currency.")
    async def price_range(self, info: Info) -> PriceRange | None:
        async def work() -> tuple[MoneyRecord, MoneyRecord] | None:
            return await pricing.price_range(ctx(info), await self._variants(info))

        bounds = await guarded(info, work())
        return PriceRange(min_variant_price=Money.of(bounds[0]), max_variant_price=Money.of(bounds[1])) \
            if bounds else None

    async def _stock(self, info: Info) -> list[stock.StockFigure] | None:
        async def work() -> list[stock.StockFigure]:
            variants = await self._variants(info)
            return await gather_eagerly(stock.variant_stock(ctx(info), v) for v in variants)

        return await guarded(info, work())

    @strawberry.field(description="False when no variant is in stock, or stock cannot be confirmed (with an error).")
    async def available_for_sale(self, info: Info) -> bool:
        figures = await self._stock(info)
        return bool(figures and any(f.quantity > 0 for f in figures))

    @strawberry.field(extensions=[needs(Scope.STOCK_READ)])
    async def total_inventory(self, info: Info) -> int | None:
        figures = await self._stock(info)
        return sum(f.quantity for f in figures) if figures is not None else None

    @strawberry.field(extensions=[needs(Scope.STOCK_READ)])
    async def store_availability(self, info: Info, near: GeoPointInput | None = None,
                                 first: int = 10) -> list[StoreAvailability]:
        variants = await guarded(info, self._variants(info), [])
        return await _store_availability(info, variants, near, first)

    @strawberry.field(description="Which backend supplied each field group, for this operation's channel.")
    async def sources(self, info: Info) -> list[FieldSource]:
        context = ctx(info)
        erp = context.services.backends.erp.name
        found = [FieldSource(field="sku", backend=erp), FieldSource(field="variants", backend=erp)]
        for field in CONTENT_FIELDS:
            sourced = await guarded(info, merge.content_field(context, self.record, field))
            if sourced is not None and sourced.backend is not None:
                found.append(FieldSource(field=field, backend=sourced.backend))
        variants = await guarded(info, self._variants(info), [])
        if variants:
            quote = await guarded(info, pricing.variant_price(context, variants[0]))
            if quote is not None:
                found.append(FieldSource(field="price", backend=quote.source))
        found.append(FieldSource(field="stock", backend=stock.stock_backend(context)))
        return found

    @strawberry.field(description="Products often bought together with this one, sold and in stock in the "
                                  "operation's channel (its most ordered ones after them); `first` is 1..100.",
                      extensions=[needs(Scope.CATALOG_READ)])
    async def recommendations(self, info: Info, first: int) -> list[Recommendation]:
        found = await guarded(info, recommendations.for_product(ctx(info), self.record, first), [])
        return [Recommendation.of(r) for r in found]

    @strawberry.field
    async def updated_at(self, info: Info) -> datetime | None:
        content = await guarded(info, merge.shop_content(ctx(info), self.record))
        stamps = [s for s in (self.record.updated_at, content.updated_at if content else None) if s]
        return max(stamps) if stamps else None


@strawberry.type(description="A recommended product, why, and how strongly: a share of orders (0..1), "
                             "comparable within one list.")
class Recommendation:
    product: Product
    reason: RecommendationReason
    score: float

    @classmethod
    def of(cls, record: recommendations.Recommendation) -> Recommendation:
        return cls(product=Product.of(record.product), reason=record.reason, score=record.score)


@strawberry.type(description="A sales channel and the rules that price and stock it.")
class Channel:
    rules: strawberry.Private[ChannelRules]

    @strawberry.field
    def code(self) -> ChannelCode:
        return self.rules.channel

    @strawberry.field
    def name(self) -> str:
        return self.rules.name

    @strawberry.field
    def currency_code(self) -> CurrencyCode:
        return CurrencyCode(self.rules.currency)

    @strawberry.field(description="erp, app or marketplace.")
    def price_source(self) -> str:
        return PriceSource(self.rules.price_source).value

    @strawberry.field(description="erp or marketplace.")
    def stock_source(self) -> str:
        return StockSource(self.rules.stock_source).value


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type
class ProductConnection:
    listing: strawberry.Private[catalog.ProductListing]
    edges: list[ProductEdge]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[Product]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="Products matching the query and filter, in the whole assortment.")
    async def total_count(self, info: Info) -> int:
        return await catalog.count_products(ctx(info), self.listing)
