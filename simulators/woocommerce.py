"""The legacy web-shop: WooCommerce REST API v3 (`/wp-json/wc/v3/...`).

Subset served: products (list with `sku`, `include`, `status`, `search`, `modified_after`
and `modified_before` (strict, to the second), `orderby` id|modified, `order`, `page`, `per_page`,
`X-WP-Total`/`X-WP-TotalPages`), one product, updating a product's name and
description (`PUT`, which stamps `date_modified`), customers and orders (simulators/woocommerce_customers.py), coupons (listed by `code`, with every field of the
REST schema: limits, restrictions, `used_by`; and created with `POST`). Auth as WooCommerce does
it over HTTPS: HTTP Basic with consumer key and secret, or the same as query
parameters; a 401 carries no `WWW-Authenticate`. Errors use WordPress's `{code, message, data: {status}}` shape.

Where the real one is awkward, so is this one (as WooCommerce 10 answers a read/write key):
- `status` defaults to `any`: the draft product DRAFT_SKU comes back unless `status=publish` is asked;
- `sku=` matches without case (MySQL's collation) and finds variations too (`post_type` product and
  product_variation): `"type": "variation"` with `parent_id`, attributes with one `option` each, and
  no description, categories or brands of their own (those are the parent's);
- coupon codes are kept lower-cased (`wc_strtolower` on `woocommerce_coupon_code`), looked up without case.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulators.catalog import BASE_TIME, LOCATIONS, Catalog, ChangeOrder, SeedProduct, SeedVariant
from simulators.http_input import basic_credentials, json_object
from simulators.instruments import Instruments, instrumented_app
from simulators.woocommerce_customers import customer_routes

NAME = "woocommerce"
PREFIX = "/wp-json/wc/v3"
MAX_PER_PAGE = 100
VARIATION_IDS = 1_000_000  # a variation is a post too: its id is this plus its ERP id, past every product's
DRAFT_ID = 900_000
DRAFT_SKU = "ACC-DRAFT-1"
STATUSES = ("any", "publish", "draft", "pending", "private", "future", "trash")


@dataclass(frozen=True, slots=True)
class Post:
    """A product as WordPress keeps it: a product post, or a variation post of one (`variant`)."""

    id: int
    product: SeedProduct
    variant: SeedVariant | None = None
    status: str = "publish"

    @classmethod
    def of(cls, product: SeedProduct, variant: SeedVariant | None = None) -> Post:
        return cls(product.index + 1 if variant is None else VARIATION_IDS + variant.erp_id, product, variant)


def wp_error(status: int, code: str = "internal_server_error", message: str = "Internal Server Error") -> dict:
    if status == 503:
        code, message = "service_unavailable", "The site is temporarily unavailable."
    return {"code": code, "message": message, "data": {"status": status}}


def modified(catalog: Catalog, product: SeedProduct) -> datetime:
    """WordPress keeps post_modified to the second."""
    return catalog.stamp(NAME, product.sku, product.updated_at).replace(microsecond=0)


def draft_product(catalog: Catalog) -> SeedProduct:
    """A product written but not published: only the shop's staff (and a read key) see it."""
    model = catalog.products[0]
    variant = dataclasses.replace(model.variants[0], sku=DRAFT_SKU, option_value="One size")
    return dataclasses.replace(model, sku=DRAFT_SKU, title="Harbor & Co Travel Wallet", brand="Harbor & Co",
                               category="Accessories", description="Not for sale yet.", variants=(variant,),
                               updated_at=BASE_TIME + timedelta(hours=1))


def post_json(catalog: Catalog, post: Post) -> dict:
    if post.variant is None:
        return {**product_json(catalog, post.product), "id": post.id, "status": post.status}
    return variation_json(catalog, post.product, post.variant)


