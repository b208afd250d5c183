"""The mobile-app backend: Medusa v2 Store API (`/store/products`, `/store/regions`).

Needs `x-publishable-api-key`. Lists with `limit`/`offset`/`count`, filters by
`id`, `q`, `variants[sku]` and `updated_at[$gt|$gte|$lt|$lte]`, sorts by `order`
(`updated_at`, `-updated_at`, `id`), and adds `calculated_price` to variants when
a `region_id` is given (amounts in major units, as Medusa v2 stores them). A product's
variants come in no set order.
The Admin API's `POST /admin/products/{id}` (secret API key as HTTP Basic user)
changes a product's title and description and stamps its `updated_at`; its customers and orders
are in simulators/medusa_customers.py.

As on a real store, a product's `handle` is a URL slug made from its title when it was
created (`nordwind-trail-jacket`, `-2` on for a title taken before), never the ERP's SKU:
the SKUs both systems share are the variants'. A codeless product (simulators/catalog.py)
is sold without its first variant.

As Medusa runs on Node, a request whose URL and headers pass Node's 16 KiB
(`--max-http-header-size`) is refused with a bare 431 before Medusa sees it.
`variant_sku_filter=False` answers as Medusa before 2.5.0, whose validator
dropped the unknown `variants[sku]` key: the filter is ignored, the whole catalog counted.
"""

from __future__ import annotations

import operator
import re
from datetime import UTC, datetime
from decimal import Decimal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from simulators.catalog import Catalog, ChangeOrder, SeedProduct, SeedVariant
from simulators.http_input import basic_credentials, json_object
from simulators.instruments import Instruments, instrumented_app
from simulators.medusa_customers import customer_routes

