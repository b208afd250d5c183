from __future__ import annotations

from decimal import Decimal

import strawberry

from domain.records import GeoPoint
from resolvers.catalog import ProductFilters
from resolvers.geo import validate_point


@strawberry.input
class GeoPointInput:
    latitude: float
    longitude: float

    def to_point(self) -> GeoPoint:
        return validate_point(GeoPoint(self.latitude, self.longitude))


@strawberry.input(description="Bounds on the ERP list price; either side may be left out.")
class PriceRangeFilter:
    min: Decimal | None = None
    max: Decimal | None = None


@strawberry.input(description="Filters evaluated by the ERP over the whole assortment.")
class ProductFilter:
    category: str | None = None
    brand: str | None = None
    available_for_sale: bool | None = strawberry.field(
        default=None, description="In stock in the operation's channel (ERP on-hand figure).")
    price: PriceRangeFilter | None = None

    def to_filters(self) -> ProductFilters:
        return ProductFilters(category=self.category, brand=self.brand, available_for_sale=self.available_for_sale,
                              min_price=self.price.min if self.price else None,
                              max_price=self.price.max if self.price else None)
