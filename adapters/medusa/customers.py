"""The app backend's customer and their orders, over Medusa v2's Admin API.

The Admin API takes a secret API key as the user of HTTP Basic, with no password
(`Authorization: Basic base64("<secret>:")`). Without a key (the setting empty) nothing of it is
asked: `NotConfigured` says so, and the profile and the history report it as a partial result.

`GET /admin/customers?q=` is a fuzzy search over e-mail and names: the answer is checked for the
very address (any letter case). `fields` adds the addresses and the customer groups (groups are
Medusa's customer segments: what the app has of a loyalty tier). `GET /admin/orders?customer_id=`
with `order=-created_at` and `created_at[$lt]` (Medusa keeps milliseconds); the orders of a second
already shown are dropped here, as the list takes no exclusion of ids in every 2.x release.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from adapters.http import BackendHttp, require
from domain.customers import CustomerRecord, HistoryLine, HistoryOrder, OrderWindow
from domain.errors import BackendUnavailable, MalformedPayload
from domain.records import Address, OrderStatus

NAME = "medusa"
CUSTOMER_FIELDS = "id,email,first_name,last_name,phone,*addresses,*groups"
ORDER_FIELDS = "id,display_id,status,created_at,total,currency_code,*items"
SEARCH_LIMIT = 20  # customers one fuzzy search returns; the exact address is among the closest
# Medusa's order statuses: `pending` is a placed order not yet completed
STATUSES = {"draft": OrderStatus.PENDING, "pending": OrderStatus.CONFIRMED, "requires_action": OrderStatus.ON_HOLD,
            "completed": OrderStatus.COMPLETED, "archived": OrderStatus.COMPLETED,
            "canceled": OrderStatus.CANCELLED}


class NotConfigured(BackendUnavailable):
    """No secret API key is set: the Admin API is not asked."""

    summary = "is not configured for customers (no secret API key)"


def _text(raw: object) -> str | None:
    return raw.strip() or None if isinstance(raw, str) else None


def _address(raw: dict) -> Address | None:
    street = " ".join(p for p in (_text(raw.get("address_1")), _text(raw.get("address_2"))) if p) or None
    address = Address(street=street, city=_text(raw.get("city")), zip=_text(raw.get("postal_code")),
                      country_code=(_text(raw.get("country_code")) or "").upper() or None)
    return address if any((address.street, address.city, address.zip)) else None


def _time(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)


def _amount(raw: object) -> Decimal:
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        return Decimal(raw)
    raise MalformedPayload(NAME, f"amount {raw!r} is not a number")


def to_customer(item: dict) -> CustomerRecord:
    try:
        addresses = [a for a in (_address(raw) for raw in item.get("addresses") or ()) if a is not None]
        return CustomerRecord(backend=NAME, key=str(item["id"]), email=_text(item.get("email")),
                              first_name=_text(item.get("first_name")), last_name=_text(item.get("last_name")),
                              phone=_text(item.get("phone")), addresses=tuple(dict.fromkeys(addresses)),
                              groups=tuple(g["name"] for g in item.get("groups") or () if _text(g.get("name"))))
    except (KeyError, TypeError, AttributeError) as exc:
        raise MalformedPayload(NAME, f"a customer lacks a documented field ({exc})") from exc


def to_history_order(item: dict) -> HistoryOrder:
    try:
        status = str(item["status"])
        lines = tuple(HistoryLine(sku=_text(line.get("variant_sku")), title=_text(line.get("title")),
                                  quantity=int(line["quantity"]), unit_price=_amount(line["unit_price"]))
                      for line in item.get("items") or ())
        return HistoryOrder(
            backend=NAME, key=str(item["id"]), number=str(item["display_id"]),
            status=STATUSES.get(status, OrderStatus.UNKNOWN), system_status=status, channel="APP",
            created_at=_time(item["created_at"]), total=_amount(item["total"]),
            currency=str(item["currency_code"]).upper(), lines=lines)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedPayload(NAME, f"order {item.get('id')!r} lacks a documented field ({exc})") from exc


class MedusaCustomers:
    """Mixed into the adapter: its `http`, and the secret API key of the Admin API (empty: none)."""

    http: BackendHttp
    secret_api_key: str

    def _admin_headers(self) -> dict[str, str]:
        if not self.secret_api_key:
            raise NotConfigured(NAME, "backends.medusa.secret_api_key is empty: the app backend's customers and "
                                      "orders are not read")
        return {"Authorization": "Basic " + base64.b64encode(f"{self.secret_api_key}:".encode()).decode()}

    async def _admin_list(self, path: str, key: str, params: list[tuple[str, Any]]) -> list[dict]:
        body = require(NAME, await self.http.call_json("GET", path, params=params, headers=self._admin_headers()),
                       dict, "an object")
        items = require(NAME, body.get(key), list, f"a {key} array")
        return [item for item in items if isinstance(item, dict)]

    async def customer_by_email(self, email: str) -> CustomerRecord | None:
        items = await self._admin_list("/admin/customers", "customers",
                                       [("q", email), ("fields", CUSTOMER_FIELDS), ("limit", SEARCH_LIMIT)])
        wanted = email.casefold()
        found = [item for item in items if str(item.get("email", "")).casefold() == wanted]
        return to_customer(found[0]) if found else None

    async def order_history(self, customer_key: str, window: OrderWindow) -> list[HistoryOrder]:
        params: list[tuple[str, Any]] = [("customer_id", customer_key), ("order", "-created_at"),
                                         ("fields", ORDER_FIELDS), ("offset", 0),
                                         ("limit", window.limit + len(window.seen))]
        if window.until is not None:
            bound = (window.until + timedelta(seconds=1)).astimezone(UTC)
            params.append(("created_at[$lt]", bound.strftime("%Y-%m-%dT%H:%M:%S.000Z")))
        items = await self._admin_list("/admin/orders", "orders", params)
        orders = [to_history_order(item) for item in items]
        return [o for o in orders if o.key not in window.seen][:window.limit]
