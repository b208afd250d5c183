"""The app backend's customers and orders (Medusa v2 Admin API), seeded from
simulators/customer_history.py. A secret API key as the user of HTTP Basic, no password; 401 without.

- `GET /admin/customers`: `q` (any part of e-mail, names, company or phone, without case), `email`
  (exact, as stored), `limit` (default 50)/`offset`/`count`, `fields` (plain names select those and
  `id`; `+name` adds to the defaults; `*addresses`, `*groups` add the relations; others are refused).
- `GET /admin/orders`: `customer_id`, `status`, `created_at[$lt|$lte|$gt|$gte]`, `order` (`created_at`,
  `-created_at`, `id`), `limit` (default 15)/`offset`/`count`, `fields` (`*items` adds the items).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulators.catalog import Catalog
from simulators.customer_history import APP_ORDERS_FROM, ShopCustomer, app_customers, orders_in, shop_status
from simulators.order_history import SeedOrder

CUSTOMER_DEFAULTS = ("id", "company_name", "first_name", "last_name", "email", "phone", "metadata", "has_account",
                     "created_by", "created_at", "updated_at", "deleted_at")
CUSTOMER_RELATIONS = ("addresses", "groups")
ORDER_DEFAULTS = ("id", "display_id", "status", "email", "currency_code", "customer_id", "region_id", "total",
                  "subtotal", "created_at", "updated_at")
ORDER_RELATIONS = ("items",)
COMPARISONS = {"$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le}
Check = Callable[[Request], Response | None]
ErrorBody = Callable[..., dict]


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _number(value: object) -> float | int:
    number = float(value)  # type: ignore[arg-type]
    return int(number) if number.is_integer() else number


def customer_json(c: ShopCustomer) -> dict:
    p = c.person
    created = _iso(datetime(2024, 3, 1, tzinfo=UTC))
    return {
        "id": c.key, "company_name": None, "first_name": c.first_name, "last_name": p.last_name, "email": c.email,
        "phone": c.phone, "metadata": None, "has_account": True, "created_by": None, "created_at": created,
        "updated_at": created, "deleted_at": None,
        "addresses": [{"id": f"cuaddr_{c.key[4:]}", "customer_id": c.key, "first_name": c.first_name,
                       "last_name": p.last_name, "company": None, "address_1": p.street, "address_2": None,
                       "city": p.city, "province": None, "postal_code": p.zip, "country_code": p.country_code.lower(),
                       "phone": c.phone, "is_default_shipping": True, "is_default_billing": True}],
        "groups": [{"id": "cusgroup_01VIP", "name": c.group}] if c.group else [],
    }


def order_json(order: SeedOrder, customer: ShopCustomer) -> dict:
    total = sum(line.quantity * line.unit_price for line in order.lines)
    stamp = _iso(order.created_at)
    return {
        "id": f"order_01SEED{order.index:020d}", "display_id": APP_ORDERS_FROM + order.index,
        "status": shop_status(order, ("completed", "pending", "canceled", "canceled")), "email": customer.email,
        "currency_code": "eur", "customer_id": customer.key, "region_id": "reg_01EUROPE", "total": _number(total),
        "subtotal": _number(total), "created_at": stamp, "updated_at": stamp,
        "items": [{"id": f"ordli_{order.index:08d}{n}", "title": line.sku, "variant_sku": line.sku,
                   "quantity": line.quantity, "unit_price": _number(line.unit_price)}
                  for n, line in enumerate(order.lines)],
    }


def _selection(raw: str | None, defaults: tuple[str, ...], relations: tuple[str, ...]) -> set[str] | str:
    """The fields an answer shows, or the error for one not allowed."""
    if not raw:
        return set(defaults)
    asked = [f.strip() for f in raw.split(",") if f.strip()]
    plain = [f for f in asked if f[0] not in "+*-"]
    chosen = {"id", *plain} if plain else set(defaults)
    for name in asked:
        bare = name.lstrip("+*-")
        if bare not in defaults and bare not in relations:
            return f"Requested fields [{bare}] are not valid"
        if name.startswith("-"):
            chosen.discard(bare)
        else:
            chosen.add(bare)
    return chosen


def _shown(record: dict, fields: set[str]) -> dict:
    return {k: v for k, v in record.items() if k in fields}


def customer_routes(catalog: Catalog, authorized: Check, error: ErrorBody) -> list[Route]:
    customers = app_customers(catalog)
    by_person = {c.person.index: c for c in customers}
    orders = [(o, by_person[o.customer]) for o in orders_in(catalog, "APP")]

    def invalid(message: str) -> Response:
        return JSONResponse(error(400, "invalid_data", message), status_code=400)

    def paging(request: Request, default_limit: int) -> tuple[int, int] | Response:
        try:
            limit = int(request.query_params.get("limit", str(default_limit)))
            offset = int(request.query_params.get("offset", "0"))
        except ValueError:
            return invalid("limit and offset must be numbers")
        return (offset, limit) if limit >= 0 and offset >= 0 else invalid("limit and offset must not be negative")

    async def list_customers(request: Request) -> Response:
        if (refused := authorized(request)) is not None:
            return refused
        if isinstance(paged := paging(request, 50), Response):
            return paged
        fields = _selection(request.query_params.get("fields"), CUSTOMER_DEFAULTS, CUSTOMER_RELATIONS)
        if isinstance(fields, str):
            return invalid(fields)
        q = request.query_params
        found = list(customers)
        if (email := q.get("email")) is not None:
            found = [c for c in found if c.email == email]
        if text := q.get("q", "").casefold():
            found = [c for c in found if text in " ".join(
                filter(None, (c.email, c.first_name, c.person.last_name, c.phone))).casefold()]
        offset, limit = paged
        return JSONResponse({"customers": [_shown(customer_json(c), fields) for c in found[offset: offset + limit]],
                             "count": len(found), "offset": offset, "limit": limit})

    async def list_orders(request: Request) -> Response:
        if (refused := authorized(request)) is not None:
            return refused
        if isinstance(paged := paging(request, 15), Response):
            return paged
        fields = _selection(request.query_params.get("fields"), ORDER_DEFAULTS, ORDER_RELATIONS)
        if isinstance(fields, str):
            return invalid(fields)
        q = request.query_params
        found = orders
        if customer_ids := q.getlist("customer_id") + q.getlist("customer_id[]"):
            found = [(o, c) for o, c in found if c.key in customer_ids]
        if statuses := q.getlist("status") + q.getlist("status[]"):
            found = [(o, c) for o, c in found if order_json(o, c)["status"] in statuses]
        for name, compare in COMPARISONS.items():
            if raw := q.get(f"created_at[{name}]"):
                try:
                    bound = datetime.fromisoformat(raw.replace("Z", "+00:00"))
                except ValueError:
                    return invalid(f"Invalid date for created_at[{name}]")
                bound = bound.replace(tzinfo=UTC) if bound.tzinfo is None else bound
                found = [(o, c) for o, c in found if compare(o.created_at, bound)]
        order = q.get("order") or "created_at"
        if order.lstrip("-") not in ("created_at", "id"):
            return invalid(f"Cannot order by {order.lstrip('-')}")
        key = (lambda pair: pair[0].created_at) if order.lstrip("-") == "created_at" else (lambda pair: pair[0].index)
        found = sorted(found, key=key, reverse=order.startswith("-"))
        offset, limit = paged
        return JSONResponse({"orders": [_shown(order_json(o, c), fields) for o, c in found[offset: offset + limit]],
                             "count": len(found), "offset": offset, "limit": limit})

    return [Route("/admin/customers", list_customers, methods=["GET"]),
            Route("/admin/orders", list_orders, methods=["GET"])]
