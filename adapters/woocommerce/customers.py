"""The web-shop's customer and their orders, over WooCommerce REST v3.

`GET customers?email=` finds a customer by the address (WordPress compares it in MySQL's
case-insensitive collation, so the answer is checked for the very address, in any letter case);
`role=all`, as the default role filter is `customer` and would miss a customer given another role
(a wholesale or a subscriber role). The role itself is what the shop has of a customer group:
reported unless it is the plain `customer`. A customer's phone is their billing phone (WooCommerce
keeps none elsewhere, but a shipping phone since 5.6).

`GET orders?customer=<id>` lists a registered customer's orders (a guest's orders, customer 0, are
not theirs), `orderby=date&order=desc`, `dates_are_gmt=true` so that `before` (strict, to the
second) and `date_created_gmt` are UTC; `exclude` leaves out the orders of a second already shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.http import BackendHttp, parse_json, require
from domain.customers import CustomerRecord, HistoryLine, HistoryOrder, OrderWindow
from domain.errors import MalformedPayload
from domain.records import Address, OrderStatus

NAME = "woocommerce"
API = "/wp-json/wc/v3"
PER_PAGE = 100
PLAIN_ROLE = "customer"
STATUSES = {"pending": OrderStatus.PENDING, "checkout-draft": OrderStatus.PENDING, "on-hold": OrderStatus.ON_HOLD,
            "processing": OrderStatus.CONFIRMED, "completed": OrderStatus.COMPLETED,
            "cancelled": OrderStatus.CANCELLED, "refunded": OrderStatus.REFUNDED, "failed": OrderStatus.FAILED}


def _text(raw: object) -> str | None:
    return raw.strip() or None if isinstance(raw, str) else None


def _address(raw: object) -> Address | None:
    if not isinstance(raw, dict):
        return None
    street = " ".join(part for part in (_text(raw.get("address_1")), _text(raw.get("address_2"))) if part) or None
    address = Address(street=street, city=_text(raw.get("city")), zip=_text(raw.get("postcode")),
                      country_code=(_text(raw.get("country")) or "").upper() or None)
    return address if any((address.street, address.city, address.zip)) else None


def to_customer(item: dict) -> CustomerRecord:
    billing, shipping = item.get("billing") or {}, item.get("shipping") or {}
    addresses = [a for a in (_address(billing), _address(shipping)) if a is not None]
    role = _text(item.get("role"))
    try:
        return CustomerRecord(backend=NAME, key=str(int(item["id"])), email=_text(item.get("email")),
                              first_name=_text(item.get("first_name")), last_name=_text(item.get("last_name")),
                              phone=_text(billing.get("phone")) or _text(shipping.get("phone")),
                              addresses=tuple(dict.fromkeys(addresses)),
                              groups=(role,) if role and role != PLAIN_ROLE else ())
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedPayload(NAME, f"a customer lacks a documented field ({exc})") from exc


def _money(raw: object) -> Decimal:
    try:
        return Decimal(str(raw))
    except InvalidOperation as exc:
        raise MalformedPayload(NAME, f"{raw!r} is not an amount") from exc


def to_history_order(item: dict) -> HistoryOrder:
    try:
        status = str(item["status"])
        lines = tuple(HistoryLine(sku=_text(line.get("sku")), title=_text(line.get("name")),
                                  quantity=int(line["quantity"]), unit_price=_money(line.get("price", 0)))
                      for line in item.get("line_items") or ())
        return HistoryOrder(
            backend=NAME, key=str(int(item["id"])), number=str(item.get("number") or item["id"]),
            status=STATUSES.get(status, OrderStatus.UNKNOWN), system_status=status, channel="WEB",
            created_at=datetime.fromisoformat(item["date_created_gmt"]).replace(tzinfo=UTC),
            total=_money(item["total"]), currency=str(item["currency"]).upper(), lines=lines)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedPayload(NAME, f"order {item.get('id')!r} lacks a documented field ({exc})") from exc


class WooCommerceCustomers:
    """Mixed into the adapter: its `http` and `query_auth` (credentials as query parameters, if so)."""

    http: BackendHttp
    query_auth: Mapping[str, str]

    async def _list(self, path: str, params: dict[str, Any]) -> tuple[list[dict], int]:
        response = await self.http.call("GET", f"{API}/{path}", params={**params, **self.query_auth})
        items = require(NAME, parse_json(NAME, response.content), list, f"a JSON array of {path}")
        try:
            pages = int(response.headers.get("X-WP-TotalPages", "1"))
        except ValueError as exc:
            raise MalformedPayload(NAME, "X-WP-TotalPages is not a number") from exc
        return [item for item in items if isinstance(item, dict)], pages

    async def customer_by_email(self, email: str) -> CustomerRecord | None:
        items, _ = await self._list("customers", {"email": email, "role": "all", "per_page": 10})
        wanted = email.casefold()
        found = [item for item in items if str(item.get("email", "")).casefold() == wanted]
        return to_customer(found[0]) if found else None

    async def order_history(self, customer_key: str, window: OrderWindow) -> list[HistoryOrder]:
        params: dict[str, Any] = {"customer": customer_key, "orderby": "date", "order": "desc",
                                  "dates_are_gmt": "true", "per_page": min(window.limit, PER_PAGE)}
        if window.until is not None:
            params["before"] = (window.until + timedelta(seconds=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        if window.seen:
            params["exclude"] = ",".join(sorted(window.seen))
        pages = await self.http.fan_out(self._list("orders", {**params, "page": n})
                                        for n in range(1, math.ceil(window.limit / PER_PAGE) + 1))
        return [to_history_order(item) for page, _ in pages for item in page][:window.limit]
