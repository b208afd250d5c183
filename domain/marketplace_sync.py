"""The marketplace sync both ways: what the gateway pushes to each marketplace offer (the ERP's sellable
stock and the marketplace channel's price), what it last pushed, and the marketplace orders it has
imported into the ERP. Rules only; the workers are resolvers/marketplace_push.py and
resolvers/marketplace_orders.py, the store adapters/mongo/marketplace_sync.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.backoff import doubled
from domain.records import MarketplaceOrder, Money


@dataclass(frozen=True, slots=True)
class SyncRules:
    buffer: int = 2  # units held back from the marketplace (what a late push may oversell)
    retry_base: timedelta = timedelta(seconds=30)  # the wait after a refused push, doubled after each
    retry_max: timedelta = timedelta(minutes=30)
    order_overlap: timedelta = timedelta(minutes=2)  # orders are read again this far before the cursor
    order_warehouse: str | None = None  # the ERP warehouse marketplace orders ship from; None: the ERP's default
    erp_partner_id: int | None = None  # the ERP contact of every marketplace order; None: one per buyer
    first_import_lookback: timedelta = timedelta(0)  # how far back the very first import reads orders


def sellable(available: int, held: int, buffer: int) -> int:
    """What the marketplace may sell: the ERP's available stock, less the units held for carts and
    the buffer, never below 0."""
    return max(0, available - held - buffer)


def retry_after(attempts: int, rules: SyncRules) -> timedelta:
    """The wait before the next try after `attempts` failed ones (1 or more)."""
    return doubled(rules.retry_base, rules.retry_max, attempts)


@dataclass(frozen=True, slots=True)
class OfferSync:
    """One SKU's offer as the push last left it (`_id` = the SKU)."""

    sku: str
    offer_id: str | None = None
    quantity: int | None = None  # last accepted
    price: Money | None = None  # last accepted
    pushed_at: datetime | None = None  # when the marketplace accepted the last push
    lag_seconds: float | None = None  # from the event that caused it to the acceptance
    error_id: str | None = None  # the marketplace's id of the last refusal; None after a push lands
    error: str | None = None
    attempts: int = 0  # failed pushes since the last that landed
    retry_at: datetime | None = None  # when a failed push is tried again
    event_at: datetime | None = None  # the oldest event the pending retry answers (its lag is counted from it)

    @property
    def failing(self) -> bool:
        return self.error is not None


class ImportState(StrEnum):
    PENDING = "pending"  # intended: the ERP order may or may not exist (a crash, a failure); tried again
    IMPORTED = "imported"
    FAILED = "failed"  # cannot be imported as it is (a SKU the ERP lacks); tried again with backoff


@dataclass(frozen=True, slots=True)
class OrderImport:
    """One marketplace order as the import knows it (`_id` = its marketplace order id)."""

    order: MarketplaceOrder
    state: ImportState
    intended_at: datetime
    erp_order: str | None = None  # the ERP order's number once imported
    imported_at: datetime | None = None
    error: str | None = None
    attempts: int = 0
    retry_at: datetime | None = None
    cancelled_after_import: bool = False  # cancelled or refunded in full after the ERP order was made


@dataclass(frozen=True, slots=True)
class SyncSummary:
    last_push_at: datetime | None = None
    last_reconcile_at: datetime | None = None
    orders_imported: int = 0
    import_cursor: datetime | None = None
    push_failures: int = 0  # SKUs whose last push was refused
    import_failures: int = 0  # orders waiting on a failed import
