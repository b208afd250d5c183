"""The marketplace: eBay Sell Inventory API (`/sell/inventory/v1`).

Serves `POST bulk_get_inventory_item` (≤ 25 SKUs), `GET inventory_item/{sku}`,
`GET inventory_item?limit=&offset=` (every item, paged), `GET offer?sku=`, and the
writes `PUT inventory_item/{sku}` (the available quantity) and `PUT offer/{offerId}`
(the price), behind `Authorization: Bearer <user access token>`.
Errors use eBay's `{"errors": [{errorId, domain, category, message}]}` shape.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulators.catalog import CURRENCY, Catalog, SeedProduct, SeedVariant
from simulators.http_input import json_object
from simulators.instruments import Instruments, instrumented_app

PREFIX = "/sell/inventory/v1"
BULK_LIMIT = 25
MAX_PAGE = 200
OFFER_ID_BASE = 8_000_000_000


def ebay_error(status: int, error_id: int = 25001, message: str = "A system error has occurred.",
               category: str = "APPLICATION", domain: str = "API_INVENTORY") -> dict:
    if status == 503:
        error_id, message = 25001, "Service unavailable. Please try again later."
    if status == 429:  # the call limit of the resource (eBay's API call limits)
        return {"errors": [{"errorId": 2001, "domain": "ACCESS", "category": "REQUEST", "message": "Too many requests",
                            "longMessage": "The request limit has been reached for the resource."}]}
    return {"errors": [{"errorId": error_id, "domain": domain, "category": category, "message": message}]}


def inventory_item_json(catalog: Catalog, product: SeedProduct, variant: SeedVariant) -> dict:
    return {
        "sku": variant.sku,
        "locale": "de_DE",
        "condition": "NEW",
        "availability": {"shipToLocationAvailability": {"quantity": catalog.pool(variant.erp_id)}},
        "product": {
            "title": product.title,
            "brand": product.brand,
            "ean": [variant.gtin],
            "aspects": {"Size": [variant.option_value]},
            "imageUrls": [f"https://i.ebayimg.example.com/{variant.sku.lower()}.jpg"],
        },
    }


def offer_json(catalog: Catalog, product: SeedProduct, variant: SeedVariant, marketplace_id: str) -> dict:
    price = catalog.offer_price(product, variant)
    return {
        "offerId": f"{OFFER_ID_BASE + variant.erp_id}",
        "sku": variant.sku,
        "marketplaceId": marketplace_id,
        "format": "FIXED_PRICE",
        "availableQuantity": catalog.pool(variant.erp_id),
        "categoryId": "11450",
        "listing": {"listingId": f"{3_000_000_000 + variant.erp_id}", "listingStatus": "ACTIVE"},
        "pricingSummary": {"price": {"value": f"{price:.2f}", "currency": CURRENCY}},
        "status": "PUBLISHED",
    }


def create_app(catalog: Catalog, access_token: str = "ebay-demo-token") -> Starlette:
    instruments = Instruments()

    def listed(sku: str) -> tuple[SeedProduct, SeedVariant] | None:
        found = catalog.variants_by_sku.get(sku)
        return found if found is not None and found[0].on_marketplace else None

    def check_token(request: Request) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token != access_token:
            return JSONResponse(ebay_error(401, 1001, "Invalid access token. Check the value of the Authorization "
                                           "HTTP request header.", "REQUEST", "OAuth"), status_code=401)
        return None

    async def bulk_get(request: Request) -> Response:
        if (refused := check_token(request)) is not None:
            return refused
        try:
            body = await request.json()
            skus = [r["sku"] for r in body["requests"]]
        except (json.JSONDecodeError, KeyError, TypeError):
            return JSONResponse(ebay_error(400, 25709, "Invalid value for requests."), status_code=400)
        if not 1 <= len(skus) <= BULK_LIMIT:
            return JSONResponse(ebay_error(400, 25709, f"Between 1 and {BULK_LIMIT} SKUs are allowed."),
                                status_code=400)
        responses = []
        for sku in skus:
            found = listed(sku)
            if found is None:
                responses.append({"statusCode": 404, "sku": sku, "errors": [
                    {"errorId": 25702, "domain": "API_INVENTORY", "category": "REQUEST",
                     "message": f"SKU {sku} is not available in the system."}]})
            else:
                responses.append({"statusCode": 200, "sku": sku, "inventoryItem": inventory_item_json(catalog, *found)})
        status = 200 if all(r["statusCode"] == 200 for r in responses) else 207
        return JSONResponse({"responses": responses}, status_code=status)

    def unknown_sku() -> Response:
        return JSONResponse(ebay_error(404, 25702, "SKU is not available in the system.", "REQUEST"), status_code=404)

    async def get_item(request: Request) -> Response:
        if (refused := check_token(request)) is not None:
            return refused
        found = listed(request.path_params["sku"])
        if found is None:
            return unknown_sku()
        return JSONResponse(inventory_item_json(catalog, *found))

    async def offers(request: Request) -> Response:
        if (refused := check_token(request)) is not None:
            return refused
        sku = request.query_params.get("sku")
        if not sku:
            return JSONResponse(ebay_error(400, 25707, "This is an invalid value for a SKU.", "REQUEST"),
                                status_code=400)
        found = listed(sku)
        if found is None:
            return JSONResponse(ebay_error(404, 25713, "This Offer is not available.", "REQUEST"), status_code=404)
        marketplace_id = request.query_params.get("marketplace_id", "EBAY_DE")
        return JSONResponse({"href": str(request.url), "limit": 25, "offers": [offer_json(catalog, *found, marketplace_id)],
                             "size": 1, "total": 1})

    def bad_request(error_id: int, message: str) -> Response:
        return JSONResponse(ebay_error(400, error_id, message, "REQUEST"), status_code=400)

    async def list_items(request: Request) -> Response:
        if (refused := check_token(request)) is not None:
            return refused
        try:
            limit = int(request.query_params.get("limit", "25"))
            offset = int(request.query_params.get("offset", "0"))
        except ValueError:
            return bad_request(25709, "Invalid value for limit or offset.")
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            return bad_request(25709, f"limit must be within 1..{MAX_PAGE} and offset >= 0.")
        skus = [v.sku for p in catalog.products if p.on_marketplace for v in p.variants]
        page = [inventory_item_json(catalog, *catalog.variants_by_sku[s]) for s in skus[offset: offset + limit]]
        body: dict = {"href": str(request.url), "inventoryItems": page, "limit": limit, "size": len(page),
                      "total": len(skus)}
        if offset + limit < len(skus):
            body["next"] = f"{PREFIX}/inventory_item?limit={limit}&offset={offset + limit}"
        return JSONResponse(body)

    async def replace_item(request: Request) -> Response:
        """createOrReplaceInventoryItem, for the available quantity: 204 as eBay answers an update."""
        if (refused := check_token(request)) is not None:
            return refused
        found = listed(request.path_params["sku"])
        if found is None:
            return unknown_sku()
        body = await json_object(request)
        try:
            quantity = body["availability"]["shipToLocationAvailability"]["quantity"]  # type: ignore[index]
        except (KeyError, TypeError):
            quantity = None
        if not isinstance(quantity, int) or quantity < 0:
            return bad_request(25709, "Invalid value for availability.shipToLocationAvailability.quantity.")
        catalog.pool_edits[found[1].erp_id] = quantity
        return Response(status_code=204)

    async def update_offer(request: Request) -> Response:
        """updateOffer, for the price."""
        if (refused := check_token(request)) is not None:
            return refused
        raw = request.path_params["offer_id"]
        found = catalog.variants_by_erp_id.get(int(raw) - OFFER_ID_BASE) if raw.isdigit() else None
        if found is None or not found[0].on_marketplace:
            return JSONResponse(ebay_error(404, 25713, "This Offer is not available.", "REQUEST"), status_code=404)
        body = await json_object(request)
        try:
            price = Decimal(body["pricingSummary"]["price"]["value"])  # type: ignore[index]
        except (KeyError, TypeError, InvalidOperation):
            price = None
        if price is None or not price.is_finite() or price <= 0:
            return bad_request(25709, "Invalid value for pricingSummary.price.")
        catalog.offer_price_edits[found[1].erp_id] = price.quantize(Decimal("0.01"))
        return Response(status_code=204)

    routes = [
        Route(f"{PREFIX}/bulk_get_inventory_item", bulk_get, methods=["POST"]),
        Route(f"{PREFIX}/inventory_item", list_items, methods=["GET"]),
        Route(PREFIX + "/inventory_item/{sku}", replace_item, methods=["PUT"]),
        Route(PREFIX + "/offer/{offer_id}", update_offer, methods=["PUT"]),
        Route(PREFIX + "/inventory_item/{sku}", get_item, methods=["GET"]),
        Route(f"{PREFIX}/offer", offers, methods=["GET"]),
    ]
    return instrumented_app(routes, instruments, ebay_error)
