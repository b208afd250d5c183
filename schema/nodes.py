"""`node` and `nodes`: refetch any object by its global ID, for normalized client caches.

Each kind keeps its own rules: catalog objects need `catalog:read`; a cart needs `cart:write`
and is found as `cart(id:)` finds it (a customer's only with their token); a customer is only
the signed-in one, with any scope of the customer's data; a saved list and its items need
`lists:write` and are found as a list is (a guest's by ID alone, a customer's only with their token).
Cart lines and orders are refetched through their cart and customer."""

from __future__ import annotations

import asyncio

import strawberry
from strawberry.types import Info

from domain.api_keys import Scope
from resolvers import catalog, global_ids
from resolvers.carts.changes import find_cart
from resolvers.lists.ids import item_key
from resolvers.lists.unit_of_work import ListUnitOfWork
from schema.carts.types import Cart
from schema.customers.types import CUSTOMER_SCOPES, Customer
from schema.lists.types import SavedItem, SavedList
from schema.catalog.query import as_node
from schema.context import ctx
from schema.node import Node
from schema.scopes import missing_scope, needs

SCOPES = {
    "Product": frozenset({Scope.CATALOG_READ}), "Variant": frozenset({Scope.CATALOG_READ}),
    "Store": frozenset({Scope.CATALOG_READ}), "Cart": frozenset({Scope.CART_WRITE}),
    "Customer": frozenset(CUSTOMER_SCOPES), "SavedList": frozenset({Scope.LISTS_WRITE}),
    "SavedItem": frozenset({Scope.LISTS_WRITE}),
}
ANY_NODE_SCOPE = (Scope.CATALOG_READ, *CUSTOMER_SCOPES)


async def _find(info: Info, global_id: str, path: list[str | int]) -> Node | None:
    kind, key = global_ids.decode(global_id)
    needed = SCOPES.get(kind)
    if needed is None:
        return None  # a cart line or an order: refetched through its cart or customer
    if ctx(info).scopes.isdisjoint(needed):
        ctx(info).report(path, missing_scope(f"a {kind}", needed))
        return None
    if kind == "Cart":
        found = await find_cart(ctx(info), global_id)
        return Cart.of(found) if found else None
    if kind == "SavedList":
        saved = await ListUnitOfWork(ctx(info)).read(key)
        return SavedList.of(saved) if saved else None
    if kind == "SavedItem":
        where = item_key(global_id)
        owner = await ListUnitOfWork(ctx(info)).read(where[0]) if where else None
        item = owner.item(where[1]) if owner and where else None
        return SavedItem.of(owner.list_id, item) if owner and item else None
    if kind == "Customer":
        return Customer(id=strawberry.ID(global_id), customer_id=key) if key == ctx(info).customer_id else None
    return as_node(await catalog.find_node(ctx(info), global_id))


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Refetches any object by its global ID.", extensions=[needs(*ANY_NODE_SCOPE)])
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await _find(info, id, info.path.as_list())

    @strawberry.field(description="Refetches objects by global ID, in order; null where none exists.",
                      extensions=[needs(*ANY_NODE_SCOPE)])
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > catalog.MAX_PAGE:
            catalog.check_first(len(ids), "ids")
        path = info.path.as_list()
        return list(await asyncio.gather(*(_find(info, i, [*path, n]) for n, i in enumerate(ids))))
