"""Sales orders in Odoo: made once per cart (`client_order_ref`), confirmed, and read back.

`create` makes a quotation; `action_confirm` makes it a sales order (stock reserved, delivery
planned), as Odoo's own shop does once an order is paid, and sets `date_order` to that moment:
an order's time is therefore its `create_date`, which nothing changes. A contact's country is
written as `country_id` (a `res.country` looked up by code): `country_code` is read-only and Odoo
keeps nothing given for it. Lines with a `display_type` (a section or a note, as Odoo's order form
adds them) carry no product and are left out of an order's lines.
"""

from __future__ import annotations

import logging
from adapters.odoo.changes import Records
from adapters.odoo.transports import NAME, OdooTransport
from adapters.odoo.values import ORDER_STATUSES, datetime_of, decimal_of, many2one_name, text_of
from domain.errors import MalformedPayload
from domain.records import Address, ErpOrder, OrderDraft, OrderLine, OrderStatus

log = logging.getLogger(__name__)
ORIGIN_PREFIX = "commerce-gateway:"  # sale.order.origin says which channel an order came from
ORDER_FIELDS = ["name", "state", "client_order_ref", "origin", "amount_total", "currency_id", "create_date",
                "order_line", "warehouse_id"]
UNCONFIRMED = ("draft", "sent")  # quotations: `action_confirm` makes them sales orders


def _channel_of(origin: object) -> str | None:
    return origin[len(ORIGIN_PREFIX):] if isinstance(origin, str) and origin.startswith(ORIGIN_PREFIX) else None


def like_literal(text: str) -> str:
    """`text` as a LIKE pattern matching only itself: Odoo hands `=like`/`=ilike` values to
    PostgreSQL as patterns, where `%` and `_` are wildcards and a backslash escapes (Odoo's own
    `escape_psql` does the same)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _address_terms(address: Address | None) -> dict[str, str | None]:
    """The address as a contact's fields to match it by (`country_code` is searchable, not writable)."""
    if address is None:
        return {}
    return {"street": address.street, "city": address.city, "zip": address.zip, "country_code": address.country_code}


