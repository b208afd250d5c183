"""Medusa v2 Store API: the app backend's prices and promotions, and its content.

`GET /store/products` with `variants[sku][]` filters, `region_id` so variants
carry `calculated_price`, and `limit`/`offset`/`count` pagination. Amounts are
major units, as Medusa v2 stores them. A Medusa product has no SKU (its `handle` is a
URL slug): its content belongs to the ERP product through its variants' SKUs.

The SKU filter came with Medusa 2.5.0: before it, the Store API's validator drops the
unknown `variants[sku]` key and answers the whole catalog. A long SKU list is split so
each request's query string stays within QUERY_BUDGET: Node refuses a request whose URL
and headers pass 16 KiB (431), and proxies in front of it often refuse an 8 KiB one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from adapters.change_pages import MAX_PAGES, oldest_changes
from adapters.http import BackendHttp, require
from adapters.medusa.customers import MedusaCustomers
from domain.errors import BackendError, MalformedPayload
from domain.records import AppVariant, ChangeMark, ContentRecord, Image, RecordChange

NAME = "medusa"
PAGE = 100
FIELDS = "*variants.calculated_price,+variants.sku,*variants.options,*categories,*images"
SKU_PARAM = "variants[sku][]"
QUERY_BUDGET = 4 * 1024  # bytes of query string one request carries
SKU_FILTER_SINCE = "2.5.0"  # the Medusa release whose Store API filters products by `variants[sku]`


def describe_error(body: Any) -> str | None:
    return f"{body.get('type')}: {body.get('message')}" if isinstance(body, dict) and "message" in body else None


def _timestamp(raw: str | None) -> datetime | None:
    return datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None


def _amount(raw: object) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        return Decimal(raw)
    raise MalformedPayload(NAME, f"price amount {raw!r} is not a number")


def to_app_variants(product: dict) -> list[AppVariant]:
    try:
        content = ContentRecord(
            backend=NAME,
            sku=None,
            variant_skus=tuple(v["sku"] for v in product.get("variants") or () if v.get("sku")),
            title=product.get("title") or None,
            description=product.get("description") or None,
            categories=tuple(c["name"] for c in product.get("categories") or ()),
            images=tuple(Image(url=i["url"]) for i in product.get("images") or ()),
            updated_at=_timestamp(product.get("updated_at")),
        )
        variants = []
        for v in product.get("variants") or ():
            if not v.get("sku"):
                continue  # Medusa's SKU is optional: a variant without one matches nothing in the ERP
            price = v.get("calculated_price") or {}
            variants.append(AppVariant(
                sku=v["sku"],
                price=_amount(price.get("calculated_amount")),
                original_price=_amount(price.get("original_amount")),
                currency=(price.get("currency_code") or "").upper() or None,
                product=content,
            ))
        return variants
    except (KeyError, TypeError, AttributeError) as exc:
        raise MalformedPayload(NAME, f"product {product.get('id')!r} lacks a documented field ({exc})") from exc


def _query_bytes(params: Sequence[tuple[str, str | int]]) -> int:
    return len(str(httpx.QueryParams(tuple(params))))


def sku_chunks(skus: Sequence[str], base_bytes: int) -> list[list[str]]:
    """The distinct SKUs in runs whose query string, after `base_bytes` of other parameters, stays
    within QUERY_BUDGET, at most PAGE to a run (so one page holds every product a run can match)."""
    chunks: list[list[str]] = []
    chunk: list[str] = []
    size = base_bytes
    for sku in dict.fromkeys(skus):
        cost = 1 + _query_bytes([(SKU_PARAM, sku)])
        if chunk and (size + cost > QUERY_BUDGET or len(chunk) == PAGE):
            chunks.append(chunk)
            chunk, size = [], base_bytes
        chunk.append(sku)
        size += cost
    return [*chunks, chunk] if chunk else chunks


def _medusa_time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _change(product: object) -> RecordChange:
    try:
        at = _timestamp(product["updated_at"])  # type: ignore[index]
        if at is None:
            raise ValueError("no updated_at")
        # the handle is not the SKU: the product is found in the assortment through a variant's SKU
        variants = [v["sku"] for v in product.get("variants") or () if v.get("sku")]  # type: ignore[attr-defined]
        return RecordChange(at=at, key=str(product["id"]),  # type: ignore[index]
                            variant_sku=variants[0] if variants else None)
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload(NAME, f"product {product!r:.60} lacks a documented field ({exc})") from exc


class MedusaAdapter(MedusaCustomers):
    name = NAME

    def __init__(self, http: BackendHttp, *, region_id: str, change_pages: int = MAX_PAGES,
                 secret_api_key: str = "") -> None:
        self.http = http
        self.secret_api_key = secret_api_key  # the Admin API's (customers and orders); empty: not read
        self.change_pages = change_pages  # pages one read of the change list may take
        self.region_id = region_id

    async def _page(self, params: list[tuple[str, str | int]], **call: Any) -> tuple[list[dict], int]:
        body = require(NAME, await self.http.call_json("GET", "/store/products", params=params, **call),
                       dict, "an object")
        products = require(NAME, body.get("products"), list, "a products array")
        count = body.get("count")
        if not isinstance(count, int):
            raise MalformedPayload(NAME, "the product list has no numeric count")
        return products, count

    async def variants_by_sku(self, skus: Sequence[str]) -> list[AppVariant]:
        if not skus:
            return []
        base: list[tuple[str, str | int]] = [("region_id", self.region_id), ("fields", FIELDS), ("limit", PAGE),
                                             ("offset", 0)]
        deadline = self.http.deadline()  # one for the whole look-up: waiting for a place counts against it
        found = await self.http.fan_out(self._products_with(base, chunk, deadline=deadline)
                                        for chunk in sku_chunks(skus, _query_bytes(base)))
        wanted = set(skus)
        return [v for products in found for p in products for v in to_app_variants(p) if v.sku in wanted]

    async def _products_with(self, base: list[tuple[str, str | int]], skus: list[str], **call: Any) -> list[dict]:
        products, count = await self._page([*base, *((SKU_PARAM, sku) for sku in skus)], **call)
        # a variant's SKU is unique in Medusa, so at most one product a SKU: more is the whole catalog
        if count > len(skus):
            raise BackendError(NAME, f"counted {count} products for {len(skus)} variant SKUs: it ignores the "
                                     f"`variants[sku]` filter of GET /store/products, which Medusa has from "
                                     f"{SKU_FILTER_SINCE} on; upgrade it to {SKU_FILTER_SINCE} or later")
        return products

    async def content_changes(self, after: ChangeMark | None, until: datetime, limit: int) -> list[RecordChange]:
        """Products by `updated_at`, from the mark's own instant on (`$gte`), dropping those up to the mark."""
        params: list[tuple[str, str | int]] = [("fields", "id,updated_at,*variants"), ("order", "updated_at"),
                                               ("limit", PAGE), ("updated_at[$lte]", _medusa_time(until))]
        if after is not None:
            params.append(("updated_at[$gt]" if after.passed_instant else "updated_at[$gte]", _medusa_time(after.at)))

        async def next_page(page: int) -> tuple[list[RecordChange], bool]:
            products, count = await self._page([*params, ("offset", (page - 1) * PAGE)])
            return [_change(p) for p in products], page * PAGE < count

        return await oldest_changes(next_page, after, until, limit, self.change_pages)

    async def ping(self) -> None:
        await self._page([("limit", 1), ("fields", "id")])
