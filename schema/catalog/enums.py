from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="A sales channel; each sees its own prices and stock.")
class ChannelCode(Enum):
    WEB = "WEB"
    APP = "APP"
    STORE = "STORE"
    CALL_CENTER = "CALL_CENTER"
    MARKETPLACE = "MARKETPLACE"


@strawberry.enum(description="How `products` sorts; ties break by ID.")
class ProductSortKey(Enum):
    ID = "ID"
    TITLE = "TITLE"
    PRICE = "PRICE"
    UPDATED_AT = "UPDATED_AT"


@strawberry.enum(description="What a delta-sync change may have changed, by the backend record that changed.")
class CatalogChangeAspect(Enum):
    CONTENT = "CONTENT"
    PRICE = "PRICE"
    STOCK = "STOCK"
