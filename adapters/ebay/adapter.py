"""eBay Sell Inventory API: the marketplace's stock pool and offer prices.

Inventory comes from `bulk_get_inventory_item` (25 SKUs a call, the API's limit);
prices from `GET offer?sku=`, which eBay only offers one SKU at a time, so those
calls run concurrently, bounded by `offer_concurrency`. The marketplace sweep's lookups have slots
of their own (`sweep_offer_concurrency`), so a request never waits behind a sweep; and the lookups of
one request share one deadline, which the wait for a slot counts against.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.http import BackendHttp, parse_json, require
from domain.errors import BackendError, MalformedPayload
from domain.records import MarketplaceItem, MarketplaceOffer, Money

NAME = "ebay"
API = "/sell/inventory/v1"
BULK_LIMIT = 25
LIST_PAGE = 100  # getInventoryItems' `limit`


def describe_error(body: Any) -> str | None:
    errors = body.get("errors") if isinstance(body, dict) else None
    return "; ".join(f"{e.get('errorId')}: {e.get('message')}" for e in errors) if errors else None


class EbayAdapter:
    name = NAME

    def __init__(self, http: BackendHttp, *, access_token: str, marketplace_id: str,
                 offer_concurrency: int = 8, sweep_offer_concurrency: int = 4) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {access_token}", "Content-Language": "en-US"}
        self.marketplace_id = marketplace_id
        self.offer_slots = asyncio.Semaphore(offer_concurrency)  # requests' lookups
        self.sweep_slots = asyncio.Semaphore(sweep_offer_concurrency)  # the sweep's

    async def inventory_by_sku(self, skus: Sequence[str]) -> list[MarketplaceItem]:
        chunks = [skus[i: i + BULK_LIMIT] for i in range(0, len(skus), BULK_LIMIT)]
        results = await self.http.fan_out(self._bulk_get(chunk) for chunk in chunks)
        return [item for chunk in results for item in chunk]

    async def _bulk_get(self, skus: Sequence[str]) -> list[MarketplaceItem]:
        body = {"requests": [{"sku": sku} for sku in skus]}
        response = await self.http.call("POST", f"{API}/bulk_get_inventory_item", json_body=body,
                                        headers=self.headers, accept_statuses=(207,), idempotent=True)  # a read
        answer = require(NAME, parse_json(NAME, response.content), dict, "an object")
        items = []
        for entry in require(NAME, answer.get("responses"), list, "a responses array"):
            status = entry.get("statusCode")
            if status == 404:
                continue
            if status != 200:
                raise BackendError(NAME, f"SKU {entry.get('sku')!r}: {describe_error(entry) or status}")
            try:
                quantity = entry["inventoryItem"]["availability"]["shipToLocationAvailability"]["quantity"]
                items.append(MarketplaceItem(sku=entry["sku"], quantity=int(quantity)))
            except (KeyError, TypeError, ValueError) as exc:
                raise MalformedPayload(NAME, f"inventory item {entry.get('sku')!r} has no quantity") from exc
        return items

    async def all_inventory(self) -> list[MarketplaceItem]:
        """Every inventory item of the account (`GET inventory_item`, paged by `offset`), with its pool."""
        items: list[MarketplaceItem] = []
        offset, total = 0, 1
        while offset < total:
            answer = require(NAME, await self.http.call_json(
                "GET", f"{API}/inventory_item", params={"limit": LIST_PAGE, "offset": offset}, headers=self.headers),
                dict, "an object")
            page = require(NAME, answer.get("inventoryItems", []), list, "an inventoryItems array")
            try:
                total = int(answer.get("total", 0))
                items += [MarketplaceItem(sku=i["sku"], quantity=int(
                    i["availability"]["shipToLocationAvailability"]["quantity"])) for i in page]
            except (KeyError, TypeError, ValueError) as exc:
                raise MalformedPayload(NAME, f"inventory item list is incomplete ({exc})") from exc
            if not page:
                break
            offset += len(page)
        return items

    async def offers_by_sku(self, skus: Sequence[str], *, sweep: bool = False) -> list[MarketplaceOffer]:
        """A request's lookups end together by one deadline (the backend's timeout from now, or the
        request's own when sooner), waiting for a slot included; the sweep's (`sweep`) each have the
        timeout from when its slot is taken, on the sweep's slots."""
        if sweep:
            results = await self.http.fan_out(self._sweep_offer(sku) for sku in skus)
        else:
            deadline = self.http.deadline()
            results = await self.http.fan_out(self._offer(sku, deadline, self.offer_slots) for sku in skus)
        return [offer for offer in results if offer is not None]

    async def _sweep_offer(self, sku: str) -> MarketplaceOffer | None:
        async with self.sweep_slots:
            return await self._offer(sku)

    async def _offer(self, sku: str, deadline: float | None = None,
                     slots: asyncio.Semaphore | None = None) -> MarketplaceOffer | None:
        params = {"sku": sku, "marketplace_id": self.marketplace_id}
        response = await self.http.call("GET", f"{API}/offer", params=params,
                                        headers=self.headers, accept_statuses=(404,), deadline=deadline, slots=slots)
        if response.status_code == 404:
            return None
        answer = require(NAME, parse_json(NAME, response.content), dict, "an object")
        offers = [o for o in answer.get("offers") or () if o.get("marketplaceId") == self.marketplace_id]
        if not offers:
            return None
        try:
            price = offers[0]["pricingSummary"]["price"]
            return MarketplaceOffer(sku=sku, price=Money(Decimal(str(price["value"])), price["currency"]),
                                    available_quantity=offers[0].get("availableQuantity"))
        except (KeyError, TypeError, InvalidOperation) as exc:
            raise MalformedPayload(NAME, f"offer for {sku!r} has no price") from exc

    async def ping(self) -> None:
        await self.http.call("GET", f"{API}/offer", params={"sku": "__ping__", "marketplace_id": self.marketplace_id},
                             headers=self.headers, accept_statuses=(404,))
