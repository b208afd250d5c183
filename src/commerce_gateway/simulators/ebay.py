"""The marketplace: eBay Sell Inventory API (`/sell/inventory/v1`).

Serves `POST bulk_get_inventory_item` (≤ 25 SKUs), `GET inventory_item/{sku}`
and `GET offer?sku=`, behind `Authorization: Bearer <user access token>`.
Errors use eBay's `{"errors": [{errorId, domain, category, message}]}` shape.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from commerce_gateway.simulators.catalog import CURRENCY, Catalog, SeedProduct, SeedVariant, marketplace_pool
from commerce_gateway.simulators.instruments import Instruments, instrumented_app

PREFIX = "/sell/inventory/v1"
BULK_LIMIT = 25


def ebay_error(status: int, error_id: int = 25001, message: str = "A system error has occurred.",
               category: str = "APPLICATION", domain: str = "API_INVENTORY") -> dict:
    if status == 503:
        error_id, message = 25001, "Service unavailable. Please try again later."
    return {"errors": [{"errorId": error_id, "domain": domain, "category": category, "message": message}]}


def inventory_item_json(product: SeedProduct, variant: SeedVariant) -> dict:
    return {
        "sku": variant.sku,
        "locale": "de_DE",
        "condition": "NEW",
        "availability": {"shipToLocationAvailability": {"quantity": marketplace_pool(variant.erp_id)}},
        "product": {
            "title": product.title,
            "brand": product.brand,
            "ean": [variant.gtin],
            "aspects": {"Size": [variant.option_value]},
            "imageUrls": [f"https://i.ebayimg.example.com/{variant.sku.lower()}.jpg"],
        },
    }


def offer_json(product: SeedProduct, variant: SeedVariant, marketplace_id: str) -> dict:
    price = product.marketplace_price + (variant.list_price - product.list_price)
    return {
        "offerId": f"{8_000_000_000 + variant.erp_id}",
        "sku": variant.sku,
        "marketplaceId": marketplace_id,
        "format": "FIXED_PRICE",
        "availableQuantity": marketplace_pool(variant.erp_id),
        "categoryId": "11450",
        "listing": {"listingId": f"{3_000_000_000 + variant.erp_id}", "listingStatus": "ACTIVE"},
        "pricingSummary": {"price": {"value": f"{price:.2f}", "currency": CURRENCY}},
        "status": "PUBLISHED",
    }


def create_app(catalog: Catalog, access_token: str = "ebay-demo-token") -> object:
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
                responses.append({"statusCode": 200, "sku": sku, "inventoryItem": inventory_item_json(*found)})
        status = 200 if all(r["statusCode"] == 200 for r in responses) else 207
        return JSONResponse({"responses": responses}, status_code=status)

    async def get_item(request: Request) -> Response:
        if (refused := check_token(request)) is not None:
            return refused
        found = listed(request.path_params["sku"])
        if found is None:
            return JSONResponse(ebay_error(404, 25702, "SKU is not available in the system.", "REQUEST"),
                                status_code=404)
        return JSONResponse(inventory_item_json(*found))

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
        return JSONResponse({"href": str(request.url), "limit": 25, "offers": [offer_json(*found, marketplace_id)],
                             "size": 1, "total": 1})

    routes = [
        Route(f"{PREFIX}/bulk_get_inventory_item", bulk_get, methods=["POST"]),
        Route(PREFIX + "/inventory_item/{sku}", get_item, methods=["GET"]),
        Route(f"{PREFIX}/offer", offers, methods=["GET"]),
    ]
    return instrumented_app(routes, instruments, ebay_error)
