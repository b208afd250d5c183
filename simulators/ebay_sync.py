"""The marketplace's sync endpoints: Sell Inventory `bulk_update_price_quantity` and Sell Fulfillment
`GET /sell/fulfillment/v1/order`, over the catalog the inventory routes serve.

`bulk_update_price_quantity` takes at most 25 requests, each a SKU's `shipToLocationAvailability.quantity`
and its offers' `availableQuantity` and `price`; it answers one response per offer (per SKU when it
names none), 200 when all succeed and 207 when some fail: an unknown SKU or an offer not of its SKU fails
alone. The SKU's pool is the item's quantity and its fixed-price offer's, so they never disagree; an
offer's `availableQuantity` without the item's sets the pool too. Only the SKU's fixed-price offer on the
seeded marketplace takes a price here.

`GET order?filter=lastmodifieddate:[from..to]&limit=&offset=` pages the orders (oldest change first) with
`total`, `limit`, `offset` (counted in orders) and `next`/`prev` links; dates are ISO 8601 UTC with
milliseconds; a filter eBay would refuse is a 400 in eBay's error shape, with the error ids of eBay's
Fulfillment API reference (v1.20.6): 30700 another filter name, 30800 a value not `[from..to]`, 30810 a
date that is not one, 30840 a window that ends before it starts, 30850 a date in the future (by the
marketplace's clock: a window left open, `[from..]`, ends at its now), 31000 a bad offset, 31100 a bad limit. `POST /__orders {"sku", "quantity", "buyer"?}` is the
simulator's own: a buyer's purchase, which lowers the SKU's pool (409 beyond it) as eBay does;
`POST /__orders/{orderId}/cancel` cancels one (refunded in full, modified now).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from simulators.catalog import CURRENCY, Catalog, SeedProduct, SeedVariant
from simulators.http_input import json_object

ORDERS = "/sell/fulfillment/v1/order"
BULK_LIMIT = 25
ORDER_PAGE_MAX = 200
ORDER_PAGE_DEFAULT = 50


def fulfillment_error(error_id: int, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"errorId": error_id, "domain": "API_FULFILLMENT", "category": "REQUEST",
                                     "message": message}]}, status_code=400)


def ebay_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def parse_ebay_time(text: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None and text.endswith("Z") else None


def _failure(status: int, error_id: int, message: str) -> dict:
    return {"statusCode": status, "errors": [{"errorId": error_id, "domain": "API_INVENTORY", "category": "REQUEST",
                                              "message": message}]}


@dataclass
class Orders:
    """The marketplace's orders, in the order they were created."""

    catalog: Catalog
    offer_id_of: Any  # (variant) -> the offer id of its fixed-price listing
    listed: Any  # (sku) -> (product, variant) when on the marketplace
    orders: list[dict] = field(default_factory=list)
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    def update_one(self, request: dict) -> list[dict]:
        """One request of `bulk_update_price_quantity`: its responses (one per offer, else one)."""
        sku = request.get("sku") if isinstance(request, dict) else None
        found = self.listed(sku) if isinstance(sku, str) else None
        offers = request.get("offers") or [] if isinstance(request, dict) else []
        ids = [o.get("offerId") if isinstance(o, dict) else None for o in offers] or [None]
        if found is None:
            return [{"sku": sku, **({"offerId": i} if i else {}),
                     **_failure(404, 25702, f"SKU {sku} is not available in the system.")} for i in ids]
        product, variant = found
        own = self.offer_id_of(variant)
        quantity = (request.get("shipToLocationAvailability") or {}).get("quantity")
        responses, price_edit, quantity_edit = [], None, quantity
        for offer in offers:
            offer_id = offer.get("offerId") if isinstance(offer, dict) else None
            if offer_id != own:
                responses.append({"sku": sku, "offerId": offer_id, **_failure(404, 25713, "This Offer is not available.")})
                continue
            if quantity_edit is None:
                quantity_edit = offer.get("availableQuantity")
            if "price" in offer:
                try:
                    price_edit = Decimal(str(offer["price"]["value"]))
                except (KeyError, TypeError, InvalidOperation):
                    price_edit = Decimal("NaN")
            responses.append({"sku": sku, "offerId": offer_id, "statusCode": 200})
        if quantity_edit is not None and (not isinstance(quantity_edit, int) or quantity_edit < 0) or \
                price_edit is not None and (not price_edit.is_finite() or price_edit <= 0):
            return [{"sku": sku, **({"offerId": i} if i else {}),
                     **_failure(400, 25709, "Invalid value for quantity or price.")} for i in ids]
        if quantity_edit is not None:
            self.catalog.pool_edits[variant.erp_id] = quantity_edit
        if price_edit is not None:
            self.catalog.offer_price_edits[variant.erp_id] = price_edit.quantize(Decimal("0.01"))
        return responses or [{"sku": sku, "statusCode": 200}]

    async def bulk_update(self, request: Request) -> Response:
        body = await json_object(request)
        requests = body.get("requests") if body is not None else None
        if not isinstance(requests, list) or not 1 <= len(requests) <= BULK_LIMIT:
            return JSONResponse({"errors": [{"errorId": 25709, "domain": "API_INVENTORY", "category": "REQUEST",
                                             "message": f"Between 1 and {BULK_LIMIT} requests are allowed."}]},
                                status_code=400)
        responses = [r for entry in requests for r in self.update_one(entry)]
        return JSONResponse({"responses": responses},
                            status_code=200 if all(r["statusCode"] == 200 for r in responses) else 207)

    def order_json(self, product: SeedProduct, variant: SeedVariant, quantity: int, buyer: str) -> dict:
        number = next(self.numbers)
        now = ebay_time(self.catalog.clock())
        cost = {"value": f"{self.catalog.offer_price(product, variant) * quantity:.2f}", "currency": CURRENCY}
        return {"orderId": f"12-{number:05d}-{variant.erp_id % 100_000:05d}", "creationDate": now,
                "lastModifiedDate": now, "orderFulfillmentStatus": "NOT_STARTED", "orderPaymentStatus": "PAID",
                "pricingSummary": {"total": cost}, "buyer": {"username": buyer},
                "cancelStatus": {"cancelState": "NONE_REQUESTED", "cancelRequests": []},
                "lineItems": [{"lineItemId": f"{10_000_000_000 + number}", "sku": variant.sku, "quantity": quantity,
                               "lineItemCost": cost}]}

    async def create(self, request: Request) -> Response:
        """The simulator's own: a buyer's purchase of `quantity` of `sku`, taken from its pool."""
        body = await json_object(request) or {}
        found = self.listed(body.get("sku"))
        quantity = body.get("quantity", 1)
        if found is None or not isinstance(quantity, int) or quantity < 1:
            return JSONResponse({"error": "a listed sku and a quantity >= 1"}, status_code=400)
        pool = self.catalog.pool(found[1].erp_id)
        if quantity > pool:
            return JSONResponse({"error": f"only {pool} available"}, status_code=409)
        self.catalog.pool_edits[found[1].erp_id] = pool - quantity
        product, variant = found
        order = self.order_json(product, variant, quantity, str(body.get("buyer", "buyer_one")))
        self.orders.append(order)
        return JSONResponse(order, status_code=201)

    async def cancel(self, request: Request) -> Response:
        """The simulator's own: the seller cancels a paid order (the buyer is refunded in full)."""
        order = next((o for o in self.orders if o["orderId"] == request.path_params["order_id"]), None)
        if order is None:
            return JSONResponse({"error": "no such order"}, status_code=404)
        order.update(orderPaymentStatus="FULLY_REFUNDED", lastModifiedDate=ebay_time(self.catalog.clock()),
                     cancelStatus={"cancelState": "CANCELED", "cancelRequests": []})
        return JSONResponse(order)

    async def search(self, request: Request) -> Response:
        params = request.query_params
        try:
            limit, offset = int(params.get("limit", ORDER_PAGE_DEFAULT)), int(params.get("offset", "0"))
        except ValueError:
            return fulfillment_error(31100, f"Invalid limit: {params.get('limit')}")
        if not 1 <= limit <= ORDER_PAGE_MAX:
            return fulfillment_error(31100, f"Invalid limit: {limit}")
        if offset < 0:
            return fulfillment_error(31000, f"Invalid offset: {offset}")
        window = self.window(params.get("filter", ""))
        if isinstance(window, Response):
            return window
        low, high = window
        matching = sorted((o for o in self.orders if low <= parse_ebay_time(o["lastModifiedDate"]) <= high),  # type: ignore[operator]
                          key=lambda o: o["lastModifiedDate"])
        query = f"filter={quote(params['filter'], safe=':')}&" if params.get("filter") else ""

        def link(at: int) -> str:
            return f"{ORDERS}?{query}limit={limit}&offset={at}"

        body: dict = {"href": link(offset), "limit": limit, "offset": offset, "total": len(matching),
                      "orders": matching[offset: offset + limit]}
        if offset + limit < len(matching):
            body["next"] = link(offset + limit)
        if offset > 0:
            body["prev"] = link(max(0, offset - limit))
        return JSONResponse(body)

    def window(self, text: str) -> tuple[datetime, datetime] | Response:
        """`lastmodifieddate:[from..to]` (`to` optional: now); no filter: every order."""
        if not text:
            return datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
        name, _, value = text.partition(":")
        if name != "lastmodifieddate":
            return fulfillment_error(30700, f"Invalid filter name: {name}")
        if not (value.startswith("[") and value.endswith("]") and ".." in value):
            return fulfillment_error(30800, f"Invalid filter value {value} for filter {name}")
        start, _, end = value[1:-1].partition("..")
        now = self.catalog.clock()
        low, high = parse_ebay_time(start), parse_ebay_time(end) if end else now
        if low is None or high is None:
            return fulfillment_error(30810, "Invalid date format")
        if high < low:
            return fulfillment_error(30840, "Start date should be before end date")
        if low > now or high > now:
            return fulfillment_error(30850, "Start and end dates can't be in the future")
        return low, high
