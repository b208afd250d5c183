"""Odoo's sales orders as a change feed, for recommendations: `sale.order` by `write_date`, paged to
the second as the catalog's feeds are (adapters/odoo/changes.py), every state (a confirmed order
counts, one cancelled later no longer does), with each order's customer (`res.partner.ref`, the
gateway's customer id, as orders are made and found by it) and the product templates of its lines.
A page costs four calls whatever its size: the orders, their lines, the lines' variants' templates
(read with archived ones: an order keeps a product that is no longer sold) and the contacts.
"""

from __future__ import annotations

from datetime import datetime

from adapters.odoo.changes import Records, Source, read_rows
from adapters.odoo.orders import _channel_of
from adapters.odoo.transports import NAME
from domain.errors import MalformedPayload
from domain.records import ChangeMark
from domain.recommendations import OrderEvent

ORDERS = Source("sale.order", [], ["state", "partner_id", "origin", "order_line"])


def _id_of(many2one: object) -> int | None:
    return many2one[0] if isinstance(many2one, list) and many2one and isinstance(many2one[0], int) else None


class OdooOrderFeed:
    """Mixed into the adapter: its `_records` does the calls."""

    _records: Records

    async def order_changes(self, after: ChangeMark | None, until: datetime, limit: int) -> list[OrderEvent]:
        found = await read_rows(self._records, ORDERS, after, until, limit)
        try:
            line_ids = sorted({i for _, row in found for i in row.get("order_line") or ()})
            lines = await self._records("sale.order.line", "read", ids=line_ids,
                                        fields=["order_id", "product_id", "display_type"]) if line_ids else []
            variant_of_line = {line["id"]: _id_of(line["product_id"]) for line in lines if not line.get("display_type")}
            variant_ids = sorted({v for v in variant_of_line.values() if v is not None})
            variants = await self._records("product.product", "read", ids=variant_ids, fields=["product_tmpl_id"],
                                           context={"active_test": False}) if variant_ids else []
            template_of = {v["id"]: _id_of(v["product_tmpl_id"]) for v in variants}
            partner_ids = sorted({p for _, row in found if (p := _id_of(row.get("partner_id"))) is not None})
            partners = await self._records("res.partner", "read", ids=partner_ids,
                                           fields=["ref"]) if partner_ids else []
            ref_of = {p["id"]: p["ref"] for p in partners if isinstance(p.get("ref"), str) and p["ref"]}
            events = []
            for at, row in found:
                templates = (template_of.get(variant_of_line.get(i)) for i in row.get("order_line") or ())
                events.append(OrderEvent(
                    order_id=row["id"], at=at, state=str(row["state"]), channel=_channel_of(row.get("origin")),
                    customer_id=ref_of.get(_id_of(row.get("partner_id"))),
                    product_ids=frozenset(t for t in templates if t is not None)))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise MalformedPayload(NAME, f"sale.order change is incomplete ({exc})") from exc
        return sorted(events, key=lambda e: (e.at, e.order_id))
