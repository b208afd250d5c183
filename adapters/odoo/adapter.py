"""Odoo as the ERP: assortment and SKUs, list and channel prices, stock per location.

Every method is one ORM call (`search_read` or `read`) for the whole batch, with
domains such as `[('default_code', 'in', skus)]`, whichever transport is set.
Products are `product.template` records whose Internal Reference (`default_code`)
is the product SKU; variants are `product.product` records with their own SKU.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from adapters.http import require
from adapters.odoo.changes import OdooChangeFeeds
from adapters.odoo.pricelists import channel_prices, pricelist_changes
from adapters.odoo.transports import NAME, OdooTransport
from domain.errors import MalformedPayload
from domain.ports import Clock, utc_now
from domain.records import (
    Address,
    ChangeMark,
    ErpOrder,
    ErpProduct,
    ErpVariant,
    GeoPoint,
    OrderDraft,
    OrderLine,
    PriceListEntry,
    ProductPage,
    ProductQuery,
    ProductSortKey,
    RecordChange,
    StockQuant,
    VariantOption,
    Warehouse,
)

SORT_FIELDS = {ProductSortKey.ID: "id", ProductSortKey.TITLE: "name", ProductSortKey.PRICE: "list_price",
               ProductSortKey.UPDATED_AT: "write_date"}
VARIANT_FIELDS = ["default_code", "barcode", "product_tmpl_id", "lst_price",
                  "product_template_attribute_value_ids", "write_date"]


def _datetime(raw: object) -> datetime | None:
    if not raw:
        return None
    # Odoo writes "YYYY-MM-DD HH:MM:SS" in UTC; fromisoformat reads it, and far faster than strptime
    return datetime.fromisoformat(str(raw)).replace(tzinfo=UTC)


def _text(raw: object) -> str | None:
    return raw if isinstance(raw, str) and raw else None


def _many2one_name(raw: object) -> str | None:
    return raw[1] if isinstance(raw, list) and len(raw) == 2 else None


def _decimal(raw: object) -> Decimal:
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        return Decimal(raw)
    raise MalformedPayload(NAME, f"{raw!r} is not a number")


ORIGIN_PREFIX = "commerce-gateway:"  # sale.order.origin says which channel an order came from


def _channel_of(origin: object) -> str | None:
    return origin[len(ORIGIN_PREFIX):] if isinstance(origin, str) and origin.startswith(ORIGIN_PREFIX) else None



def like_literal(text: str) -> str:
    """`text` as a LIKE pattern matching only itself: Odoo hands `=like`/`=ilike` values to
    PostgreSQL as patterns, where `%` and `_` are wildcards and a backslash escapes (Odoo's own
    `escape_psql` does the same)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _address_vals(address: Address | None) -> dict[str, str | None]:
    if address is None:
        return {}
    return {"street": address.street, "city": address.city, "zip": address.zip, "country_code": address.country_code}