def variation_json(catalog: Catalog, product: SeedProduct, variant: SeedVariant) -> dict:
    """A variation as `GET products?sku=` shows it: its own SKU, price and stock, one `option` per
    attribute, the parent's featured image (the `view` context falls back to it), and no text or terms."""
    stock = max(0, sum(catalog.stock(variant.erp_id, loc)[0] - catalog.stock(variant.erp_id, loc)[1]
                       for loc in LOCATIONS if not loc.is_store))
    stamp = modified(catalog, product).strftime("%Y-%m-%dT%H:%M:%S")
    price = str(variant.list_price)
    return {
        "id": VARIATION_IDS + variant.erp_id, "name": f"{product.title} - {variant.option_value}",
        "slug": f"{product.sku.lower()}-{variant.option_value.lower()}",
        "permalink": f"https://shop.example.com/product/{product.sku.lower()}/?attribute_size={variant.option_value}",
        "date_modified": stamp, "date_modified_gmt": stamp, "type": "variation", "status": "publish",
        "description": "", "short_description": "", "sku": variant.sku, "global_unique_id": variant.gtin,
        "price": price, "regular_price": price, "sale_price": "", "on_sale": False, "manage_stock": True,
        "stock_quantity": stock, "stock_status": "instock" if stock > 0 else "outofstock",
        "categories": [], "brands": [], "tags": [], "images": images_json(product)[:1],
        "attributes": [{"id": 0, "name": "Size", "slug": "size", "option": variant.option_value}],
        "variations": [], "parent_id": product.index + 1,
    }


def product_json(catalog: Catalog, product: SeedProduct) -> dict:
    cat_id = 10 + hash_index(product.category)
    stock = max(0, catalog.erp_stock_total(product) + product.webshop_stock_offset)
    variable = len(product.variants) > 1
    price = str(product.list_price)
    stamp = modified(catalog, product).strftime("%Y-%m-%dT%H:%M:%S")  # the site runs on UTC: both stamps agree
    return {
        "id": product.index + 1,
        "name": product.title,
        "slug": product.title.lower().replace(" & ", "-").replace(" ", "-"),
        "permalink": f"https://shop.example.com/product/{product.sku.lower()}/",
        "date_modified": stamp,
        "date_modified_gmt": stamp,
        "type": "variable" if variable else "simple",
        "status": "publish",
        "description": f"<p>{product.description}</p>",
        "short_description": f"<p>{product.title}</p>",
        "sku": product.webshop_sku,
        "global_unique_id": product.gtin or "",
        "price": price,
        "regular_price": "" if variable else price,
        "sale_price": "",
        "on_sale": False,
        "manage_stock": True,
        "stock_quantity": stock,
        "stock_status": "instock" if stock > 0 else "outofstock",
        "categories": [{"id": cat_id, "name": product.category, "slug": product.category.lower()}],
        "brands": [{"id": 500 + hash_index(product.brand), "name": product.brand,
                    "slug": product.brand.lower().replace(" & ", "-")}],
        "tags": [],
        "images": images_json(product),
        "attributes": [
            {"id": 1, "name": "Material", "position": 0, "visible": True, "variation": False,
             "options": ["Recycled polyester" if product.index % 2 else "Organic cotton"]},
            *([{"id": 2, "name": "Size", "position": 1, "visible": True, "variation": True,
                "options": [v.option_value for v in product.variants]}] if variable else []),
        ],
        "variations": [VARIATION_IDS + v.erp_id for v in product.variants] if variable else [],
        "parent_id": 0,
    }


def images_json(product: SeedProduct) -> list[dict]:
    return [{"id": (product.index + 1) * 10 + n, "src": f"https://shop.example.com/media/{product.sku.lower()}-{n}.jpg",
             "name": f"{product.sku}-{n}", "alt": f"{product.title}, view {n}"} for n in (1, 2)]


def total_headers(total: int, per_page: int) -> dict[str, str]:
    return {"X-WP-Total": str(total), "X-WP-TotalPages": str(math.ceil(total / per_page))}


def hash_index(text: str) -> int:
    return sum(map(ord, text)) % 97


