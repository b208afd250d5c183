"""The web-shop's customers and orders (WooCommerce REST v3), seeded from simulators/customer_history.py.

- `GET customers`: `email` (exact, without case: MySQL's collation; refused when not an address),
  `role` (default `customer`, as WooCommerce's: a customer of another role is found with `role=all`
  or their role), `search` (any part of e-mail, login or name), `page`/`per_page`, `orderby` (name,
  id, registered_date), `order` (asc by default), `X-WP-Total`/`X-WP-TotalPages`; `GET customers/<id>`.
- `GET orders`: `customer` (a user id; a guest's orders have 0), `status` (default `any`), `before` and
  `after` (strict, to the second, in the site's time unless `dates_are_gmt`; the site runs on UTC),
  `exclude`/`include` (ids), `orderby` (date by default, id, modified), `order` (desc by default), paging.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulators.catalog import Catalog
from simulators.customer_history import WEB_ORDERS_FROM, ShopCustomer, orders_in, shop_status, web_shop_customers
from simulators.order_history import SeedOrder

PREFIX = "/wp-json/wc/v3"
ROLES = ("administrator", "editor", "author", "contributor", "subscriber", "customer", "shop_manager",
         "wholesale_customer")
ORDER_STATUSES = ("any", "pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed",
                  "checkout-draft", "trash")
Guard = Callable[[Request], Response | None]
BadParam = Callable[[str, str], Response]


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def customer_json(customer: ShopCustomer) -> dict:
    p = customer.person
    created = _stamp(datetime(2024, 1, 1, tzinfo=UTC))
    address = {"first_name": customer.first_name, "last_name": p.last_name, "company": "", "address_1": p.street,
               "address_2": "", "city": p.city, "state": "", "postcode": p.zip, "country": p.country_code}
    return {
        "id": int(customer.key), "date_created": created, "date_created_gmt": created, "date_modified": created,
        "date_modified_gmt": created, "email": customer.email, "first_name": customer.first_name,
        "last_name": p.last_name, "role": customer.group or "customer",
        "username": customer.email.split("@")[0], "billing": {**address, "email": customer.email,
                                                             "phone": customer.phone or ""},
        "shipping": {**address, "phone": ""}, "is_paying_customer": True,
        "avatar_url": "https://secure.gravatar.com/avatar/?s=96&d=mm&r=g", "meta_data": [],
    }


def order_json(order: SeedOrder, customer: ShopCustomer) -> dict:
    stamp = _stamp(order.created_at)
    total = sum(line.quantity * line.unit_price for line in order.lines)
    address = customer_json(customer)["billing"]
    return {
        "id": WEB_ORDERS_FROM + order.index, "parent_id": 0, "number": str(WEB_ORDERS_FROM + order.index),
        "order_key": f"wc_order_seed{order.index:08d}", "created_via": "checkout", "version": "10.0.0",
        "status": shop_status(order, ("completed", "processing", "refunded", "cancelled")), "currency": "EUR",
        "date_created": stamp, "date_created_gmt": stamp, "date_modified": stamp, "date_modified_gmt": stamp,
        "total": f"{total:.2f}", "total_tax": "0.00", "prices_include_tax": True, "customer_id": int(customer.key),
        "billing": address, "shipping": {k: v for k, v in address.items() if k != "email"},
        "payment_method": "stripe", "line_items": [
            {"id": order.index * 10 + n, "name": line.sku, "product_id": 0, "variation_id": 0,
             "quantity": line.quantity, "subtotal": f"{line.quantity * line.unit_price:.2f}",
             "total": f"{line.quantity * line.unit_price:.2f}", "sku": line.sku, "price": float(line.unit_price)}
            for n, line in enumerate(order.lines)],
    }


def customer_routes(catalog: Catalog, unauthorized: Guard, bad_param: BadParam) -> list[Route]:
    customers = web_shop_customers(catalog)
    by_id = {int(c.key): c for c in customers}
    by_person = {c.person.index: c for c in customers}
    orders = sorted(((o, by_person[o.customer]) for o in orders_in(catalog, "WEB")),
                    key=lambda pair: pair[0].index)

    def paging(request: Request) -> tuple[int, int] | Response:
        try:
            page, per_page = int(request.query_params.get("page", "1")), int(request.query_params.get("per_page", "10"))
        except ValueError:
            return bad_param("page", "page and per_page must be integers.")
        if page < 1:
            return bad_param("page", "page must be greater than or equal to 1")
        if not 1 <= per_page <= 100:
            return bad_param("per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)")
        return page, per_page

    def listed(items: list, page: int, per_page: int, render: Callable[[object], dict]) -> Response:
        headers = {"X-WP-Total": str(len(items)), "X-WP-TotalPages": str(math.ceil(len(items) / per_page))}
        return JSONResponse([render(i) for i in items[(page - 1) * per_page: page * per_page]], headers=headers)

    async def list_customers(request: Request) -> Response:
        if (refused := unauthorized(request)) is not None:
            return refused
        if isinstance(paged := paging(request), Response):
            return paged
        q = request.query_params
        role = q.get("role", "customer")
        if role not in ("all", *ROLES):
            return bad_param("role", f"role is not one of all, {', '.join(ROLES)}.")
        found = list(customers)
        if (email := q.get("email")) is not None:
            if "@" not in email:
                return bad_param("email", "Invalid email address.")
            found = [c for c in found if c.email.casefold() == email.strip().casefold()]
        if role != "all":
            found = [c for c in found if (c.group or "customer") == role]
        if search := q.get("search", "").casefold():
            found = [c for c in found if search in f"{c.email} {c.first_name} {c.person.last_name}".casefold()]
        orderby = q.get("orderby", "name")
        if orderby not in ("id", "include", "name", "registered_date"):
            return bad_param("orderby", "orderby is not one of id, include, name, registered_date.")
        key = (lambda c: int(c.key)) if orderby != "name" else (lambda c: (c.first_name, c.person.last_name, c.key))
        found.sort(key=key, reverse=q.get("order", "asc") == "desc")
        return listed(found, *paged, lambda c: customer_json(c))  # type: ignore[arg-type]

    async def get_customer(request: Request) -> Response:
        if (refused := unauthorized(request)) is not None:
            return refused
        customer = by_id.get(int(request.path_params["id"]))
        if customer is None:
            return JSONResponse({"code": "woocommerce_rest_invalid_id", "message": "Invalid resource ID.",
                                 "data": {"status": 404}}, status_code=404)
        return JSONResponse(customer_json(customer))

    async def list_orders(request: Request) -> Response:
        if (refused := unauthorized(request)) is not None:
            return refused
        if isinstance(paged := paging(request), Response):
            return paged
        q = request.query_params
        status = q.get("status", "any")
        if status not in ORDER_STATUSES:
            return bad_param("status", f"status is not one of {', '.join(ORDER_STATUSES)}.")
        found = orders
        if (customer := q.get("customer")) is not None:
            if not customer.isdigit():
                return bad_param("customer", "customer is not of type integer.")
            found = [(o, c) for o, c in found if int(c.key) == int(customer)]
        if status != "any":
            found = [(o, c) for o, c in found if order_json(o, c)["status"] == status]
        for name, keep in (("before", lambda at, bound: at < bound), ("after", lambda at, bound: at > bound)):
            if raw := q.get(name):
                try:
                    bound = datetime.fromisoformat(raw)
                except ValueError:
                    return bad_param(name, "Invalid date.")
                bound = bound.replace(tzinfo=UTC) if bound.tzinfo is None else bound
                found = [(o, c) for o, c in found if keep(o.created_at.replace(microsecond=0), bound)]
        for name, wanted in (("exclude", False), ("include", True)):
            if raw := q.get(name):
                ids = {int(i) for i in raw.split(",") if i.strip().isdigit()}
                found = [(o, c) for o, c in found if ((WEB_ORDERS_FROM + o.index) in ids) == wanted]
        orderby = q.get("orderby", "date")
        if orderby not in ("date", "id", "modified", "include", "title", "slug"):
            return bad_param("orderby", "orderby is not one of date, id, include, title, slug, modified.")
        key = (lambda pair: pair[0].index) if orderby == "id" else (lambda pair: (pair[0].created_at, pair[0].index))
        found = sorted(found, key=key, reverse=q.get("order", "desc") == "desc")
        return listed(found, *paged, lambda pair: order_json(*pair))  # type: ignore[misc]

    return [Route(f"{PREFIX}/customers", list_customers, methods=["GET"]),
            Route(PREFIX + "/customers/{id:int}", get_customer, methods=["GET"]),
            Route(f"{PREFIX}/orders", list_orders, methods=["GET"])]
