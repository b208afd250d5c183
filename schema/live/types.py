"""What a subscription sends on each change: the event's id (to resume after) and the figures as
they read now in the operation's channel and store."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers.context import RequestContext

from domain.records import ChangeAspect, ErpProduct
from resolvers.live_hub import Delivery
from resolvers.pricing import PriceQuote
from resolvers.stock import StockFigure
from schema.catalog.changes import CatalogChange
from schema.catalog.types import Money, Product
from schema.context import ctx

EVENT_ID = "The change's id in the event log: `after:` takes it to resume from there."


def _reported(info: Info, delivery: Delivery) -> bool:
    """Whether the figure could not be read (the error is reported at this field's path)."""
    if delivery.error is not None:
        ctx(info).report(info.path.as_list(), delivery.error)
        return True
    return False


@strawberry.type(description="A SKU's stock changed: its figure now in the operation's channel and store.")
class StockChange:
    event_id: strawberry.ID = strawberry.field(description=EVENT_ID)
    sku: str
    delivery: strawberry.Private[Delivery]

    @classmethod
    def of(cls, delivery: Delivery) -> StockChange:
        return cls(event_id=strawberry.ID(str(delivery.event.id)), sku=delivery.key, delivery=delivery)

    def _figure(self) -> StockFigure | None:
        figure = self.delivery.figure
        return figure if isinstance(figure, StockFigure) else None

    @strawberry.field(description="Units available; null for a SKU the ERP does not know, or with an error.")
    def quantity(self, info: Info) -> int | None:
        figure = None if _reported(info, self.delivery) else self._figure()
        return figure.quantity if figure else None

    @strawberry.field(description="When the figure was true.")
    def as_of(self) -> datetime | None:
        figure = self._figure()
        return figure.as_of if figure else None

    @strawberry.field(description="The backend whose figure it is.")
    def source(self) -> str | None:
        figure = self._figure()
        return figure.source if figure else None


@strawberry.type(description="A SKU's price changed: its price now in the operation's channel.")
class PriceChange:
    event_id: strawberry.ID = strawberry.field(description=EVENT_ID)
    sku: str
    delivery: strawberry.Private[Delivery]

    @classmethod
    def of(cls, delivery: Delivery) -> PriceChange:
        return cls(event_id=strawberry.ID(str(delivery.event.id)), sku=delivery.key, delivery=delivery)

    def _quote(self) -> PriceQuote | None:
        quote = self.delivery.figure
        return quote if isinstance(quote, PriceQuote) else None

    @strawberry.field(description="Null for a SKU the ERP does not know, or with an error.")
    def price(self, info: Info) -> Money | None:
        quote = None if _reported(info, self.delivery) else self._quote()
        return Money.of(quote.price) if quote else None

    @strawberry.field(description="Set when a promotion lowers the price.")
    def compare_at_price(self) -> Money | None:
        quote = self._quote()
        return Money.of(quote.compare_at) if quote else None


def catalog_change(delivery: Delivery, context: RequestContext, path: list[str | int]) -> CatalogChange:
    """A content change as `catalogChanges` names one, with its event id; the product is null when
    the ERP no longer sells the SKU, or could not be read (the error is reported at `path`)."""
    if delivery.error is not None:
        context.report(path, delivery.error)
    product = delivery.figure if isinstance(delivery.figure, ErpProduct) else None
    return CatalogChange(sku=delivery.key, product=Product.of(product) if product else None,
                         removed=product is None and delivery.error is None, aspects=[ChangeAspect.CONTENT],
                         changed_at=delivery.event.at, event_id=strawberry.ID(str(delivery.event.id)))
