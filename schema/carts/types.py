"""Cart types: the stored cart, priced for the operation's channel when read."""

from __future__ import annotations

import asyncio
from datetime import datetime

import strawberry
from strawberry.types import Info

from domain import carts as domain_carts
from domain.carts import Cart as CartRecord
from domain.errors import BackendError
from domain.customers import HistoryOrder, history_of_erp
from domain.records import ErpOrder
from domain.records import OrderStatus as DomainOrderStatus
from resolvers import catalog, global_ids
from resolvers.carts import cost as cart_cost
from resolvers.carts.cost import PricedCart, PricedLine
from resolvers.carts.ids import line_global_id
from schema.carts.codes import CartErrorCode, CartWarningCode, CheckoutErrorCode
from schema.catalog.enums import ChannelCode
from schema.catalog.types import Attribute, Money, Variant
from schema.context import ctx
from schema.node import Node
from schema.scalars import CurrencyCode
from schema.user_errors import UserError, field_path, member


_AVAILABLE = ("INSUFFICIENT_STOCK: the units left for this cart (the channel's stock less what other carts hold), "
              "for a caller with the stock:read scope; null otherwise.")


@strawberry.type(description="Why a cart mutation changed nothing.")
class CartUserError(UserError):
    code: CartErrorCode
    available: int | None = strawberry.field(default=None, description=_AVAILABLE)

    @classmethod
    def of(cls, error: domain_carts.UserError) -> CartUserError:
        return cls(code=member(CartErrorCode, error.code), message=error.message, field=field_path(error.field),
                   available=error.available)


@strawberry.type(description="Why a checkout placed no order.")
class CheckoutUserError(UserError):
    code: CheckoutErrorCode
    available: int | None = strawberry.field(default=None, description=_AVAILABLE)

    @classmethod
    def of(cls, error: domain_carts.UserError) -> CheckoutUserError:
        return cls(code=member(CheckoutErrorCode, error.code), message=error.message, field=field_path(error.field),
                   available=error.available)


@strawberry.type(description="Something about the cart the shopper should know; the cart is still usable.")
class CartWarning:
    code: CartWarningCode
    message: str
    target: strawberry.ID | None = strawberry.field(description="The CartLine it concerns, if one.")


@strawberry.type
class CartCost:
    subtotal_amount: Money
    discount_amount: Money
    total_amount: Money


@strawberry.type
class CartDiscountCode:
    code: str
    applicable: bool = strawberry.field(description="Whether it lowers this cart's cost now.")


@strawberry.type
class CartLineCost:
    amount_per_quantity: Money | None
    total_amount: Money | None


@strawberry.type
class CartLine(Node):
    priced: strawberry.Private[PricedLine]

    @strawberry.field(description="Null only when the ERP no longer sells the variant (with a warning).")
    def merchandise(self) -> Variant | None:
        return Variant.of(self.priced.variant) if self.priced.variant else None

    @strawberry.field
    def quantity(self) -> int:
        return self.priced.line.quantity

    @strawberry.field
    def cost(self) -> CartLineCost:
        return CartLineCost(amount_per_quantity=Money.of(self.priced.unit_price),
                            total_amount=Money.of(self.priced.total))

    @strawberry.field
    def attributes(self) -> list[Attribute]:
        return [Attribute(key=a.key, value=a.value) for a in self.priced.line.attributes]


@strawberry.type(description="One cart for every channel; priced for the operation's channel when read.")
class Cart(Node):
    record: strawberry.Private[CartRecord]
    pricing: strawberry.Private[dict]

    @classmethod
    def of(cls, record: CartRecord) -> Cart:
        return cls(id=strawberry.ID(global_ids.encode("Cart", record.cart_id)), record=record, pricing={})

    async def _priced(self, info: Info) -> PricedCart:
        """Priced once per operation, however many fields read it. When a backend fails, the cart
        still shows, at the prices its lines were added at, with the backend's error."""
        if "task" not in self.pricing:
            async def price() -> PricedCart:
                try:
                    return await cart_cost.price_cart(ctx(info), self.record)
                except BackendError as exc:
                    ctx(info).report(info.path.as_list(), exc)
                    return cart_cost.as_added(self.record, ctx(info).rules.currency)

            self.pricing["task"] = asyncio.ensure_future(price())
        return await self.pricing["task"]

    @strawberry.field(description="Goes up by one with every change; pass it as `expectedVersion`.")
    def version(self) -> int:
        return self.record.version

    @strawberry.field(description="Where the cart was created.")
    def channel(self) -> ChannelCode:
        return ChannelCode(self.record.channel)

    @strawberry.field
    async def lines(self, info: Info, first: int = 100) -> list[CartLine]:
        catalog.check_first(first, "first")
        priced = await self._priced(info)
        return [CartLine(id=strawberry.ID(line_global_id(self.record, p.line.line_id)), priced=p)
                for p in priced.lines[:first]]

    @strawberry.field
    def total_quantity(self) -> int:
        return self.record.total_quantity

    @strawberry.field(description="In the operation's channel and currency.")
    async def cost(self, info: Info) -> CartCost:
        priced = await self._priced(info)
        return CartCost(subtotal_amount=Money.of(priced.subtotal), discount_amount=Money.of(priced.discount),
                        total_amount=Money.of(priced.total))

    @strawberry.field(description="Where the cart no longer matches what was added: prices, stock, items.")
    async def warnings(self, info: Info) -> list[CartWarning]:
        priced = await self._priced(info)
        return [_warning(self.record, w) for w in priced.warnings]

    @strawberry.field
    def buyer_identity(self) -> CartBuyerIdentity:
        customer = self.record.customer_id
        return CartBuyerIdentity(customer_id=strawberry.ID(global_ids.encode("Customer", customer))
                                 if customer else None)

    @strawberry.field(description="The web-shop's coupons on this cart.")
    async def discount_codes(self, info: Info) -> list[CartDiscountCode]:
        priced = await self._priced(info)
        return [CartDiscountCode(code=c.code, applicable=c.applicable) for c in priced.codes]

    @strawberry.field
    def note(self) -> str | None:
        return self.record.note

    @strawberry.field
    def attributes(self) -> list[Attribute]:
        return [Attribute(key=a.key, value=a.value) for a in self.record.attributes]

    @strawberry.field
    def created_at(self) -> datetime:
        return self.record.created_at

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.record.updated_at


