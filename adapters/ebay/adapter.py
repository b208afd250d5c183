"""eBay Sell Inventory API: the marketplace's stock pool and offer prices.

Inventory comes from `bulk_get_inventory_item` (25 SKUs a call, the API's limit);
prices from `GET offer?sku=`, which eBay only offers one SKU at a time, so those
calls run concurrently, bounded by `offer_concurrency`. The marketplace sweep's lookups have slots
of their own (`sweep_offer_concurrency`), so a request never waits behind a sweep; and the lookups of
one request share one deadline, which the wait for a slot counts against.

A record eBay cannot supply (an item without a quantity, an error for one SKU of a bulk read, an
offer whose price is not an amount) comes back as a `RecordError` for its SKU, never failing the
batch. The client carries the OAuth token (adapters/ebay/oauth.py); the sync calls (price and quantity
updates, orders) are in adapters/ebay/sync.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any


from adapters.ebay.sync import EbaySync, describe_error, next_page
from adapters.http import BackendHttp, parse_json, require
from domain.errors import MalformedPayload, MalformedRecord, RecordError
from domain.records import MarketplaceItem, MarketplaceOffer, Money, marketplace_sku

NAME = "ebay"
API = "/sell/inventory/v1"
BULK_LIMIT = 25
LIST_PAGE = 100  # getInventoryItems' `limit` (at most 100 in the older spec, 200 in the newer)
LISTED = f"{API}/inventory_item"


class EbayAdapter(EbaySync):
    name = NAME

    def __init__(self, http: BackendHttp, *, marketplace_id: str, offer_concurrency: int = 8,
                 sweep_offer_concurrency: int = 4) -> None:
        self.http = http
        self.headers = {"Content-Language": "en-US"}
        self.marketplace_id = marketplace_id
        self.offer_slots = asyncio.Semaphore(offer_concurrency)  # requests' lookups
        self.sweep_slots = asyncio.Semaphore(sweep_offer_concurrency)  # the sweep's

    async def inventory_by_sku(self, skus: Sequence[str]) -> list[MarketplaceItem | RecordError]:
        chunks = [skus[i: i + BULK_LIMIT] for i in range(0, len(skus), BULK_LIMIT)]
        results = await self.http.fan_out(self._bulk_get(chunk) for chunk in chunks)
        return [item for chunk in results for item in chunk]

    async def _bulk_get(self, skus: Sequence[str]) -> list[MarketplaceItem | RecordError]:
        body = {"requests": [{"sku": sku} for sku in skus]}
        response = await self.http.call("POST", f"{API}/bulk_get_inventory_item", json_body=body,
                                        headers=self.headers, accept_statuses=(207,), idempotent=True)  # a read
        answer = require(NAME, parse_json(NAME, response.content), dict, "an object")
        items: list[MarketplaceItem | RecordError] = []
        for entry in require(NAME, answer.get("responses"), list, "a responses array"):
            sku = _sku(require(NAME, entry, dict, "a response object"))
            status = entry.get("statusCode")
            if status == 404:
                continue
            if status != 200:
                items.append(RecordError(NAME, sku, f"answered {describe_error(entry) or status}"))
            else:
                items.append(_item(sku, entry.get("inventoryItem")))
        return items

    async def all_inventory(self) -> list[MarketplaceItem | RecordError]:
        """Every inventory item of the account (`GET inventory_item`), page after page by the `next` link
        each page carries: the spec counts `offset` in pages, and whatever the server counts in, its own
        link leads on. A SKU listed twice (items added while paging) is kept once."""
        found: dict[str, MarketplaceItem | RecordError] = {}
        page: str | None = f"{LISTED}?limit={LIST_PAGE}&offset=0"
        followed: set[str] = set()
        while page is not None:
            if page in followed:
                raise MalformedPayload(NAME, f"the inventory list's next link leads back to {page}")
            followed.add(page)
            answer = require(NAME, await self.http.call_json("GET", page, headers=self.headers), dict, "an object")
            entries = require(NAME, answer.get("inventoryItems", []), list, "an inventoryItems array")
            for entry in entries:
                record = _item(_sku(require(NAME, entry, dict, "an inventory item")), entry)
                found[marketplace_sku(record)] = record
            page = next_page(answer.get("next"), LISTED) if entries else None  # past the end, whatever it links
        return list(found.values())

    async def offers_by_sku(self, skus: Sequence[str], *, sweep: bool = False) -> list[MarketplaceOffer | RecordError]:
        """A request's lookups end together by one deadline (the backend's timeout from now, or the
        request's own when sooner), waiting for a slot included; the sweep's (`sweep`) each have the
        timeout from when its slot is taken, on the sweep's slots."""
        if sweep:
            results = await self.http.fan_out(self._sweep_offer(sku) for sku in skus)
        else:
            deadline = self.http.deadline()
            results = await self.http.fan_out(self._offer(sku, deadline, self.offer_slots) for sku in skus)
        return [offer for offer in results if offer is not None]

    async def _sweep_offer(self, sku: str) -> MarketplaceOffer | RecordError | None:
        async with self.sweep_slots:
            return await self._offer(sku)

    async def _offer(self, sku: str, deadline: float | None = None,
                     slots: asyncio.Semaphore | None = None) -> MarketplaceOffer | RecordError | None:
        params = {"sku": sku, "marketplace_id": self.marketplace_id}
        response = await self.http.call("GET", f"{API}/offer", params=params,
                                        headers=self.headers, accept_statuses=(404,), deadline=deadline, slots=slots)
        if response.status_code == 404:
            return None
        answer = require(NAME, parse_json(NAME, response.content), dict, "an object")
        offers = require(NAME, answer.get("offers") or [], list, "an offers array")
        return _pricing_offer(sku, [o for o in offers if isinstance(o, dict)
                                    and o.get("marketplaceId") == self.marketplace_id])

    async def ping(self) -> None:
        await self.http.call("GET", f"{API}/offer", params={"sku": "__ping__", "marketplace_id": self.marketplace_id},
                             headers=self.headers, accept_statuses=(404,))


