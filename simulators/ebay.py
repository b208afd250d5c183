"""The marketplace: eBay Sell Inventory API (`/sell/inventory/v1`) and its OAuth token endpoint.

Serves `POST bulk_get_inventory_item` (≤ 25 SKUs), `GET inventory_item/{sku}`,
`GET inventory_item?limit=&offset=` (every item, paged: `offset` is a page number, as the spec
says, with `href`/`next`/`prev` links), `GET offer?sku=`, and the writes `PUT inventory_item/{sku}`
(the available quantity; an item sent without `availability` has none, as eBay allows until an
offer is published) and `PUT offer/{offerId}` (the price), behind `Authorization: Bearer <user access
token>`: the configured static token, or one `POST /identity/v1/oauth2/token` issued from the refresh
token (grant_type=refresh_token, client id and secret as HTTP Basic), valid `token_seconds` by the
catalog's clock. An unknown or expired token is answered 401 with errorId 1001, as eBay does.

Some SKUs have more than one offer, as eBay allows (a SKU may be sold by auction beside its
fixed-price listing): by `erp_id % 5`, 0 an unpublished auction without a price, 1 a published
auction whose Buy It Now price differs, 2 a fixed-price offer on another marketplace; each listed
before the fixed-price offer (oldest first).
Errors use eBay's `{"errors": [{errorId, domain, category, message, longMessage}]}` shape, and the
token endpoint RFC 6749's `{"error", "error_description"}`. `POST /__tokens {"refuse": true}`
refuses every access token (as after eBay revoked them) until `{"refuse": false}`.
The sync endpoints (price and quantity updates, orders) are in simulators/ebay_sync.py.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulators.catalog import CURRENCY, Catalog, SeedProduct, SeedVariant
from simulators.ebay_sync import ORDERS, Orders
from simulators.http_input import basic_credentials, json_object
from simulators.instruments import Instruments, instrumented_app

PREFIX = "/sell/inventory/v1"
BULK_LIMIT = 25
MAX_PAGE = 200
OFFER_ID_BASE = 8_000_000_000
AUCTION_ID_BASE = 7_000_000_000  # the second offers of some SKUs: older, so listed first
ABROAD_ID_BASE = 7_500_000_000
MARKETPLACE = "EBAY_DE"  # where the seeded offers are
ABROAD = "EBAY_AT"
TOKEN_PATH = "/identity/v1/oauth2/token"
SCOPE = "https://api.ebay.com/oauth/api_scope"
GRANTED_SCOPES = frozenset({SCOPE, f"{SCOPE}/sell.inventory", f"{SCOPE}/sell.inventory.readonly"})


def ebay_error(status: int, error_id: int = 25001, message: str = "A system error has occurred.",
               category: str = "APPLICATION", domain: str = "API_INVENTORY") -> dict:
    if status == 503:
        error_id, message = 25001, "Service unavailable. Please try again later."
    if status == 429:  # the call limit of the resource (eBay's API call limits)
        return {"errors": [{"errorId": 2001, "domain": "ACCESS", "category": "REQUEST", "message": "Too many requests",
                            "longMessage": "The request limit has been reached for the resource."}]}
    return {"errors": [{"errorId": error_id, "domain": domain, "category": category, "message": message}]}


def oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def inventory_item_json(catalog: Catalog, product: SeedProduct, variant: SeedVariant,
                        without_quantity: bool = False) -> dict:
    availability = {} if without_quantity else {
        "availability": {"shipToLocationAvailability": {"quantity": catalog.pool(variant.erp_id)}}}
    return {
        "sku": variant.sku,
        "locale": "de_DE",
        "condition": "NEW",
        **availability,
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


def other_offers(catalog: Catalog, product: SeedProduct, variant: SeedVariant) -> list[dict]:
    """The offers a SKU has besides its fixed-price listing on the seeded marketplace (module docstring)."""
    price = catalog.offer_price(product, variant)
    kind = variant.erp_id % 5
    if kind in (0, 1):
        published = kind == 1
        summary = {"auctionStartPrice": {"value": f"{price / 2:.2f}", "currency": CURRENCY}}
        if published:
            summary["price"] = {"value": f"{price * Decimal('1.25'):.2f}", "currency": CURRENCY}  # Buy It Now
        return [{"offerId": f"{AUCTION_ID_BASE + variant.erp_id}", "sku": variant.sku, "marketplaceId": MARKETPLACE,
                 "format": "AUCTION", "listingDuration": "DAYS_7", "availableQuantity": 1, "categoryId": "11450",
                 "pricingSummary": summary, "status": "PUBLISHED" if published else "UNPUBLISHED",
                 **({"listing": {"listingId": f"{2_000_000_000 + variant.erp_id}", "listingStatus": "ACTIVE"}}
                    if published else {})}]
    if kind == 2:
        abroad = offer_json(catalog, product, variant, ABROAD)
        abroad["offerId"] = f"{ABROAD_ID_BASE + variant.erp_id}"
        abroad["pricingSummary"] = {"price": {"value": f"{price + 5:.2f}", "currency": CURRENCY}}
        abroad.pop("listing")
        return [abroad]
    return []


@dataclass
class Tokens:
    """Access tokens issued from the refresh token, and whether every token is refused."""

    expiry: dict[str, datetime] = field(default_factory=dict)
    refuse: bool = False


def create_app(catalog: Catalog, access_token: str = "ebay-demo-token", *, client_id: str = "ebay-demo-client",
               client_secret: str = "ebay-demo-secret", refresh_token: str = "ebay-demo-refresh-token",
               token_seconds: int = 7200) -> Starlette:
    instruments = Instruments()
    tokens = Tokens()
    without_quantity: set[int] = set()  # variants whose inventory item was sent without availability
    # the inventory items in the order listed: the marketplace's assortment and the SKUs stay as seeded
    listed_skus = [v.sku for p in catalog.products if p.on_marketplace for v in p.variants]

    def listed(sku: str) -> tuple[SeedProduct, SeedVariant] | None:
        found = catalog.variants_by_sku.get(sku)
        return found if found is not None and found[0].on_marketplace else None

    def item_json(product: SeedProduct, variant: SeedVariant) -> dict:
        return inventory_item_json(catalog, product, variant, variant.erp_id in without_quantity)

    def check_token(request: Request) -> Response | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        expiry = tokens.expiry.get(token)
        valid = token == access_token or (expiry is not None and catalog.clock() < expiry)
        if scheme.lower() != "bearer" or not valid or tokens.refuse:
            body = ebay_error(401, 1001, "Invalid access token", "REQUEST", "OAuth")
            body["errors"][0]["longMessage"] = "Invalid access token. Check the value of the Authorization HTTP " \
                                               "request header."
            return JSONResponse(body, status_code=401)
        return None

    async def issue_token(request: Request) -> Response:
        """The refresh token grant: a user access token living `token_seconds`."""
        if basic_credentials(request.headers.get("authorization", "")) != (client_id, client_secret):
            return oauth_error("invalid_client", "client authentication failed", 401)
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode(errors="replace")).items()}
        if "grant_type" not in form:
            return oauth_error("invalid_request", "request is missing a required parameter or malformed.")
        if form["grant_type"] != "refresh_token":
            return oauth_error("unsupported_grant_type", "grant type in request is not supported by the "
                                                         "authorization server")
        if form.get("refresh_token") != refresh_token:
            return oauth_error("invalid_grant", "the provided authorization refresh token is invalid or was issued "
                                                "to another client")
        if not set(form.get("scope", SCOPE).split()) <= GRANTED_SCOPES:
            return oauth_error("invalid_scope", "The requested scope is invalid, unknown, malformed, or exceeds the "
                                                "scope granted to the client")
        token = f"v^1.1#i^1#r^0#p^3#I^3#f^0#t^{secrets.token_urlsafe(24)}"
        tokens.expiry[token] = catalog.clock() + timedelta(seconds=token_seconds)
        return JSONResponse({"access_token": token, "expires_in": token_seconds, "token_type": "User Access Token"})

    async def token_controls(request: Request) -> Response:
        body = await json_object(request) or {}
        tokens.refuse = bool(body.get("refuse", tokens.refuse))
        return JSONResponse({"refuse": tokens.refuse, "issued": len(tokens.expiry)})

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
                responses.append({"statusCode": 200, "sku": sku, "inventoryItem": item_json(*found)})
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
        return JSONResponse(item_json(*found))

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
        # every offer of the SKU, whatever `marketplace_id` says: the spec gives it no practical use
        found_offers = sorted([offer_json(catalog, *found, MARKETPLACE), *other_offers(catalog, *found)],
                              key=lambda o: int(o["offerId"]))
        if fmt := request.query_params.get("format"):
            found_offers = [o for o in found_offers if o["format"] == fmt]
        if found[1].erp_id in without_quantity:
            for offer in found_offers:
                offer.pop("availableQuantity", None)
        return JSONResponse({"href": f"{PREFIX}/offer?sku={sku}&limit=25&offset=0", "limit": 25,
                             "offers": found_offers, "size": len(found_offers), "total": len(found_offers)})

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
        # `offset` is the page number (0 the first), and `size` the number of pages, as the spec says
        skus = listed_skus
        pages = -(-len(skus) // limit)
        page = [item_json(*catalog.variants_by_sku[s]) for s in skus[offset * limit: (offset + 1) * limit]]

        def link(number: int) -> str:
            return f"{PREFIX}/inventory_item?offset={number}&limit={limit}"

        body: dict = {"href": link(offset), "limit": limit, "size": pages, "total": len(skus)}
        if page:
            body["inventoryItems"] = page
        if offset + 1 < pages:
            body["next"] = link(offset + 1)
        if 0 < offset <= pages:
            body["prev"] = link(offset - 1)
        return JSONResponse(body)

    async def replace_item(request: Request) -> Response:
        """createOrReplaceInventoryItem, for the available quantity: 204 as eBay answers an update."""
        if (refused := check_token(request)) is not None:
            return refused
        found = listed(request.path_params["sku"])
        if found is None:
            return unknown_sku()
        body = await json_object(request)
        if body is None:
            return bad_request(2004, "Could not serialize field. Check the request body.")
        if "availability" not in body:  # eBay needs one only to publish an offer
            without_quantity.add(found[1].erp_id)
            return Response(status_code=204)
        try:
            quantity = body["availability"]["shipToLocationAvailability"]["quantity"]
        except (KeyError, TypeError):
            quantity = None
        if not isinstance(quantity, int) or quantity < 0:
            return bad_request(25709, "Invalid value for availability.shipToLocationAvailability.quantity.")
        catalog.pool_edits[found[1].erp_id] = quantity
        without_quantity.discard(found[1].erp_id)
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

    def guarded(handler):  # noqa: ANN001, ANN202 - a route handler behind the bearer token
        async def route(request: Request) -> Response:
            return refused if (refused := check_token(request)) is not None else await handler(request)
        return route

    orders = Orders(catalog, lambda variant: f"{OFFER_ID_BASE + variant.erp_id}", listed)
    routes = [
        Route(TOKEN_PATH, issue_token, methods=["POST"]),
        Route("/__orders", orders.create, methods=["POST"]),
        Route("/__orders/{order_id}/cancel", orders.cancel, methods=["POST"]),
        Route(f"{PREFIX}/bulk_update_price_quantity", guarded(orders.bulk_update), methods=["POST"]),
        Route(ORDERS, guarded(orders.search), methods=["GET"]),
        Route("/__tokens", token_controls, methods=["POST"]),
        Route(f"{PREFIX}/bulk_get_inventory_item", bulk_get, methods=["POST"]),
        Route(f"{PREFIX}/inventory_item", list_items, methods=["GET"]),
        Route(PREFIX + "/inventory_item/{sku}", replace_item, methods=["PUT"]),
        Route(PREFIX + "/offer/{offer_id}", update_offer, methods=["PUT"]),
        Route(PREFIX + "/inventory_item/{sku}", get_item, methods=["GET"]),
        Route(f"{PREFIX}/offer", offers, methods=["GET"]),
    ]
    return instrumented_app(routes, instruments, ebay_error)
