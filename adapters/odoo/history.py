"""A customer's orders in Odoo for the order history: `sale.order` of the contact whose `ref` is the
customer id, newest first by `create_date`.

An order another system took reaches Odoo through a connector, which keeps that system's order
number on the copy: here `link_field` (`client_order_ref` by default, or `origin`) holds
`<prefix><number>`, one prefix per channel (`WC-1042` for web-shop order 1042). The history asks
Odoo to leave out the copies of the channels whose own system it reads too (the `hide` channels):
`'|', (field, '=', False), '!', (field, '=like', 'WC-%')` (a negated `=like` alone would drop the
orders without a reference, as SQL's NOT of NULL is not true).

Odoo compares `create_date` in domains to the second (19) or to the microsecond (18 and older), and
reads it to the second: a window asks `< the next second` of its bound, which both answer alike,
and leaves out by id the orders of that second already shown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import timedelta

from adapters.odoo.changes import Records, _stamp
from adapters.odoo.orders import ORDER_FIELDS, like_literal
from adapters.odoo.transports import NAME
from adapters.odoo.values import text_of
from domain.customers import HistoryLine, HistoryOrder, OrderWindow
from domain.errors import MalformedPayload
from domain.records import ErpOrder


class OdooOrderHistory:
    """Mixed into the adapter: `_orders` (OdooOrders') reads the lines; `order_links` maps each
    channel to the prefix of its orders' references in `link_field`."""

    _records: Records
    _orders: Callable[[list[dict]], Awaitable[list[ErpOrder]]]
    link_field: str
    order_links: Mapping[str, str]

    async def order_history(self, customer_id: str, window: OrderWindow, hide: Collection[str]) -> list[HistoryOrder]:
        domain: list = [["partner_id.ref", "=", customer_id]]
        if window.until is not None:
            domain.append(["create_date", "<", _stamp(window.until + timedelta(seconds=1))])
        if window.seen:
            domain.append(["id", "not in", sorted(int(key) for key in window.seen if key.isdigit())])
        for channel in hide:
            if prefix := self.order_links.get(channel):
                domain += ["|", [self.link_field, "=", False], "!", [self.link_field, "=like",
                                                                   like_literal(prefix) + "%"]]
        rows = await self._records("sale.order", "search_read", domain=domain,
                                   fields=sorted({*ORDER_FIELDS, self.link_field}),
                                   order="create_date desc, id desc", limit=window.limit)
        links = {row.get("id"): text_of(row.get(self.link_field)) for row in rows}
        return [self._history_order(order, links.get(order.erp_id)) for order in await self._orders(rows)]

    def _history_order(self, order: ErpOrder, link: str | None) -> HistoryOrder:
        if order.created_at is None:
            raise MalformedPayload(NAME, f"sale.order {order.erp_id} has no create_date")
        linked = next((channel for channel, prefix in self.order_links.items()
                       if link and prefix and link.startswith(prefix)), None)
        return HistoryOrder(backend=NAME, key=str(order.erp_id), number=order.number,
                            status=order.status, system_status=order.state,
                            channel=order.channel or linked, created_at=order.created_at, total=order.total,
                            currency=order.currency,
                            lines=tuple(HistoryLine(line.sku, None, line.quantity, line.unit_price) for line in order.lines),
                            links=(link,) if linked and link else ())