COUPON_DEFAULTS: dict[str, object] = {
    "amount": "0", "discount_type": "fixed_cart", "description": "", "date_expires": None, "date_expires_gmt": None,
    "usage_count": 0, "individual_use": False, "product_ids": [], "excluded_product_ids": [], "usage_limit": None,
    "usage_limit_per_user": None, "limit_usage_to_x_items": None, "free_shipping": False, "product_categories": [],
    "excluded_product_categories": [], "exclude_sale_items": False, "minimum_amount": "0.00",
    "maximum_amount": "0.00", "email_restrictions": [], "used_by": [], "meta_data": [],
}
COUPON_FIELDS = {  # what `POST coupons` takes, with the JSON type of each
    "code": str, "amount": str, "discount_type": str, "description": str, "date_expires": (str, type(None)),
    "date_expires_gmt": (str, type(None)), "individual_use": bool, "product_ids": list, "excluded_product_ids": list,
    "usage_limit": (int, type(None)), "usage_limit_per_user": (int, type(None)),
    "limit_usage_to_x_items": (int, type(None)), "free_shipping": bool, "product_categories": list,
    "excluded_product_categories": list, "exclude_sale_items": bool, "minimum_amount": str, "maximum_amount": str,
    "email_restrictions": list,
}
DISCOUNT_TYPES = ("percent", "fixed_cart", "fixed_product")


def coupon_json(**fields: object) -> dict:
    """A coupon as `GET coupons` shows it: every field of the REST schema, `fields` over the defaults."""
    stamp = "2025-01-01T00:00:00"
    coupon = {"date_created": stamp, "date_created_gmt": stamp, "date_modified": stamp, "date_modified_gmt": stamp,
              **COUPON_DEFAULTS, **fields}
    if coupon["date_expires"] and not coupon["date_expires_gmt"]:
        coupon["date_expires_gmt"] = coupon["date_expires"]  # the site runs on UTC
    return coupon


def coupons_json() -> list[dict]:
    """Coupons of every discount type WooCommerce has, with their limits and restrictions."""
    return [
        coupon_json(id=1, code="welcome10", discount_type="percent", amount="10.00"),
        coupon_json(id=2, code="save5", discount_type="fixed_cart", amount="5.00", date_expires="2030-12-31T23:59:59",
                    minimum_amount="50.00", usage_limit=1000, usage_count=12),
        coupon_json(id=3, code="boots15", discount_type="fixed_product", amount="15.00"),
        coupon_json(id=4, code="summer2025", discount_type="percent", amount="20.00",
                    date_expires="2025-09-30T23:59:59", usage_count=310),
        coupon_json(id=5, code="onlyonce", discount_type="percent", amount="50.00", usage_limit=1, usage_count=1,
                    used_by=["7", "ana@example.com"]),
        coupon_json(id=6, code="firstorder", discount_type="percent", amount="15.00", usage_limit_per_user=1,
                    individual_use=True, description="15% off a customer's first order, with no other code"),
        coupon_json(id=7, code="staff20", discount_type="percent", amount="20.00",
                    email_restrictions=["*@staff.example.com"]),
        coupon_json(id=8, code="launch100", discount_type="fixed_cart", amount="10.00", usage_limit=100,
                    usage_count=97, maximum_amount="500.00"),
    ]


