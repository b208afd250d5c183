"""Saved-list types: lists, their items with what was saved with them, and the mutations' payload."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from domain import carts as domain_carts
from domain.lists import ListOutcome
from domain.lists import SavedItem as SavedItemRecord
from domain.lists import SavedList as SavedListRecord
from domain.errors import BadUserInput
from resolvers.catalog import MAX_PAGE
from resolvers.lists.ids import item_global_id, list_ref
from schema.carts.types import Cart
from schema.catalog.enums import ChannelCode
from schema.catalog.types import Money, Variant
from schema.context import ctx
from schema.lists.codes import ListErrorCode, ListWarningCode
from schema.node import Node
from schema.scalars import CurrencyCode
from schema.user_errors import UserError, field_path, member


@strawberry.type(description="A saved variant, with what its channel showed when it was saved: what reminders "
                             "compare today's price and stock with.")
class SavedItem(Node):
    record: strawberry.Private[SavedItemRecord]

    @classmethod
    def of(cls, list_id: str, record: SavedItemRecord) -> SavedItem:
        return cls(id=strawberry.ID(item_global_id(list_id, record.item_id)), record=record)

    @strawberry.field(description="Null only when the ERP no longer sells the variant.")
    async def merchandise(self, info: Info) -> Variant | None:
        variant = await ctx(info).loaders.variant_by_sku.load(self.record.sku)
        return Variant.of(variant) if variant else None

    @strawberry.field
    def added_at(self) -> datetime:
        return self.record.added_at

    @strawberry.field(description="The channel it was saved from: its price and stock are that channel's.")
    def channel(self) -> ChannelCode:
        return ChannelCode(self.record.channel)

    @strawberry.field(description="Its price in that channel when saved; null when it could not be read then.")
    def price_when_saved(self) -> Money | None:
        price, currency = self.record.price_when_saved, self.record.currency
        return Money(amount=price, currency_code=CurrencyCode(currency)) if price is not None and currency else None

    @strawberry.field(description="Units in stock in that channel when saved, to a caller who may read stock; null "
                                  "when it could not be read (or not by the key that saved it).")
    def stock_when_saved(self, info: Info) -> int | None:
        return self.record.stock_when_saved if ctx(info).sees_stock else None


@strawberry.type(description="A wishlist; the default one is \"Saved for later\". The same on every channel.")
class SavedList(Node):
    record: strawberry.Private[SavedListRecord]

    @classmethod
    def of(cls, record: SavedListRecord) -> SavedList:
        return cls(id=strawberry.ID(list_ref(record.list_id)), record=record)

    @strawberry.field
    def name(self) -> str:
        return self.record.name

    @strawberry.field(description="Goes up by one with every change; pass it as `expectedVersion`.")
    def version(self) -> int:
        return self.record.version

    @strawberry.field(name="default", description="The customer's \"Saved for later\", where "
                                                  "`cartLinesSaveForLater` moves lines.")
    def is_default(self) -> bool:
        return self.record.default

    @strawberry.field(description="Oldest first.")
    def items(self, info: Info, first: int = 100) -> list[SavedItem]:
        most = max(MAX_PAGE, ctx(info).services.list_rules.max_items)
        if not 1 <= first <= most:
            raise BadUserInput(f"`first` must be between 1 and {most}, got {first}")
        return [SavedItem.of(self.record.list_id, i) for i in self.record.items[:first]]

    @strawberry.field
    def total_items(self) -> int:
        return len(self.record.items)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.record.created_at

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.record.updated_at


@strawberry.type(description="Why a saved-list mutation changed nothing.")
class ListUserError(UserError):
    code: ListErrorCode

    @classmethod
    def of(cls, error: domain_carts.UserError) -> ListUserError:
        return cls(code=member(ListErrorCode, error.code), message=error.message, field=field_path(error.field))


@strawberry.type(description="Something a saved-list mutation did not do as asked; the rest was done.")
class ListWarning:
    code: ListWarningCode
    message: str


@strawberry.type
class ListPayload:
    saved_list: SavedList | None = strawberry.field(name="list")
    cart: Cart | None = strawberry.field(description="The cart a move changed (cartLinesSaveForLater, "
                                                     "listItemsMoveToCart); null for other mutations.")
    user_errors: list[ListUserError]
    warnings: list[ListWarning]

    @classmethod
    def of(cls, outcome: ListOutcome) -> ListPayload:
        return cls(saved_list=SavedList.of(outcome.saved_list) if outcome.saved_list else None,
                   cart=Cart.of(outcome.cart) if outcome.cart else None,
                   user_errors=[ListUserError.of(e) for e in outcome.user_errors],
                   warnings=[ListWarning(code=member(ListWarningCode, w.code), message=w.message)
                             for w in outcome.warnings])