def _sku(entry: dict) -> str:
    sku = entry.get("sku")
    if not isinstance(sku, str) or not sku:
        raise MalformedPayload(NAME, "an inventory record without a sku")
    return sku


def _item(sku: str, item: Any) -> MarketplaceItem | RecordError:
    """The item's pool; an item without one (eBay needs it only to publish an offer) is reported for its SKU."""
    try:
        quantity = item["availability"]["shipToLocationAvailability"]["quantity"]
    except (KeyError, TypeError):
        quantity = None
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        return MalformedRecord(NAME, sku, "the inventory item has no availability.shipToLocationAvailability.quantity")
    return MarketplaceItem(sku=sku, quantity=quantity)


def _pricing_offer(sku: str, offers: list[dict]) -> MarketplaceOffer | RecordError | None:
    """The offer that prices the SKU on the marketplace: the published fixed-price one before any other
    (a SKU may have an auction beside it), then other published ones, then unpublished ones. An offer
    without a price is passed over (an unpublished offer or an auction need not have one), except a
    published fixed-price offer, which eBay publishes only with one."""
    for offer in sorted(offers, key=lambda o: (o.get("status") != "PUBLISHED", o.get("format") != "FIXED_PRICE")):
        summary = offer.get("pricingSummary")
        price = summary.get("price") if isinstance(summary, dict) else None
        if price is None:
            if offer.get("status") == "PUBLISHED" and offer.get("format") == "FIXED_PRICE":
                return MalformedRecord(NAME, sku, f"the published offer {offer.get('offerId')} has no price")
            continue
        try:
            amount, currency = Decimal(str(price["value"])), price["currency"]
        except (KeyError, TypeError, InvalidOperation):
            amount, currency = None, None
        if amount is None or not amount.is_finite() or amount < 0 or not isinstance(currency, str) \
                or len(currency) != 3:
            return MalformedRecord(NAME, sku, f"the offer {offer.get('offerId')} has a price that is not an amount "
                                              "and a currency")
        quantity = offer.get("availableQuantity")
        return MarketplaceOffer(sku=sku, price=Money(amount, currency),
                                available_quantity=quantity if isinstance(quantity, int) else None,
                                offer_id=str(offer["offerId"]) if offer.get("offerId") else None)
    return None
