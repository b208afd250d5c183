"""Odoo as the ERP: assortment and SKUs, list and channel prices, stock per location.

Every method is one ORM call (`search_read` or `read`) for the whole batch, with
domains such as `[('default_code', 'in', skus)]`, whichever transport is set.
Products are the saleable `product.template` records, named by the SKU
adapters/odoo/identity.py gives them (their Internal Reference when they have one);
variants are `product.product` records with their own SKU (Internal Reference).
A brand is read from `brand_field` when one is set: a stock Odoo has none (the OCA add-on
`product_brand` adds `product_brand_id`), and Odoo fails every read naming a field it lacks,
so such a setting is reported as the setting to change, by the reads and by `ping`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from adapters.http import require
from adapters.odoo.changes import OdooChangeFeeds
from adapters.odoo.contacts import OdooContacts
from adapters.odoo.history import OdooOrderHistory
from adapters.odoo.identity import ProductIdentity
from adapters.odoo.order_feed import OdooOrderFeed
from adapters.odoo.orders import OdooOrders
from adapters.odoo.pricelists import channel_prices, pricelist_changes
from adapters.odoo.transports import NAME, OdooTransport
from adapters.odoo.values import datetime_of as _datetime
from adapters.odoo.values import decimal_of as _decimal
from adapters.odoo.values import many2one_name as _many2one_name
from adapters.odoo.values import text_of as _text
from domain.errors import BackendError, MalformedPayload
from domain.ports import Clock, utc_now
from domain.records import (
    Address,
    ChangeMark,
    ErpProduct,
    ErpVariant,
    GeoPoint,
    PriceListEntry,
    ProductPage,
    ProductQuery,
    ProductSortKey,
    RecordChange,
    StockQuant,
    VariantOption,
    Warehouse,
)

log = logging.getLogger(__name__)
SORT_FIELDS = {ProductSortKey.ID: "id", ProductSortKey.TITLE: "name", ProductSortKey.PRICE: "list_price",
               ProductSortKey.UPDATED_AT: "write_date"}
VARIANT_FIELDS = ["default_code", "barcode", "product_tmpl_id", "lst_price",
                  "product_template_attribute_value_ids", "write_date"]


class OdooAdapter(OdooChangeFeeds, OdooOrders, OdooContacts, OdooOrderHistory, OdooOrderFeed):
    name = NAME

    def __init__(self, transport: OdooTransport, *, brand_field: str | None = None,
                 clock: Clock = utc_now, identity: ProductIdentity | None = None, consent_field: str = "",
                 link_field: str = "client_order_ref", order_links: Mapping[str, str] | None = None) -> None:
        self.transport = transport
        self.consent_field = consent_field or None  # a boolean res.partner field holding marketing consent
        self.link_field = link_field  # where an order another system took keeps that system's number
        self.order_links = dict(order_links or {})  # channel -> the prefix of its orders' numbers there
        self.clock = clock  # now, for the pricelist rules' dates
        self.brand_field = brand_field or None
        self.identity = identity or ProductIdentity()
        self.template_fields = ["name", self.identity.field, "barcode", "list_price", "categ_id", "description_sale",
                                "write_date", "product_variant_ids", *([self.brand_field] if self.brand_field else [])]
        self._countries: dict[str, int | None] = {}  # res.country ids by code
        self._brand_reported = False

    async def _call(self, model: str, method: str, **kwargs: Any) -> Any:
        try:
            return await self.transport.call(model, method, **kwargs)
        except BackendError as exc:
            if self.brand_field and "Invalid field" in exc.detail and repr(self.brand_field) in exc.detail:
                raise self._brand_field_error() from exc
            raise

    async def _records(self, model: str, method: str, **kwargs: Any) -> list[dict]:
        rows = require(NAME, await self._call(model, method, **kwargs), list, f"a list of {model} records")
        return [require(NAME, row, dict, f"a {model} record") for row in rows]

    def _brand_field_error(self) -> BackendError:
        error = BackendError(NAME, f"backends.odoo.brand_field is {self.brand_field!r}, a field product.template lacks "
                                   "(a stock Odoo has no brand field; the OCA add-on product_brand adds "
                                   "product_brand_id): set it empty, or to a many2one field of product.template")
        if not self._brand_reported:
            log.error("%s", error)
            self._brand_reported = True
        return error

    async def _products(self, rows: list[dict]) -> list[ErpProduct]:
        skus = await self.identity.skus(self._records, rows)
        return [self._product(row, skus[row["id"]]) for row in rows]

    def _product(self, row: dict, sku: str) -> ErpProduct:
        try:
            category = _many2one_name(row.get("categ_id"))
            return ErpProduct(
                erp_id=row["id"],
                sku=sku,
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
        domain: list = [("sale_ok", "=", True)]
        if query.text:  # the name, the template's code, or one of its variants' codes
            domain += ["|", "|", ("name", "ilike", query.text), (self.identity.field, "ilike", query.text),
                       ("product_variant_ids.default_code", "ilike", query.text)]
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
        products = tuple(await self._products(rows[: query.limit]))
        return ProductPage(products=products, has_more=len(rows) > query.limit)

    async def count_products(self, query: ProductQuery) -> int:
        context = {"location": list(query.stock_location_ids)} if query.stock_location_ids else {}
        count = await self._call("product.template", "search_count", domain=self._domain(query), context=context)
        return require(NAME, count, int, "a count")

    async def products_by_sku(self, skus: Sequence[str]) -> list[ErpProduct]:
        found = await self.identity.by_sku(self._records, skus, self.template_fields)
        return [self._product(row, sku) for row, sku in found]

    async def products_by_id(self, ids: Sequence[int]) -> list[ErpProduct]:
        return await self._products(await self._records("product.template", "read", ids=list(ids),
                                                        fields=self.template_fields))

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
        if self.brand_field:  # one call that proves the field too: Odoo fails a read naming a field it lacks
            await self._records("product.template", "search_read", domain=[], fields=[self.brand_field], limit=1)
        else:
            await self.transport.call("product.template", "search_count", domain=[])