NAME = "medusa"
COMPARISONS = {"$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le}
REGIONS = {"reg_01EUROPE": {"id": "reg_01EUROPE", "name": "Europe", "currency_code": "eur"}}
NODE_MAX_HEADER_SIZE = 16 * 1024  # bytes of URL, header names and values Node's parser takes


def medusa_error(status: int, kind: str = "unknown_error", message: str = "An unknown error occurred.") -> dict:
    if status == 503:
        kind, message = "unexpected_state", "Service unavailable"
    return {"type": kind, "message": message}


def _number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def updated(catalog: Catalog, product: SeedProduct) -> datetime:
    """Medusa's timestamps carry milliseconds."""
    stamp = catalog.stamp(NAME, product.sku, product.updated_at)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def handles(catalog: Catalog) -> dict[int, str]:
    """Each product's handle by its index: its seeded title as a slug, unique as Medusa keeps handles."""
    taken: dict[str, int] = {}
    found = {}
    for product in catalog.products:
        slug = re.sub(r"[^a-z0-9]+", "-", product.title.lower()).strip("-")
        taken[slug] = taken.get(slug, 0) + 1
        found[product.index] = slug if taken[slug] == 1 else f"{slug}-{taken[slug]}"
    return found


def sold_variants(product: SeedProduct) -> tuple[SeedVariant, ...]:
    return product.variants[1:] if product.codeless else product.variants


def product_json(catalog: Catalog, product: SeedProduct, region: dict | None, handle: str) -> dict:
    stamp = updated(catalog, product).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    variants = []
    # Medusa lists a product's variants in no set order (a real store answered L, S, M): not the catalog's
    for v in reversed(sold_variants(product)):
        price = None
        if region is not None:
            calculated = product.app_price(v)
            price = {
                "id": f"pset_{v.erp_id:08d}",
                "is_calculated_price_price_list": product.app_promotion is not None,
                "calculated_amount": _number(calculated),
                "original_amount": _number(v.list_price),
                "currency_code": region["currency_code"],
                "calculated_price": {"price_list_type": "sale" if product.app_promotion else None},
            }
        variants.append({
            "id": f"variant_{v.erp_id:08d}",
            "title": v.option_value,
            "sku": v.sku,
            "ean": v.gtin,
            "options": [{"id": f"optval_{v.option_value_id}", "value": v.option_value,
                         "option": {"id": "opt_size", "title": "Size"}}],
            "calculated_price": price,
            "updated_at": stamp,
        })
    return {
        "id": f"prod_{product.erp_id:08d}",
        "title": product.title,
        "handle": handle,
        "subtitle": product.brand,
        "description": product.description,
        "status": "published",
        "thumbnail": f"https://app-cdn.example.com/{product.sku.lower()}/thumb.webp",
        "images": [{"id": f"img_{product.erp_id:08d}", "url": f"https://app-cdn.example.com/{product.sku.lower()}/1.webp"}],
        "categories": [{"id": f"pcat_{product.category.lower()}", "name": product.category,
                        "handle": product.category.lower()}],
        "variants": variants,
        "created_at": "2025-11-01T09:00:00.000Z",
        "updated_at": stamp,
    }


class NodeHeaderLimit:
    """Node's HTTP parser counts the URL and every header name and value against one limit, and
    past it writes `431 Request Header Fields Too Large` with no body and closes the connection."""

    def __init__(self, app: ASGIApp, limit: int = NODE_MAX_HEADER_SIZE) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._size(scope) > self.limit:
            await send({"type": "http.response.start", "status": 431, "headers": [(b"connection", b"close")]})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _size(scope: Scope) -> int:
        url = len(scope.get("raw_path") or scope["path"].encode()) + 1 + len(scope.get("query_string", b""))
        return url + sum(len(name) + len(value) for name, value in scope["headers"])


def create_app(catalog: Catalog, publishable_key: str = "pk_demo", secret_key: str = "sk_demo", *,
               variant_sku_filter: bool = True) -> Starlette:
    instruments = Instruments()
    listed = [p.index for p in catalog.products if p.in_app]  # indexes: changes replace the products
    handle_of = handles(catalog)
    by_update = ChangeOrder(catalog, NAME, listed, lambda at: at.replace(microsecond=at.microsecond // 1000 * 1000))

    def check_key(request: Request) -> Response | None:
        key = request.headers.get("x-publishable-api-key")
        if not key:
            return JSONResponse(medusa_error(400, "not_allowed",
                                "Publishable API key required in the request header: x-publishable-api-key. "
                                "You can manage your keys in settings in the dashboard."), status_code=400)
        if key != publishable_key:
            return JSONResponse(medusa_error(400, "not_allowed",
                                "A valid publishable key is required to proceed with the request"), status_code=400)
        return None

    def region_of(request: Request) -> tuple[dict | None, Response | None]:
        region_id = request.query_params.get("region_id")
        if region_id is None:
            return None, None
        if region_id not in REGIONS:
            return None, JSONResponse(medusa_error(404, "not_found", f"Region with id: {region_id} was not found"),
                                      status_code=404)
        return REGIONS[region_id], None

    async def list_products(request: Request) -> Response:
        if (refused := check_key(request)) is not None:
            return refused
        region, refused = region_of(request)
        if refused is not None:
            return refused
        q = request.query_params
        try:
            limit = int(q.get("limit", "50"))
            offset = int(q.get("offset", "0"))
        except ValueError:
            return JSONResponse(medusa_error(400, "invalid_data", "limit and offset must be numbers"), status_code=400)
        bounds: dict[str, datetime] = {}
        for name in COMPARISONS:
            if raw := q.get(f"updated_at[{name}]"):
                try:
                    bound = datetime.fromisoformat(raw.replace("Z", "+00:00"))
                except ValueError:
                    return JSONResponse(medusa_error(400, "invalid_data", f"Invalid date for updated_at[{name}]"),
                                        status_code=400)
                bounds[name] = bound.replace(tzinfo=UTC) if bound.tzinfo is None else bound
        order = q.get("order") or ""
        field, descending = order.lstrip("-"), order.startswith("-")
        if order and field not in ("updated_at", "id"):
            return JSONResponse(medusa_error(400, "invalid_data", f"Cannot order by {field}"), status_code=400)
        skus = q.getlist("variants[sku][]") + q.getlist("variants[sku]")
        ids = q.getlist("id[]") + q.getlist("id")
        text = q.get("q", "").lower()
        if field == "updated_at" and offset >= 0 and limit >= 0 and not ((skus and variant_sku_filter) or ids or text):
            # the change list: from the index on the update time, as the database's
            low = max(((bounds[n], n == "$gte") for n in ("$gt", "$gte") if n in bounds), default=None,
                      key=lambda b: (b[0], not b[1]))
            high = min(((bounds[n], n == "$lte") for n in ("$lt", "$lte") if n in bounds), default=None,
                       key=lambda b: (b[0], b[1]))
            found = [catalog.products[i] for i in by_update.page(descending, low, high, offset, limit)]
            return JSONResponse({"products": [product_json(catalog, p, region, handle_of[p.index]) for p in found],
                                 "count": by_update.count(low, high), "offset": offset, "limit": limit})
        if skus and variant_sku_filter:
            wanted = set(skus)
            indexes = {catalog.variants_by_sku[s][0].index for s in wanted if s in catalog.variants_by_sku}
            selected = [p for p in (catalog.products[i] for i in sorted(indexes))
                        if p.in_app and any(v.sku in wanted for v in sold_variants(p))]
        else:
            selected = [catalog.products[i] for i in listed]
        if ids:
            wanted_ids = set(ids)
            selected = [p for p in selected if f"prod_{p.erp_id:08d}" in wanted_ids]
        if text:
            selected = [p for p in selected if text in p.title.lower()]
        for name, bound in bounds.items():
            selected = [p for p in selected if COMPARISONS[name](updated(catalog, p), bound)]
        if order:
            key = (lambda p: (updated(catalog, p), p.erp_id)) if field == "updated_at" else (lambda p: p.erp_id)
            selected = sorted(selected, key=key, reverse=descending)
        page = selected[offset: offset + limit]
        return JSONResponse({"products": [product_json(catalog, p, region, handle_of[p.index]) for p in page],
                             "count": len(selected), "offset": offset, "limit": limit})

    async def list_regions(request: Request) -> Response:
        if (refused := check_key(request)) is not None:
            return refused
        return JSONResponse({"regions": list(REGIONS.values()), "count": len(REGIONS), "offset": 0, "limit": 50})

    def admin(request: Request) -> Response | None:
        # a secret API key goes as the HTTP Basic user, with no password
        if basic_credentials(request.headers.get("authorization", "")) != (secret_key, ""):
            return JSONResponse(medusa_error(401, "unauthorized", "Unauthorized"), status_code=401)
        return None

    async def update_product(request: Request) -> Response:
        if (refused := admin(request)) is not None:
            return refused
        raw_id = request.path_params["id"]
        product = catalog.by_erp_id.get(int(raw_id[5:])) if raw_id[5:].isdigit() else None
        if product is None or not product.in_app:
            return JSONResponse(medusa_error(404, "not_found", f"Product with id: {raw_id} was not found"),
                                status_code=404)
        body = await json_object(request)
        if body is None or not set(body) <= {"title", "description"} or not all(
                isinstance(v, str) and v.strip() for v in body.values()):
            return JSONResponse(medusa_error(400, "invalid_data", "Only a non-empty title and description can be "
                                             "changed here"), status_code=400)
        changed = catalog.change(NAME, product, **body)
        return JSONResponse({"product": product_json(catalog, changed, None, handle_of[changed.index])})

    routes = [
        Route("/store/products", list_products, methods=["GET"]),
        Route("/admin/products/{id}", update_product, methods=["POST"]),
        Route("/store/regions", list_regions, methods=["GET"]),
        *customer_routes(catalog, admin, medusa_error),
    ]
    app = instrumented_app(routes, instruments, medusa_error)
    app.add_middleware(NodeHeaderLimit)  # outermost: Node refuses the request before anything counts it
    return app
