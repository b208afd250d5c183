"""WooCommerce REST API v3: the legacy web-shop's products as content records.

Products are fetched by SKU with `sku=a,b,c` (comma-separated, up to 100 a
page), following `X-WP-TotalPages` when a batch spans pages. That filter matches
variations too: a variation found stands for its parent product, whose content is
returned (read with `include=` when the parent was not found itself), so a
variable product whose own SKU is not the ERP's is still matched through its
variations' SKUs. Credentials go as
HTTP Basic (the documented way over HTTPS) or, for servers that drop the
Authorization header, as `consumer_key`/`consumer_secret` query parameters.

As WooCommerce answers a read key: every list asks `status=publish` (the default is
`any`, drafts included); SKUs match without case (MySQL's collation), so a record
carries the SKUs as they were asked. A 401 carries no WWW-Authenticate, so the error
names the settings to check.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from adapters.change_pages import MAX_PAGES, oldest_changes
from adapters.http import BackendHttp, parse_json, require
from adapters.woocommerce.customers import WooCommerceCustomers
from domain.errors import MalformedPayload
from domain.records import Attribute, ChangeMark, ContentRecord, Coupon, Image, RecordChange

NAME = "woocommerce"
API = "/wp-json/wc/v3"
PER_PAGE = 100
COUPON_LOOKUPS = 4  # coupon look-ups of one process at the web-shop at once (one call per code)
_TAGS = re.compile(r"<[^>]+>")
PUBLISHED = {"status": "publish"}
# the codes of a key pair refused (WC_REST_Authentication), or of no key pair arrived at all
CREDENTIAL_CODES = ("woocommerce_rest_authentication_error", "woocommerce_rest_cannot_view")
CREDENTIAL_HINT = ("check backends.woocommerce.consumer_key and consumer_secret (a key with read access); if the "
                   "server drops the Authorization header, set backends.woocommerce.auth = query")


def describe_error(body: Any) -> str | None:
    if not isinstance(body, dict) or "code" not in body:
        return None
    said = f"{body['code']}: {body['message']}"
    return f"{said} ({CREDENTIAL_HINT})" if body["code"] in CREDENTIAL_CODES else said


def plain_text(markup: str | None) -> str | None:
    if not markup:
        return None
    return html.unescape(_TAGS.sub("", markup)).strip() or None


def _timestamp(raw: str | None) -> datetime | None:
    if not raw:
        return None
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


def to_content(item: dict) -> ContentRecord:
    """A product's content. (A variation is never made into content: it stands for its parent, as
    WooCommerce keeps no text or terms on a variation.)"""
    try:
        return ContentRecord(
            backend=NAME,
            sku=item.get("sku") or None,
            title=item.get("name") or None,
            description=plain_text(item.get("description")) or plain_text(item.get("short_description")),
            brand=next((b["name"] for b in item.get("brands") or ()), None),
            categories=tuple(c["name"] for c in item.get("categories") or ()),
            images=tuple(Image(url=i["src"], alt_text=i.get("alt") or None) for i in item.get("images") or ()),
            # its own attributes; those it is varied by are its variations' facts
            attributes=tuple(Attribute(key=a["name"], value=", ".join(a.get("options") or ()))
                             for a in item.get("attributes") or () if not a.get("variation")),
            gtin=item.get("global_unique_id") or None,
            updated_at=_timestamp(item.get("date_modified_gmt")),
            shop_product_id=int(item["id"]) if item.get("id") is not None else None,
            category_ids=tuple(int(c["id"]) for c in item.get("categories") or () if c.get("id") is not None),
            on_sale=bool(item.get("on_sale")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload(NAME, f"product {item.get('id')!r} lacks a documented field ({exc})") from exc


def _is_variation(item: dict) -> bool:
    return item.get("type") == "variation"


def to_coupon(item: Any) -> Coupon:
    try:
        expires = item.get("date_expires_gmt") or item.get("date_expires")  # the _gmt one when given: UTC
        return Coupon(code=str(item["code"]).lower(), discount_type=str(item["discount_type"]),
                      amount=Decimal(str(item["amount"])),
                      expires_at=datetime.fromisoformat(expires).replace(tzinfo=UTC) if expires else None,
                      minimum_amount=Decimal(str(item.get("minimum_amount") or "0")),
                      usage_limit=_count(item.get("usage_limit")), usage_count=int(item.get("usage_count") or 0),
                      maximum_amount=Decimal(str(item.get("maximum_amount") or "0")),
                      usage_limit_per_user=_count(item.get("usage_limit_per_user")),
                      individual_use=bool(item.get("individual_use")),
                      email_restrictions=tuple(str(e).strip().lower() for e in item.get("email_restrictions") or ()),
                      product_ids=_ids(item.get("product_ids")),
                      excluded_product_ids=_ids(item.get("excluded_product_ids")),
                      product_categories=_ids(item.get("product_categories")),
                      excluded_product_categories=_ids(item.get("excluded_product_categories")),
                      exclude_sale_items=bool(item.get("exclude_sale_items")),
                      limit_usage_to_x_items=_count(item.get("limit_usage_to_x_items")),
                      used_by=tuple(str(u) for u in item.get("used_by") or ()))
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError) as exc:
        raise MalformedPayload(NAME, f"coupon {item!r:.80} lacks a documented field ({exc})") from exc


def _id(item: dict, field: str = "id") -> int:
    try:
        return int(item[field])
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload(NAME, f"product {item.get('id')!r} has no numeric {field}") from exc


def _count(raw: Any) -> int | None:
    """A limit: WooCommerce answers null (or 0 in older versions) for none."""
    return int(raw) if raw else None


def _ids(raw: Any) -> tuple[int, ...]:
    return tuple(int(i) for i in raw or ())


def _wp_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _change(item: object) -> RecordChange | None:
    if not isinstance(item, dict) or not item.get("sku"):
        return None  # a product without a SKU cannot be matched to the assortment
    try:
        at = _timestamp(item["date_modified_gmt"])
        return RecordChange(at=at, key=int(item["id"]), sku=item["sku"]) if at else None
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedPayload(NAME, f"product {item.get('id')!r} lacks a documented field ({exc})") from exc


class WooCommerceAdapter(WooCommerceCustomers):
    name = NAME

    def __init__(self, http: BackendHttp, *, query_auth: tuple[str, str] | None = None,
                 change_pages: int = MAX_PAGES) -> None:
        self.http = http
        self.change_pages = change_pages  # pages one read of the change list may take
        self.query_auth = {"consumer_key": query_auth[0], "consumer_secret": query_auth[1]} if query_auth else {}
        self._coupon_lookups = asyncio.Semaphore(COUPON_LOOKUPS)

    async def _page(self, params: dict) -> tuple[list[dict], int]:
        response = await self.http.call("GET", f"{API}/products", params={**params, **self.query_auth})
        items = require(NAME, parse_json(NAME, response.content), list, "a JSON array of products")
        try:
            pages = int(response.headers.get("X-WP-TotalPages", "1"))
        except ValueError as exc:
            raise MalformedPayload(NAME, "X-WP-TotalPages is not a number") from exc
        return items, pages

    async def content_by_sku(self, skus: Sequence[str]) -> list[ContentRecord]:
        """Each product found, under the SKUs it was asked by (its own or its variations'), spelt as
        asked: WooCommerce matches SKUs without case."""
        asked: dict[str, list[str]] = defaultdict(list)  # each SKU without case -> the spellings asked
        for sku in dict.fromkeys(skus):
            asked[sku.casefold()].append(sku)
        distinct = [spellings[0] for spellings in asked.values()]
        batches = [distinct[i: i + PER_PAGE] for i in range(0, len(distinct), PER_PAGE)]
        found = await self.http.fan_out(self._by_sku(batch) for batch in batches)
        records = []
        for record in (r for batch in found for r in batch):
            variants = tuple(s for v in record.variant_skus for s in asked.get(v.casefold(), ()))
            own = asked.get(record.sku.casefold(), []) if record.sku else []
            records += [dataclasses.replace(record, sku=sku, variant_skus=variants) for sku in own] or (
                [dataclasses.replace(record, variant_skus=variants)] if variants else [])
        return records

    async def _all_pages(self, params: dict) -> list[dict]:
        params = {**params, **PUBLISHED, "per_page": PER_PAGE, "page": 1}
        items, pages = await self._page(params)
        if pages > 1:
            rest = await self.http.fan_out(self._page({**params, "page": n}) for n in range(2, pages + 1))
            items += [item for page, _ in rest for item in page]
        return [item for item in items if isinstance(item, dict)]

    async def _by_sku(self, skus: Sequence[str]) -> list[ContentRecord]:
        """The published products found by these SKUs, each with the SKUs of its variations found: a
        variation stands for its parent (read with `include=` when not found itself), whose content it
        is, as WooCommerce keeps no text or terms on a variation."""
        items = await self._all_pages({"sku": ",".join(skus)})
        products = {_id(item): item for item in items if not _is_variation(item) and item.get("sku")}
        variation_skus: dict[int, list[str]] = {}
        for item in items:
            if _is_variation(item) and item.get("sku") and item.get("parent_id"):
                variation_skus.setdefault(_id(item, "parent_id"), []).append(item["sku"])
        parents = [i for i in variation_skus if i not in products]  # a parent not published is not found
        found = await self.http.fan_out(self._all_pages({"include": ",".join(map(str, parents[n: n + PER_PAGE]))})
                                        for n in range(0, len(parents), PER_PAGE))
        products |= {_id(item): item for page in found for item in page}
        return [dataclasses.replace(to_content(item), variant_skus=tuple(variation_skus.get(key, ())))
                for key, item in products.items()]

    async def content_changes(self, after: ChangeMark | None, until: datetime, limit: int) -> list[RecordChange]:
        """`modified_after` is strict and to the second: asked from the second before the mark, the
        changes at the mark's own second come back too, and those up to the mark are dropped here; a
        mark past its whole second (a burst passed over) asks from that second."""
        params: dict = {"orderby": "modified", "order": "asc", "dates_are_gmt": "true", **PUBLISHED,
                        "per_page": PER_PAGE,
                        "modified_before": _wp_time(until.replace(microsecond=0) + timedelta(seconds=1))}
        if after is not None:
            params["modified_after"] = _wp_time(after.at if after.passed_instant else after.at - timedelta(seconds=1))

        async def next_page(page: int) -> tuple[list[RecordChange], bool]:
            items, pages = await self._page({**params, "page": page})
            return [c for c in map(_change, items) if c is not None], page < pages

        return await oldest_changes(next_page, after, until, limit, self.change_pages)

    async def coupons_by_code(self, codes: Sequence[str]) -> list[Coupon]:
        """`GET coupons?code=` takes one code, so one call per distinct code, at most COUPON_LOOKUPS
        of the process at once: codes cannot take the connections the catalog's calls need."""
        async def lookup(code: str) -> httpx.Response:
            async with self._coupon_lookups:
                return await self.http.call("GET", f"{API}/coupons", params={"code": code, **self.query_auth})

        pages = await self.http.fan_out(lookup(code) for code in dict.fromkeys(c.lower() for c in codes))
        found = []
        for response in pages:
            for item in require(NAME, parse_json(NAME, response.content), list, "a JSON array of coupons"):
                found.append(to_coupon(item))
        return found

    async def ping(self) -> None:
        await self._page({"per_page": 1})