def _warning(cart: CartRecord, warning: domain_carts.CartWarning) -> CartWarning:
    target = line_global_id(cart, warning.line_id) if warning.line_id else None
    return CartWarning(code=member(CartWarningCode, warning.code), message=warning.message,
                       target=strawberry.ID(target) if target else None)


@strawberry.type
class CartPayload:
    cart: Cart | None
    user_errors: list[CartUserError]
    warnings: list[CartWarning] = strawberry.field(
        description="About what this change did (a quantity it capped, an item it could not move).")

    @classmethod
    def of(cls, outcome: domain_carts.CartOutcome) -> CartPayload:
        cart = outcome.cart
        return cls(cart=Cart.of(cart) if cart else None,
                   user_errors=[CartUserError.of(e) for e in outcome.user_errors],
                   warnings=[_warning(cart, w) for w in outcome.warnings] if cart else [])


@strawberry.type
class OrderLine:
    sku: str | None = strawberry.field(description="Null when the system that took the order kept no SKU.")
    title: str | None
    quantity: int
    unit_price: Money


OrderStatus = DomainOrderStatus
strawberry.enum(DomainOrderStatus, name="OrderStatus",
                description="Every system's order statuses on one scale (README: Customer profile and order "
                            "history); `systemStatus` is the status as the system says it.")


@strawberry.type(description="An order, as the system that took it keeps it (the ERP for the gateway's own).")
class Order(Node):
    record: strawberry.Private[HistoryOrder]

    @classmethod
    def of(cls, record: HistoryOrder | ErpOrder, erp: str = "") -> Order:
        """`erp`: the ERP's name, for an order the ERP answered (checkout)."""
        if isinstance(record, ErpOrder):
            return cls(id=strawberry.ID(global_ids.encode("Order", record.number)), record=history_of_erp(record, erp))
        key = record.number if record.backend == erp else f"{record.backend}:{record.key}"
        return cls(id=strawberry.ID(global_ids.encode("Order", key)), record=record)

    @strawberry.field(description="The order's number in the system that took it.")
    def number(self) -> str:
        return self.record.number

    @strawberry.field(description="The status on one scale, whichever system keeps the order.")
    def status(self) -> OrderStatus:
        return self.record.status

    @strawberry.field(description="The status in the words of the system that keeps the order.")
    def system_status(self) -> str:
        return self.record.system_status

    @strawberry.field(description="The backend holding this order (as `sources` name backends).")
    def system(self) -> str:
        return self.record.backend

    @strawberry.field(description="Where it was placed; null when no system says.")
    def channel(self) -> ChannelCode | None:
        codes = {c.value for c in ChannelCode}
        return ChannelCode(self.record.channel) if self.record.channel in codes else None

    @strawberry.field
    def lines(self) -> list[OrderLine]:
        return [OrderLine(sku=line.sku, title=line.title, quantity=line.quantity,
                          unit_price=Money(amount=line.unit_price, currency_code=CurrencyCode(self.record.currency)))
                for line in self.record.lines]

    @strawberry.field
    def total_amount(self) -> Money:
        return Money(amount=self.record.total, currency_code=CurrencyCode(self.record.currency))

    @strawberry.field
    def created_at(self) -> datetime:
        return self.record.created_at


@strawberry.type
class CheckoutPayload:
    order: Order | None
    cart: Cart | None
    user_errors: list[CheckoutUserError]


@strawberry.type
class CartBuyerIdentity:
    customer_id: strawberry.ID | None
