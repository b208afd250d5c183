"""What an operation touches, for HTTP caching: content, prices, stock, or something private to a
customer (carts, customers, orders, saved lists, keys). The cost walk (schema/cost.py) records it from the
document, so it is the same for every answer to the same query."""

from __future__ import annotations

from enum import StrEnum


class Touched(StrEnum):
    CONTENT = "content"
    PRICE = "price"
    STOCK = "stock"
    PRIVATE = "private"


PRIVATE_TYPES = frozenset({"Cart", "CartLine", "Customer", "Order", "OrderConnection", "CustomerProfile", "ApiKey",
                           "ApiKeyEvent", "SavedList", "SavedItem"})
FIELDS = {
    ("Query", "catalogChanges"): Touched.STOCK,  # the same cursor sees new changes as they come: keep it short
    ("Product", "priceRange"): Touched.PRICE,
    ("Variant", "price"): Touched.PRICE,
    ("Variant", "compareAtPrice"): Touched.PRICE,
    ("Product", "totalInventory"): Touched.STOCK,
    ("Product", "availableForSale"): Touched.STOCK,
    ("Product", "storeAvailability"): Touched.STOCK,
    ("Product", "recommendations"): Touched.STOCK,  # in stock in the channel, and new orders change them
    ("Variant", "quantityAvailable"): Touched.STOCK,
    ("Variant", "stock"): Touched.STOCK,
    ("Variant", "availableForSale"): Touched.STOCK,
    ("Variant", "storeAvailability"): Touched.STOCK,
}