class OdooOrders:
    """Mixed into the adapter: its `_records` does the calls; `_countries` keeps country ids by code."""

    transport: OdooTransport
    _records: Records
    _countries: dict[str, int | None]

    async def order_by_reference(self, reference: str) -> ErpOrder | None:
        rows = await self._records("sale.order", "search_read", domain=[["client_order_ref", "=", reference]],
                                   fields=ORDER_FIELDS, limit=1)
        return (await self._orders(rows))[0] if rows else None

    async def create_order(self, draft: OrderDraft) -> ErpOrder:
        partner_id, created = (draft.partner_erp_id, False) if draft.partner_erp_id else await self._partner(draft)
        shipping_id = partner_id if created or draft.address is None else await self._delivery(partner_id, draft)
        warehouse_id = None
        if draft.warehouse_code:
            found = await self._records("stock.warehouse", "search_read", domain=[["code", "=", draft.warehouse_code]],
                                        fields=["id"], limit=1)
            if not found:
                raise MalformedPayload(NAME, f"warehouse {draft.warehouse_code} is gone")
            warehouse_id = found[0]["id"]
        vals = {
            "partner_id": partner_id,
            "partner_shipping_id": shipping_id,
            "client_order_ref": draft.reference,
            "origin": f"{ORIGIN_PREFIX}{draft.channel}",
            "note": "\n".join(t for t in (draft.note, f"Payment: {draft.payment_reference}") if t),
            "order_line": [[0, 0, {"product_id": line.variant_erp_id, "product_uom_qty": line.quantity,
                                   "price_unit": float(line.unit_price)}] for line in draft.lines],
            **({"warehouse_id": warehouse_id} if warehouse_id else {}),
        }
        order_id = await self._create("sale.order", vals)
        # a confirmation that fails leaves a quotation under the cart's reference: a retry finds it
        return await self._confirmed(order_id)

    async def confirm_order(self, order: ErpOrder) -> ErpOrder:
        return await self._confirmed(order.erp_id) if order.state in UNCONFIRMED else order

    async def _confirmed(self, order_id: int) -> ErpOrder:
        await self.transport.call("sale.order", "action_confirm", ids=[order_id])
        rows = await self._records("sale.order", "read", ids=[order_id], fields=ORDER_FIELDS)
        if not rows:
            raise MalformedPayload(NAME, "the created sale.order cannot be read back")
        return (await self._orders(rows))[0]

    async def orders_of_customer(self, customer_id: str, limit: int) -> list[ErpOrder]:
        rows = await self._records("sale.order", "search_read", domain=[["partner_id.ref", "=", customer_id]],
                                   fields=ORDER_FIELDS, order="create_date desc, id desc", limit=limit)
        return await self._orders(rows)

    async def _partner(self, draft: OrderDraft) -> tuple[int, bool]:
        """The customer's contact, and whether it was created now: found by the gateway's customer id;
        for a guest, a guest contact (one without a customer reference: a guest's order never shows
        in a signed-in customer's orders) whose e-mail is exactly the draft's, in any letter case."""
        if draft.customer_id:
            domain: list = [["ref", "=", draft.customer_id]]
        else:
            domain = [["email", "=ilike", like_literal(draft.email)], ["ref", "=", False], ["parent_id", "=", False]]
        found = await self._records("res.partner", "search_read", domain=domain, fields=["id"], limit=1)
        if found:
            return found[0]["id"], False
        vals = {"name": draft.name, "email": draft.email, **({"ref": draft.customer_id} if draft.customer_id else {}),
                **await self._address_vals(draft.address)}
        return await self._create("res.partner", vals), True

    async def _delivery(self, partner_id: int, draft: OrderDraft) -> int:
        """The contact's delivery address equal to the draft's: the contact itself, a delivery
        address of it (`type` delivery, `parent_id` the contact), or one created now."""
        terms = [[name, "=", value or False] for name, value in _address_terms(draft.address).items()]
        found = await self._records("res.partner", "search_read", fields=["id"], limit=1, order="id desc",
                                    domain=["|", ["id", "=", partner_id], "&", ["parent_id", "=", partner_id],
                                            ["type", "=", "delivery"], *terms])
        if found:
            return found[0]["id"]
        return await self._create("res.partner", {"parent_id": partner_id, "type": "delivery", "name": draft.name,
                                                  **await self._address_vals(draft.address)})

    async def _address_vals(self, address: Address | None) -> dict[str, object]:
        """The address as a contact's writable fields."""
        if address is None:
            return {}
        country = await self._country_id(address.country_code) if address.country_code else None
        return {"street": address.street, "city": address.city, "zip": address.zip, "country_id": country or False}

    async def _country_id(self, code: str) -> int | None:
        code = code.upper()
        if code not in self._countries:
            found = await self._records("res.country", "search_read", domain=[["code", "=", code]], fields=["id"],
                                        limit=1)
            self._countries[code] = found[0]["id"] if found else None
            if not found:
                log.warning("Odoo has no country %s; contacts are made without one", code)
        return self._countries[code]

    async def _create(self, model: str, vals: dict) -> int:
        created = await self.transport.call(model, "create", vals_list=[vals])
        try:
            return int((created if isinstance(created, list) else [created])[0])
        except (TypeError, ValueError, IndexError) as exc:
            raise MalformedPayload(NAME, f"{model}.create answered {created!r:.80}") from exc

    async def _orders(self, rows: list[dict]) -> list[ErpOrder]:
        line_ids = [i for row in rows for i in row.get("order_line") or ()]
        lines = await self._records("sale.order.line", "read", ids=line_ids,
                                    fields=["order_id", "product_id", "display_type", "product_uom_qty",
                                            "price_unit"]) if line_ids else []
        try:
            by_order: dict[int, list[OrderLine]] = {}
            for line in lines:
                if line.get("display_type"):
                    continue  # a section or a note: no product
                by_order.setdefault(line["order_id"][0], []).append(OrderLine(
                    variant_erp_id=line["product_id"][0], sku=line["product_id"][1].split(" ")[0].strip("[]"),
                    quantity=int(decimal_of(line["product_uom_qty"])), unit_price=decimal_of(line["price_unit"])))
            return [ErpOrder(
                erp_id=row["id"], number=row["name"], state=row["state"],
                status=ORDER_STATUSES.get(row["state"], OrderStatus.UNKNOWN),
                reference=text_of(row.get("client_order_ref")), channel=_channel_of(row.get("origin")),
                total=decimal_of(row["amount_total"]), currency=many2one_name(row.get("currency_id")) or "EUR",
                created_at=datetime_of(row.get("create_date")), lines=tuple(by_order.get(row["id"], ())),
                warehouse_code=None) for row in rows]
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise MalformedPayload(NAME, f"sale.order is incomplete ({exc})") from exc
