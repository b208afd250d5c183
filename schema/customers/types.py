"""The signed-in customer and what hangs off them. Each field checks its own scope, so a key with
`cart:write` alone reads the cart and nothing else of the customer."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from domain.api_keys import Scope
from resolvers import profile, recommendations
from resolvers.lists.changes import lists_of
from schema.carts.types import Cart
from schema.catalog.types import Recommendation
from schema.context import ctx, guarded
from schema.customers.orders import OrderConnection, order_connection
from schema.customers.profile import CustomerProfile, profile_of
from schema.lists.types import SavedList
from schema.node import Node
from schema.scopes import needs

# any of these lets a key reach `me` (and a Customer node); each field then asks for its own
CUSTOMER_SCOPES = (Scope.CART_WRITE, Scope.ORDERS_READ, Scope.PROFILE_READ, Scope.LISTS_WRITE,
                   Scope.NOTIFICATIONS_READ)


@strawberry.type(description="The signed-in customer, from the bearer token.")
class Customer(Node):
    customer_id: strawberry.Private[str]

    @strawberry.field(description="The customer's active cart, the same from every channel.",
                      extensions=[needs(Scope.CART_WRITE)])
    async def cart(self, info: Info) -> Cart | None:
        found = await ctx(info).cart_store.active_for_customer(self.customer_id)
        return Cart.of(found) if found else None

    @strawberry.field(description="The customer's orders in every system that takes them, newest first, each once "
                                  "(README: Customer profile and order history).",
                      extensions=[needs(Scope.ORDERS_READ)])
    async def orders(self, info: Info, first: int, after: str | None = None) -> OrderConnection | None:
        return await order_connection(info, first, after)

    @strawberry.field(description="Who the customer is, merged from the backends.",
                      extensions=[needs(Scope.PROFILE_READ)])
    async def profile(self, info: Info) -> CustomerProfile | None:
        return profile_of(info, await profile.profile(ctx(info)))

    @strawberry.field(description="The customer's saved lists, the same from every channel; their default "
                      "\"Saved for later\" first (made the first time it is asked for).",
                      extensions=[needs(Scope.LISTS_WRITE)])
    async def lists(self, info: Info) -> list[SavedList]:
        return [SavedList.of(s) for s in await lists_of(ctx(info), self.customer_id)]

    @strawberry.field(description="Products for this customer, from what they bought, saved and hold in their cart "
                                  "in every channel, leaving out what they have; the channel's most ordered ones "
                                  "when there is little to go on. Sold and in stock in the operation's channel; "
                                  "`first` is 1..100.",
                      extensions=[needs(Scope.PROFILE_READ)])
    async def recommendations(self, info: Info, first: int) -> list[Recommendation]:
        found = await guarded(info, recommendations.for_customer(ctx(info), self.customer_id, first), [])
        return [Recommendation.of(r) for r in found]
