"""eBay's sync calls: `bulk_update_price_quantity` (Sell Inventory, 25 requests a call) and the orders
last modified in a window (Sell Fulfillment `GET order?filter=lastmodifieddate:[..]`, page by page by
its `next` link). One SKU eBay refuses comes back as a `RecordError` for it, never failing the batch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from adapters.http import BackendHttp, parse_json, require
from domain.errors import BackendError, MalformedPayload, RecordError
from domain.records import MarketplaceOrder, MarketplaceOrderLine, Money, PriceQuantityUpdate, PriceQuantityUpdated

NAME = "ebay"
BULK_LIMIT = 25
BULK_UPDATE = "/sell/inventory/v1/bulk_update_price_quantity"
ORDERS = "/sell/fulfillment/v1/order"
ORDER_PAGE_MAX = 200
PAID = ("PAID", "PARTIALLY_REFUNDED")  # orderPaymentStatus of an order to ship (FAILED, PENDING: not yet)


def describe_error(body: Any) -> str | None:
    errors = body.get("errors") if isinstance(body, dict) else None
    return "; ".join(f"{e.get('errorId')}: {e.get('message')}" for e in errors) if errors else None


def _request(update: PriceQuantityUpdate) -> dict:
    offer: dict = {"offerId": update.offer_id}
    entry: dict = {"sku": update.sku, "offers": [offer]}
    if update.quantity is not None:
        entry["shipToLocationAvailability"] = {"quantity": update.quantity}
        offer["availableQuantity"] = update.quantity
    if update.price is not None:
        offer["price"] = {"value": f"{update.price.amount:.2f}", "currency": update.price.currency}
    return entry


class EbaySync:
    """The sync calls of the eBay adapter (a base of `EbayAdapter`, which holds `http` and `headers`)."""

    http: BackendHttp
    headers: dict[str, str]

    async def update_price_quantity(self, updates: Sequence[PriceQuantityUpdate]
                                    ) -> list[PriceQuantityUpdated | RecordError]:
        return await update_price_quantity(self.http, self.headers, updates)

    async def orders_modified(self, since: datetime, until: datetime | None, limit: int) -> list[MarketplaceOrder]:
        return await orders_modified(self.http, self.headers, since, until, limit)


async def update_price_quantity(http: BackendHttp, headers: dict[str, str], updates: Sequence[PriceQuantityUpdate]
                                ) -> list[PriceQuantityUpdated | RecordError]:
    chunks = [updates[i: i + BULK_LIMIT] for i in range(0, len(updates), BULK_LIMIT)]
    results = await http.fan_out(_update_chunk(http, headers, chunk) for chunk in chunks)
    return [result for chunk in results for result in chunk]


async def _update_chunk(http: BackendHttp, headers: dict[str, str], updates: Sequence[PriceQuantityUpdate]
                        ) -> list[PriceQuantityUpdated | RecordError]:
    body = {"requests": [_request(u) for u in updates]}
    response = await http.call("POST", BULK_UPDATE, json_body=body, headers=headers, accept_statuses=(207,),
                               idempotent=True)  # absolute values: sending them again changes nothing
    answer = require(NAME, parse_json(NAME, response.content), dict, "an object")
    refused: dict[str, str] = {}
    first_error: dict[str, str] = {}
    for entry in require(NAME, answer.get("responses"), list, "a responses array"):
        entry = require(NAME, entry, dict, "a response object")
        if entry.get("statusCode") != 200:
            sku = str(entry.get("sku"))
            refused[sku] = "; ".join(filter(None, [refused.get(sku), describe_error(entry)
                                                   or f"status {entry.get('statusCode')}"]))
            errors = entry.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict) and sku not in first_error:
                first_error[sku] = str(errors[0].get("errorId"))
    return [RecordError(NAME, u.sku, f"refused the update: {refused[u.sku]}", first_error.get(u.sku))
            if u.sku in refused else PriceQuantityUpdated(u.sku, u.offer_id) for u in updates]


def ebay_time(at: datetime) -> str:
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


async def orders_modified(http: BackendHttp, headers: dict[str, str], since: datetime, until: datetime | None,
                          limit: int) -> list[MarketplaceOrder]:
    """Every order last modified within [since, until] (None: eBay's now; eBay refuses an end after its
    own now, 30850, so a caller whose clock may run ahead leaves it open), `limit` a page (at most 200)."""
    window = f"lastmodifieddate:[{ebay_time(since)}..{ebay_time(until) if until is not None else ''}]"

    def refused(response: httpx.Response) -> BackendError | None:
        if response.status_code != 400:
            return None
        try:
            detail = describe_error(response.json())
        except ValueError:
            detail = None
        return BackendError(NAME, f"refused the order query {window} ({detail or 'HTTP 400'})")

    found: dict[str, MarketplaceOrder] = {}
    page: str | None = ORDERS
    params: dict | None = {"filter": window, "limit": min(max(limit, 1), ORDER_PAGE_MAX), "offset": 0}
    followed: set[str] = set()
    while page is not None:
        answer = require(NAME, await http.call_json("GET", page, params=params, headers=headers, explain=refused),
                         dict, "an object")
        for entry in require(NAME, answer.get("orders", []), list, "an orders array"):
            order = _order(require(NAME, entry, dict, "an order"))
            found[order.order_id] = order  # an order changed while paging may be listed twice
        page, params = next_page(answer.get("next"), ORDERS), None
        if page is not None and page in followed:
            raise MalformedPayload(NAME, f"the order list's next link leads back to {page}")
        followed.add(page or "")
    return list(found.values())


def next_page(link: Any, listing: str) -> str | None:
    """The next page's path and query, asked of the configured host whatever host the link names (the
    token goes nowhere else); a link to anything but `listing` is malformed."""
    if link is None or link == "":
        return None
    url = httpx.URL(link) if isinstance(link, str) else None
    if url is None or not url.path.endswith(listing):
        raise MalformedPayload(NAME, f"the next link of {listing} is not a page of it ({link!r})")
    return f"{listing}?{url.query.decode()}"


def _money(value: Any, what: str) -> Money:
    try:
        amount, currency = Decimal(str(value["value"])), value["currency"]
    except (KeyError, TypeError, InvalidOperation) as exc:
        raise MalformedPayload(NAME, f"{what} is not an amount and a currency") from exc
    if not amount.is_finite() or not isinstance(currency, str):
        raise MalformedPayload(NAME, f"{what} is not an amount and a currency")
    return Money(amount, currency)


def _time(value: Any, what: str) -> datetime:
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise MalformedPayload(NAME, f"{what} is not an ISO 8601 time") from exc
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _order(entry: dict) -> MarketplaceOrder:
    order_id = entry.get("orderId")
    if not isinstance(order_id, str) or not order_id:
        raise MalformedPayload(NAME, "an order without an orderId")
    lines = []
    for line in require(NAME, entry.get("lineItems"), list, "a lineItems array"):
        line = require(NAME, line, dict, "a line item")
        quantity = line.get("quantity")
        if not isinstance(quantity, int) or not isinstance(line.get("sku"), str):
            raise MalformedPayload(NAME, f"a line of order {order_id} without a sku and a quantity")
        lines.append(MarketplaceOrderLine(str(line.get("lineItemId")), line["sku"], quantity,
                                          _money(line.get("lineItemCost"), f"a line cost of order {order_id}")))
    buyer = entry.get("buyer")
    payment = str(entry.get("orderPaymentStatus"))
    cancel = entry.get("cancelStatus")
    cancelled = payment == "FULLY_REFUNDED" or isinstance(cancel, dict) and cancel.get("cancelState") == "CANCELED"
    return MarketplaceOrder(
        order_id=order_id, created_at=_time(entry.get("creationDate"), "creationDate"),
        modified_at=_time(entry.get("lastModifiedDate"), "lastModifiedDate"),
        fulfillment_status=str(entry.get("orderFulfillmentStatus")), payment_status=str(entry.get("orderPaymentStatus")),
        total=_money((entry.get("pricingSummary") or {}).get("total"), f"the total of order {order_id}"),
        buyer=buyer.get("username") if isinstance(buyer, dict) else None, lines=tuple(lines),
        paid=payment in PAID and not cancelled, cancelled=cancelled)
