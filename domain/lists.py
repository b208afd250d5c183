"""Saved lists (wishlists, "Saved for later") as the gateway stores them in MongoDB, and what the
reminder worker reads of them. An item keeps what the customer saw when saving it (price and
stock in the channel it was saved from), which is what a reminder compares today's figures with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

DEFAULT_LIST_NAME = "Saved for later"


@dataclass(frozen=True, slots=True)
class SavedItem:
    item_id: str                         # unique within its list
    sku: str                             # the variant's SKU, as cart lines keep it
    added_at: datetime
    channel: str                         # where it was saved: its price and stock are that channel's
    price_when_saved: Decimal | None = None
    currency: str | None = None
    stock_when_saved: int | None = None  # None: the caller could not see stock, or the backend was down


@dataclass(frozen=True, slots=True)
class SavedList:
    list_id: str
    name: str
    version: int
    created_at: datetime
    updated_at: datetime
    customer_id: str | None = None  # None: a guest's list, found by its id alone
    default: bool = False           # the customer's "Saved for later": cartLinesSaveForLater moves lines here
    items: tuple[SavedItem, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Watch:
    """A signed-in customer's saved item, as the reminder worker evaluates it against a change."""

    customer_id: str
    list_id: str
    item: SavedItem
