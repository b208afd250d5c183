"""The customer's order history as a connection."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers import order_history
from schema.carts.types import Order
from schema.catalog.types import PageInfo
from schema.context import ctx


@strawberry.type
class OrderEdge:
    cursor: str
    node: Order


@strawberry.type(description="Orders of every system, newest first, each order once.")
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[Order]:
        return [edge.node for edge in self.edges]


async def order_connection(info: Info, first: int, after: str | None) -> OrderConnection:
    context = ctx(info)
    page = await order_history.history(context, first, after)
    for failure in page.failures:
        context.report(info.path.as_list(), failure)
    erp = context.services.backends.erp.name
    edges = [OrderEdge(cursor=cursor, node=Order.of(order, erp)) for order, cursor in page.orders]
    return OrderConnection(edges=edges, page_info=PageInfo(
        has_next_page=page.has_next, has_previous_page=page.has_previous,
        start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))