class OdooAdapter(OdooChangeFeeds):
    name = NAME

    def __init__(self, transport: OdooTransport, *, brand_field: str | None = "product_brand_id",
                 clock: Clock = utc_now) -> None:
        self.transport = transport
        self.clock = clock  # now, for the pricelist rules' dates
        self.brand_field = brand_field or None
        self.template_fields = ["name", "default_code", "barcode", "list_price", "categ_id", "description_sale",
                                "write_date", "product_variant_ids", *([self.brand_field] if self.brand_field else [])]

    async def _records(self, model: str, method: str, **kwargs: Any) -> list[dict]:
        rows = require(NAME, await self.transport.call(model, method, **kwargs), list, f"a list of {model} records")
        return [require(NAME, row, dict, f"a {model} record") for row in rows]

    def _product(self, row: dict) -> ErpProduct:
        try:
            category = _many2one_name(row.get("categ_id"))
            return ErpProduct(
                erp_id=row["id"],
                sku=row["default_code"],
                title=row["name"],
                gtin=_text(row.get("barcode")),
                list_price=_decimal(row["list_price"]),
                category=category.rsplit(" / ", 1)[-1] if category else None,
                brand=_many2one_name(row.get(self.brand_field)) if self.brand_field else None,
                description=_text(row.get("description_sale")),
                updated_at=_datetime(row.get("write_date")),
                variant_ids=tuple(row.get("product_variant_ids") or ()),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedPayload(NAME, f"product.template {row.get('id')!r} is incomplete ({exc})") from exc

    @staticmethod
    def _variant(row: dict) -> ErpVariant:
        try:
            return ErpVariant(
                erp_id=row["id"],
                sku=row["default_code"],
                gtin=_text(row.get("barcode")),
                product_erp_id=row["product_tmpl_id"][0],
                list_price=_decimal(row["lst_price"]),
                option_value_ids=tuple(row.get("product_template_attribute_value_ids") or ()),
                updated_at=_datetime(row.get("write_date")),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise MalformedPayload(NAME, f"product.product {row.get('id')!r} is incomplete ({exc})") from exc

    def _domain(self, query: ProductQuery) -> list:
        domain: list = [("default_code", "!=", False), ("sale_ok", "=", True)]
        if query.text:
            domain += ["|", ("name", "ilike", query.text), ("default_code", "ilike", query.text)]
        if query.category:
            domain.append(("categ_id.name", "=ilike", query.category))
        if query.brand and self.brand_field:
            domain.append((f"{self.brand_field}.name", "=ilike", query.brand))
        if query.in_stock is not None:
            domain.append(("qty_available", ">" if query.in_stock else "<=", 0))
        if query.min_price is not None:
            domain.append(("list_price", ">=", float(query.min_price)))
        if query.max_price is not None:
            domain.append(("list_price", "<=", float(query.max_price)))
        return [list(t) if isinstance(t, tuple) else t for t in domain]

    async def search_products(self, query: ProductQuery) -> ProductPage:
        direction = "desc" if query.reverse else "asc"
        order = f"{SORT_FIELDS[query.sort_key]} {direction}, id {direction}"
        context = {"location": list(query.stock_location_ids)} if query.stock_location_ids else {}
        rows = await self._records("product.template", "search_read", domain=self._domain(query),
                                   fields=self.template_fields, offset=query.offset, limit=query.limit + 1,
                                   order=order, context=context)
        products = tuple(self._product(r) for r in rows[: query.limit])
        return ProductPage(products=products, has_more=len(rows) > query.limit)

    async def count_products(self, query: ProductQuery) -> int:
        context = {"location": list(query.stock_location_ids)} if query.stock_location_ids else {}
        count = await self.transport.call("product.template", "search_count", domain=self._domain(query),
                                          context=context)
        return require(NAME, count, int, "a count")

    async def products_by_sku(self, skus: Sequence[str]) -> list[ErpProduct]:
        rows = await self._records("product.template", "search_read", domain=[["default_code", "in", list(skus)]],
                                   fields=self.template_fields)
        return [self._product(r) for r in rows]

    async def products_by_id(self, ids: Sequence[int]) -> list[ErpProduct]:
        rows = await self._records("product.template", "read", ids=list(ids), fields=self.template_fields)
        return [self._product(r) for r in rows]

    async def _variants(self, domain: list) -> list[ErpVariant]:
        rows = await self._records("product.product", "search_read", domain=domain, fields=VARIANT_FIELDS)
        return [self._variant(r) for r in rows]

    async def variants_by_gtin(self, gtins: Sequence[str]) -> list[ErpVariant]:
        return await self._variants([["barcode", "in", list(gtins)]])

    async def variants_by_sku(self, skus: Sequence[str]) -> list[ErpVariant]:
        return await self._variants([["default_code", "in", list(skus)]])

    async def variants_of(self, product_ids: Sequence[int]) -> list[ErpVariant]:
        return await self._variants([["product_tmpl_id", "in", list(product_ids)]])

    async def variant_options(self, value_ids: Sequence[int]) -> list[VariantOption]:
        rows = await self._records("product.template.attribute.value", "read", ids=list(value_ids),
                                   fields=["name", "attribute_id"])
        try:
            return [VariantOption(erp_id=r["id"], name=r["attribute_id"][1], value=r["name"]) for r in rows]
        except (KeyError, TypeError, IndexError) as exc:
            raise MalformedPayload(NAME, f"attribute value is incomplete ({exc})") from exc

    async def price_list_entries(self, pricelist_id: int, variant_ids: Sequence[int]) -> list[PriceListEntry]:
        return await channel_prices(self._records, pricelist_id, variant_ids, self.clock())

    async def price_list_changes(self, pricelist_id: int, after: ChangeMark | None, until: datetime,
                                 limit: int) -> list[RecordChange]:
        return await pricelist_changes(self._records, pricelist_id, after, until, limit)

    async def stock_quants(self, variant_ids: Sequence[int], location_ids: Sequence[int]) -> list[StockQuant]:
        rows = await self._records(
            "stock.quant", "search_read",
            domain=[["product_id", "in", list(variant_ids)], ["location_id", "child_of", list(location_ids)]],
            fields=["product_id", "location_id", "quantity", "reserved_quantity"])
        try:
            return [StockQuant(variant_erp_id=r["product_id"][0], location_erp_id=r["location_id"][0],
                               quantity=_decimal(r["quantity"]), reserved=_decimal(r.get("reserved_quantity") or 0))
                    for r in rows]
        except (KeyError, TypeError, IndexError) as exc:
            raise MalformedPayload(NAME, f"stock.quant is incomplete ({exc})") from exc

    ORDER_FIELDS = ["name", "state", "client_order_ref", "origin", "amount_total", "currency_id", "date_order",
                    "order_line", "warehouse_id"]

    async def order_by_reference(self, reference: str) -> ErpOrder | None:
        rows = await self._records("sale.order", "search_read", domain=[["client_order_ref", "=", reference]],
                                   fields=self.ORDER_FIELDS, limit=1)
        return (await self._orders(rows))[0] if rows else None

    async def create_order(self, draft: OrderDraft) -> ErpOrder:
        partner_id, created = await self._partner(draft)
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
        created = await self.transport.call("sale.order", "create", vals_list=[vals])
        ids = created if isinstance(created, list) else [created]
        rows = await self._records("sale.order", "read", ids=ids, fields=self.ORDER_FIELDS)
        if not rows:
            raise MalformedPayload(NAME, "the created sale.order cannot be read back")
        return (await self._orders(rows))[0]

    async def orders_of_customer(self, customer_id: str, limit: int) -> list[ErpOrder]:
        rows = await self._records("sale.order", "search_read", domain=[["partner_id.ref", "=", customer_id]],
                                   fields=self.ORDER_FIELDS, order="date_order desc, id desc", limit=limit)
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
                **_address_vals(draft.address)}
        return await self._create("res.partner", vals), True

    async def _delivery(self, partner_id: int, draft: OrderDraft) -> int:
        """The contact's delivery address equal to the draft's: the contact itself, a delivery
        address of it (`type` delivery, `parent_id` the contact), or one created now."""
        wanted = _address_vals(draft.address)
        terms = [[name, "=", value or False] for name, value in wanted.items()]
        found = await self._records("res.partner", "search_read", fields=["id"], limit=1, order="id desc",
                                    domain=["|", ["id", "=", partner_id], "&", ["parent_id", "=", partner_id],
                                            ["type", "=", "delivery"], *terms])
        if found:
            return found[0]["id"]
        return await self._create("res.partner", {"parent_id": partner_id, "type": "delivery", "name": draft.name,
                                                  **wanted})

    async def _create(self, model: str, vals: dict) -> int:
        created = await self.transport.call(model, "create", vals_list=[vals])
        try:
            return int((created if isinstance(created, list) else [created])[0])
        except (TypeError, ValueError, IndexError) as exc:
            raise MalformedPayload(NAME, f"{model}.create answered {created!r:.80}") from exc

    async def _orders(self, rows: list[dict]) -> list[ErpOrder]:
        line_ids = [i for row in rows for i in row.get("order_line") or ()]
        lines = await self._records("sale.order.line", "read", ids=line_ids,
                                    fields=["order_id", "product_id", "product_uom_qty", "price_unit"]) \
            if line_ids else []
        try:
            by_order: dict[int, list[OrderLine]] = {}
            for line in lines:
                by_order.setdefault(line["order_id"][0], []).append(OrderLine(
                    variant_erp_id=line["product_id"][0], sku=line["product_id"][1].split(" ")[0].strip("[]"),
                    quantity=int(_decimal(line["product_uom_qty"])), unit_price=_decimal(line["price_unit"])))
            return [ErpOrder(
                erp_id=row["id"], number=row["name"], state=row["state"], reference=_text(row.get("client_order_ref")),
                channel=_channel_of(row.get("origin")), total=_decimal(row["amount_total"]),
                currency=_many2one_name(row.get("currency_id")) or "EUR", created_at=_datetime(row.get("date_order")),
                lines=tuple(by_order.get(row["id"], ())), warehouse_code=None) for row in rows]
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise MalformedPayload(NAME, f"sale.order is incomplete ({exc})") from exc

    async def warehouses(self) -> list[Warehouse]:
        rows = await self._records("stock.warehouse", "search_read", domain=[],
                                   fields=["name", "code", "lot_stock_id", "partner_id"])
        partner_ids = [r["partner_id"][0] for r in rows if r.get("partner_id")]
        partners = {p["id"]: p for p in await self._records(
            "res.partner", "read", ids=partner_ids,
            fields=["street", "city", "zip", "country_code", "partner_latitude", "partner_longitude"])}
        found = []
        for r in rows:
            partner = partners.get(r["partner_id"][0]) if r.get("partner_id") else None
            lat, lon = (partner or {}).get("partner_latitude"), (partner or {}).get("partner_longitude")
            found.append(Warehouse(
                code=r["code"], name=r["name"], stock_location_id=r["lot_stock_id"][0],
                address=Address(street=_text(partner.get("street")), city=_text(partner.get("city")),
                                zip=_text(partner.get("zip")), country_code=_text(partner.get("country_code")))
                if partner else None,
                location=GeoPoint(float(lat or 0), float(lon or 0)) if lat or lon else None,
            ))
        return found

    async def ping(self) -> None:
        await self.transport.call("product.template", "search_count", domain=[])