def create_app(catalog: Catalog, consumer_key: str = "ck_demo", consumer_secret: str = "cs_demo") -> Starlette:
    instruments = Instruments()
    listed = [p.index for p in catalog.products if p.in_webshop]  # indexes: changes replace the products
    by_modification = ChangeOrder(catalog, NAME, listed, lambda at: at.replace(microsecond=0))
    draft = Post(DRAFT_ID, draft_product(catalog), status="draft")
    # each SKU without case -> (product index, variant position or None); a simple product's one variant
    # has no post of its own
    sku_posts: dict[str, tuple[int, int | None]] = {}
    for i in listed:
        product = catalog.products[i]
        sku_posts[product.webshop_sku.casefold()] = (i, None)
        if len(product.variants) > 1:
            sku_posts.update({v.sku.casefold(): (i, n) for n, v in enumerate(product.variants)})
    created_coupons: list[dict] = []

    def product_posts() -> list[Post]:
        return [*(Post.of(catalog.products[i]) for i in listed), draft]

    def posts_by_id(ids: set[int]) -> list[Post]:
        """The product posts (not variations) of these ids."""
        found = [Post.of(catalog.products[i - 1]) for i in sorted(ids) if i - 1 in by_modification.listed]
        return [*found, draft] if DRAFT_ID in ids else found

    def posts_by_sku(skus: set[str]) -> list[Post]:
        found = [draft] if DRAFT_SKU.casefold() in skus else []
        for sku in skus:
            if (place := sku_posts.get(sku)) is not None:
                product = catalog.products[place[0]]
                found.append(Post.of(product, None if place[1] is None else product.variants[place[1]]))
        return found

    def refusal(request: Request, code: str, message: str) -> Response | None:
        """WC_REST_Authentication over HTTPS: the key pair from the query, else from HTTP Basic. A known
        key with a wrong secret is named; an unknown key (or none) leaves the request anonymous, and
        the endpoint's permission check refuses it (`code`). Neither sends WWW-Authenticate."""
        key = request.query_params.get("consumer_key", "")
        secret = request.query_params.get("consumer_secret", "")
        if not (key and secret):
            key, secret = basic_credentials(request.headers.get("authorization", "")) or ("", "")
        if key == consumer_key and secret == consumer_secret:
            return None
        if key == consumer_key and secret:
            return JSONResponse(wp_error(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid."),
                                status_code=401)
        return JSONResponse(wp_error(401, code, message), status_code=401)

    def unauthorized(request: Request) -> Response | None:
        return refusal(request, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")

    def bad_param(name: str, message: str) -> Response:
        return JSONResponse({"code": "rest_invalid_param", "message": f"Invalid parameter(s): {name}",
                             "data": {"status": 400, "params": {name: message}}}, status_code=400)

    async def list_products(request: Request) -> Response:
        if (refused := unauthorized(request)) is not None:
            return refused
        q = request.query_params
        try:
            page = int(q.get("page", "1"))
            per_page = int(q.get("per_page", "10"))
        except ValueError:
            return bad_param("page", "page and per_page must be integers.")
        if page < 1:
            return bad_param("page", "page must be greater than or equal to 1")
        if not 1 <= per_page <= MAX_PER_PAGE:
            return bad_param("per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)")
        status = q.get("status", "any")
        if status not in STATUSES:
            return bad_param("status", f"status is not one of {', '.join(STATUSES)}.")
        bounds: dict[str, datetime] = {}
        for name in ("modified_after", "modified_before"):  # both strict, to the second
            if raw := q.get(name):
                try:
                    bound = datetime.fromisoformat(raw)
                except ValueError:
                    return bad_param(name, "Invalid date.")
                bounds[name] = bound.replace(tzinfo=UTC) if bound.tzinfo is None else bound.astimezone(UTC)
        orderby = q.get("orderby", "id")
        if orderby not in ("id", "modified"):
            return bad_param("orderby", "orderby is not one of id, modified (in this simulator).")
        descending = q.get("order", "asc" if orderby == "id" else "desc") == "desc"
        skus, include, search = q.get("sku"), q.get("include"), q.get("search", "").lower()
        if status == "publish" and orderby == "modified" and not (skus or include or search):
            # the change list: from the index on the modification time, as the database's
            low, high = bounds.get("modified_after"), bounds.get("modified_before")
            span = (low, False) if low else None, (high, False) if high else None
            total = by_modification.count(*span)
            found = by_modification.page(descending, *span, (page - 1) * per_page, per_page)
            return JSONResponse([post_json(catalog, Post.of(catalog.products[i])) for i in found],
                                headers=total_headers(total, per_page))
        if skus:  # each comma-separated SKU, and the whole string too
            selected = posts_by_sku({s.strip().casefold() for s in [*skus.split(","), skus] if s.strip()})
        elif include:
            selected = posts_by_id({int(i) for i in include.split(",") if i.strip().isdigit()})
        else:
            selected = product_posts()
        selected = [p for p in selected if p.status == status or (status == "any" and p.status != "trash")]
        if include:
            ids = {int(i) for i in include.split(",") if i.strip().isdigit()}
            selected = [p for p in selected if p.id in ids]
        if search:
            selected = [p for p in selected if search in p.product.title.lower()]
        if after := bounds.get("modified_after"):
            selected = [p for p in selected if modified(catalog, p.product) > after]
        if before := bounds.get("modified_before"):
            selected = [p for p in selected if modified(catalog, p.product) < before]
        key = (lambda p: p.id) if orderby == "id" else (lambda p: (modified(catalog, p.product), p.id))
        selected = sorted(selected, key=key, reverse=descending)
        page_items = selected[(page - 1) * per_page: page * per_page]
        return JSONResponse([post_json(catalog, p) for p in page_items], headers=total_headers(len(selected), per_page))

    async def get_product(request: Request) -> Response:
        if (refused := unauthorized(request)) is not None:
            return refused
        product = catalog.by_erp_id.get(int(request.path_params["id"]))
        if product is None or not product.in_webshop:
            return JSONResponse(wp_error(404, "woocommerce_rest_product_invalid_id", "Invalid ID."), status_code=404)
        return JSONResponse(product_json(catalog, product))

    async def update_product(request: Request) -> Response:
        if (refused := refusal(request, "woocommerce_rest_cannot_edit",
                               "Sorry, you are not allowed to edit this resource.")) is not None:
            return refused
        product = catalog.by_erp_id.get(int(request.path_params["id"]))
        if product is None or not product.in_webshop:
            return JSONResponse(wp_error(404, "woocommerce_rest_product_invalid_id", "Invalid ID."), status_code=404)
        body = await json_object(request)
        if body is None:
            return bad_param("body", "The body must be a JSON object.")
        changes: dict[str, object] = {}
        for field, seed_field in (("name", "title"), ("description", "description")):
            if field in body:
                if not isinstance(body[field], str) or not body[field].strip():
                    return bad_param(field, f"{field} is not of type string.")
                changes[seed_field] = re.sub(r"<[^>]+>", "", body[field]).strip()
        return JSONResponse(product_json(catalog, catalog.change(NAME, product, **changes)))

    async def list_coupons(request: Request) -> Response:
        if (refused := unauthorized(request)) is not None:
            return refused
        coupons = [*coupons_json(), *created_coupons]
        if code := request.query_params.get("code"):
            coupons = [c for c in coupons if c["code"].casefold() == code.strip().casefold()]  # MySQL's collation
        return JSONResponse(coupons, headers={"X-WP-Total": str(len(coupons)), "X-WP-TotalPages": "1"})

    async def create_coupon(request: Request) -> Response:
        if (refused := refusal(request, "woocommerce_rest_cannot_create",
                               "Sorry, you are not allowed to create resources.")) is not None:
            return refused
        body = await json_object(request)
        if body is None or not isinstance(body.get("code"), str) or not body["code"].strip():
            return bad_param("code", "code is required.")
        for name, value in body.items():
            if name not in COUPON_FIELDS or not isinstance(value, COUPON_FIELDS[name]):  # type: ignore[arg-type]
                return bad_param(name, f"{name} is not of a valid type.")
        if body.get("discount_type", "fixed_cart") not in DISCOUNT_TYPES:
            return bad_param("discount_type", f"discount_type is not one of {', '.join(DISCOUNT_TYPES)}.")
        code = body["code"].strip().lower()  # WooCommerce keeps codes in lower case
        if any(c["code"] == code for c in [*coupons_json(), *created_coupons]):
            return JSONResponse(wp_error(400, "woocommerce_rest_coupon_code_already_exists",
                                         "The coupon code already exists"), status_code=400)
        made = coupon_json(**{**body, "code": code, "id": 1000 + len(created_coupons),
                              "email_restrictions": [e.lower() for e in body.get("email_restrictions", [])]})
        created_coupons.append(made)
        return JSONResponse(made, status_code=201)

    async def index(request: Request) -> Response:
        return JSONResponse({"namespace": "wc/v3", "routes": {f"{PREFIX}/products": {}, f"{PREFIX}/coupons": {}}})

    routes = [
        Route(PREFIX, index, methods=["GET"]),
        Route(f"{PREFIX}/products", list_products, methods=["GET"]),
        Route(PREFIX + "/products/{id:int}", get_product, methods=["GET"]),
        Route(PREFIX + "/products/{id:int}", update_product, methods=["PUT", "PATCH", "POST"]),
        Route(f"{PREFIX}/coupons", list_coupons, methods=["GET"]),
        Route(f"{PREFIX}/coupons", create_coupon, methods=["POST"]),
        *customer_routes(catalog, unauthorized, bad_param),
    ]
    return instrumented_app(routes, instruments, wp_error)
